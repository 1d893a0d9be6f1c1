// The logic path without sockets: raw update → validation → store → bus → rules (dependency
// index: only the rules reading the tag, each once) → alarms (on edges) → live-feed marking.
// 100,000 datapoints and 10,000 rules, each reading 1 to 3 datapoints and raising an alarm.
// Values cycle so that about 1 % of the rule evaluations change a rule's state (an alarm raised
// or lowered: journaled and saved through the alarm store's writer thread).
//
//   build/release/bench/weir_logic_bench
// Arg 0: updates spread over all 100,000 datapoints (most read by no rule);
// Arg 1: updates only to datapoints some rule reads.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "datapoint/datapoint_service.hpp"
#include "module/test_host.hpp"

void weir_register_datapoint_module(weir::module::ModuleRegistry&);
void weir_register_command_module(weir::module::ModuleRegistry&);
void weir_register_rule_module(weir::module::ModuleRegistry&);
void weir_register_alarm_module(weir::module::ModuleRegistry&);

namespace {

using namespace weir;

constexpr int kPoints = 100'000;
constexpr int kRules = 10'000;

config::SystemConfig make_config() {
  std::string text =
      R"({"dp_types": {"LEVEL": {"type": "float", "min": 0, "max": 1000, "default": 0}},
    "modules": [{"name": "rule"}, {"name": "alarm"}],
    "drivers": [{"name": "Bench", "driver_class": "None", "datapoints": [)";
  for (int i = 0; i < kPoints; ++i)
    text += (i ? "," : "") + std::string(R"({"name": "DP_)") + std::to_string(i) +
            R"(", "type": "LEVEL"})";
  text += "]}], \"rules\": [";
  // Rule r reads datapoint 10r (and 10r+1, 10r+2 for two rules in three).
  for (int r = 0; r < kRules; ++r) {
    const std::string a = "Bench@DP_" + std::to_string(10 * r);
    const std::string b = "Bench@DP_" + std::to_string(10 * r + 1);
    const std::string c = "Bench@DP_" + std::to_string(10 * r + 2);
    std::string cond = a + " > 990";
    if (r % 3 == 1) cond += " and " + b + " >= 0";
    if (r % 3 == 2) cond = "(" + cond + " or " + b + " > 995) and " + c + " < 1000";
    text += (r ? "," : "") + std::string(R"({"rule_id": "r)") + std::to_string(r) +
            R"(", "on_condition": ")" + cond + R"x(", "on_actions": ["raise_alarm()"]})x";
  }
  text += "]}";
  auto res = config::parse_system_config(text);
  return *res.config;
}

void BM_LogicPath(benchmark::State& state) {
  const bool only_read = state.range(0) == 1;
  static const config::SystemConfig cfg = make_config();
  ManualClock clock;
  ProcessOptions o;
  const auto dir = std::filesystem::temp_directory_path() / "weir-logic-bench";
  std::filesystem::remove_all(dir);
  o.data_dir = dir.string();
  module::PostQueue posts;  // the alarm module's commit answers run on this thread (below)
  module::TestHost t(clock, o);
  t.host.post = posts.post();
  weir_register_datapoint_module(t.registry);
  weir_register_command_module(t.registry);
  weir_register_rule_module(t.registry);
  weir_register_alarm_module(t.registry);
  auto modules = t.create(cfg);
  if (!modules) {
    state.SkipWithError(modules.error().message.c_str());
    return;
  }
  if (auto st = (*modules)->start(); !st) {
    state.SkipWithError(st.error().message.c_str());
    return;
  }
  auto& bus = t.bus;
  const auto& values = t.services.get<datapoint::DatapointService>();
  model::RawTagUpdate u;
  u.quality = model::Quality::good;
  std::uint64_t n = 0;
  for (auto _ : state) {
    // Datapoints read by rules: 10r, 10r+1, 10r+2. Values walk 0..999 in steps of 7 per visit,
    // so a datapoint is above 990 about 1 % of the time.
    const std::uint64_t k = n % (only_read ? 3 * kRules : kPoints);
    u.index = static_cast<model::DatapointIndex>(only_read ? 10 * (k / 3) + k % 3 : k);
    u.value = static_cast<double>(((n / (only_read ? 3 * kRules : kPoints)) * 7 + k) % 1000);
    bus.publish(u);
    if (++n % 25'000 == 0) {
      clock.advance(std::chrono::milliseconds(50));
      (*modules)->tick();
      posts.run();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["accepted"] = static_cast<double>(values.accepted());
  std::string metrics;
  (*modules)->metrics(metrics);
  auto number_after = [&](std::string_view name) {
    auto at = metrics.find(std::string("\n") + std::string(name) + " ");
    return at == std::string::npos ? 0.0 : std::atof(metrics.c_str() + at + name.size() + 2);
  };
  state.counters["rule_evaluations"] = number_after("weir_rule_evaluations_total");
  state.counters["rule_activations"] = number_after("weir_rule_activations_total");
  (*modules)->stop();
}
BENCHMARK(BM_LogicPath)->Arg(0)->Arg(1)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
