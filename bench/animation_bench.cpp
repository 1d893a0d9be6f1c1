// Animation updates for the 250-element stress SVG (the fixtures' 3.stress_test.svg, generated
// here): raw update → validation → store → bus → animation engine (map lookup per element) →
// live-feed marking, with the hub encoding the changed elements of feed `animation` and handing
// the batch to 10 subscribers. Every update toggles one of the 250 bound datapoints, so every
// update changes an element.
//   /1:   a flush after every update (nothing coalesced: every change encoded and sent)
//   /250: a flush every 250 updates (each element changed about once per batch)
// A second case binds every element to an expression (`280 - ((value/100) * 120)` on y and
// height) instead of a map.
//
//   build/release/bench/weir_animation_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>

#include "api/live_feed.hpp"
#include "datapoint/datapoint_module.hpp"
#include "module/test_host.hpp"

void weir_register_svg_module(weir::module::ModuleRegistry& registry);
void weir_register_animation_module(weir::module::ModuleRegistry& registry);

namespace {

using namespace weir;
namespace fs = std::filesystem;

constexpr int kElements = 250;
constexpr int kSubscribers = 10;

struct CountingClient : api::LiveClient {
  std::size_t bytes = 0, messages = 0;
  bool send(std::string t) override {
    bytes += t.size();
    ++messages;
    return true;
  }
  std::size_t queued_bytes() const override { return 0; }
  void close(std::uint16_t, std::string) override {}
};

// A configuration directory with the stress SVG; removed at the end.
struct StressDir {
  fs::path dir;
  explicit StressDir(bool numeric) {
    dir = fs::temp_directory_path() /
          ("weir-animation-bench-" + std::to_string(::getpid()) + (numeric ? "-n" : "-b"));
    fs::create_directories(dir / "svg");
    std::ofstream svg(dir / "svg" / "3.stress_test.svg");
    svg << R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 100">)" << '\n';
    for (int i = 0; i < kElements; ++i)
      svg << "<rect id=\"sq_" << i << "\" x=\"" << (i % 50) * 20 << "\" y=\"" << (i / 50) * 20
          << "\" width=\"18\" height=\"18\" data-datapoint=\"StressTest@DP_" << i
          << "\" data-animation=\"" << (numeric ? "fill_level" : "stress_square") << "\"/>\n";
    svg << "</svg>\n";
  }
  ~StressDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

config::SystemConfig make_config(bool numeric) {
  std::string text = R"json({"dp_types": {
      "BOOL": {"type": "enum", "values": ["TRUE", "FALSE"], "default": "FALSE"},
      "LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0}},
    "modules": [{"name": "animation"}],
    "animations": {
      "stress_square": [{"attribute": "fill", "expression": {"FALSE": "red", "TRUE": "green"},
                         "quality": {"unknown": "gray"}}],
      "fill_level": [
        {"attribute": "y", "expression": "280 - ((value/100) * 120)", "quality": {"unknown": 280}},
        {"attribute": "height", "expression": "(value/100) * 120", "quality": {"unknown": 0}}]
},
    "drivers": [{"name": "StressTest", "driver_class": "None", "datapoints": [)json";
  for (int i = 0; i < kElements; ++i)
    text += (i ? "," : "") + std::string(R"({"name": "DP_)") + std::to_string(i) +
            R"(", "type": ")" + (numeric ? "LEVEL" : "BOOL") + "\"}";
  text += "]}]}";
  return *config::parse_system_config(text).config;
}

void run(benchmark::State& state, bool numeric) {
  const auto flush_every = static_cast<std::uint64_t>(state.range(0));
  StressDir dir(numeric);
  ManualClock clock;
  ProcessOptions options;
  options.config_dir = dir.dir.string();
  module::TestHost t(clock, options);
  weir_register_datapoint_module(t.registry);
  weir_register_svg_module(t.registry);
  weir_register_animation_module(t.registry);
  auto modules = t.create(make_config(numeric));
  if (!modules) {
    state.SkipWithError(modules.error().message.c_str());
    return;
  }
  std::vector<std::shared_ptr<CountingClient>> clients;
  for (int i = 0; i < kSubscribers; ++i) {
    auto c = std::make_shared<CountingClient>();
    auto id = t.hub.connect(c, [](std::string_view) { return true; });
    t.hub.on_message(id, R"({"type":"subscribe","feeds":["animation"]})");
    clients.push_back(c);
  }
  const std::size_t snapshot_bytes = clients[0]->bytes;
  if (snapshot_bytes < static_cast<std::size_t>(kElements) * 40) {
    state.SkipWithError("the stress SVG's elements are not bound");
    return;
  }
  // One toggle per element, prepared once: TRUE/FALSE, or 25/75 %.
  const model::Value on = numeric ? model::Value(75.0) : model::Value(std::string("TRUE"));
  const model::Value off = numeric ? model::Value(25.0) : model::Value(std::string("FALSE"));
  std::vector<bool> lit(kElements, false);
  model::RawTagUpdate u;
  u.quality = model::Quality::good;
  const auto& values = t.services.get<datapoint::DatapointService>();
  std::vector<model::DatapointIndex> index;
  for (int i = 0; i < kElements; ++i)
    index.push_back(*values.registry().find("StressTest@DP_" + std::to_string(i)));
  std::uint64_t n = 0;
  for (auto _ : state) {
    const auto i = static_cast<std::size_t>(n % kElements);
    lit[i] = !lit[i];
    u.index = index[i];
    u.value = lit[i] ? on : off;
    t.bus.publish(u);
    if (++n % flush_every == 0) {
      clock.advance(std::chrono::milliseconds(50));
      t.hub.flush();
    }
  }
  t.hub.flush();
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["accepted"] = static_cast<double>(values.accepted());
  state.counters["batches_per_client"] = static_cast<double>(clients[0]->messages - 2);
  state.counters["ws_bytes_per_update"] =
      static_cast<double>(clients[0]->bytes - snapshot_bytes) / static_cast<double>(n ? n : 1);
}

void BM_AnimationStressMap(benchmark::State& state) {
  run(state, false);
}
void BM_AnimationStressExpression(benchmark::State& state) {
  run(state, true);
}
BENCHMARK(BM_AnimationStressMap)->Arg(1)->Arg(250)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_AnimationStressExpression)->Arg(1)->Arg(250)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
