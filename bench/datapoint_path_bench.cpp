// The datapoint path without sockets: raw update → validation → store → bus → live-feed marking,
// with the hub flushing (encoding one batch per feed and handing it to 50 subscribers) every
// 50 ms of simulated traffic at the target rate. 10,000 datapoints.
// BM_DatapointTracking: the same path side by side without the tracking module, with it off
// (mode none), on (mode bus: two events per update in the ring) and writing its file.
//
//   build/release/bench/weir_datapoint_bench
#include <benchmark/benchmark.h>

#include "api/live_feed.hpp"
#include "datapoint/datapoint_module.hpp"
#include "module/test_host.hpp"

void weir_register_tracking_module(weir::module::ModuleRegistry&);

namespace {

using namespace weir;

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

config::SystemConfig make_config(int n, const std::string& modules = "[]") {
  std::string text =
      R"({"dp_types": {"LEVEL": {"type": "float", "min": 0, "max": 1000000, "default": 0}},
    "drivers": [{"name": "Bench", "driver_class": "None", "datapoints": [)";
  for (int i = 0; i < n; ++i)
    text += (i ? "," : "") + std::string(R"({"name": "DP_)") + std::to_string(i) +
            R"(", "type": "LEVEL"})";
  text += "]}], \"modules\": " + modules + "}";
  auto r = config::parse_system_config(text);
  return *r.config;
}

void BM_DatapointPath(benchmark::State& state) {
  const int kPoints = 10'000;
  const int kSubscribers = static_cast<int>(state.range(0));
  const std::size_t kFlushEvery = 25'000;  // 50 ms at 500,000 updates/s
  ManualClock clock;
  module::TestHost t(clock);
  weir_register_datapoint_module(t.registry);  // the datapoint module alone, as weir runs it
  auto modules = t.create(make_config(kPoints));
  if (!modules) {
    state.SkipWithError(modules.error().message.c_str());
    return;
  }
  auto& bus = t.bus;
  auto& hub = t.hub;
  const auto& values = t.services.get<datapoint::DatapointService>();
  std::vector<std::shared_ptr<CountingClient>> clients;
  for (int i = 0; i < kSubscribers; ++i) {
    auto c = std::make_shared<CountingClient>();
    auto id = hub.connect(c, [](std::string_view) { return true; });
    hub.on_message(id, R"({"type":"subscribe","feeds":["datapoint"]})");
    clients.push_back(c);
  }
  model::RawTagUpdate u;
  u.quality = model::Quality::good;
  std::uint64_t n = 0;
  double v = 0;
  for (auto _ : state) {
    u.index = static_cast<model::DatapointIndex>(n % kPoints);
    u.value = v;
    v += 0.5;
    if (v > 999'999) v = 0;
    bus.publish(u);
    if (++n % kFlushEvery == 0) {
      clock.advance(std::chrono::milliseconds(50));
      hub.flush();
    }
  }
  hub.flush();
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["accepted"] = static_cast<double>(values.accepted());
  state.counters["ws_bytes_per_client"] =
      static_cast<double>(clients.empty() ? 0 : clients[0]->bytes);
}
BENCHMARK(BM_DatapointPath)->Arg(0)->Arg(50)->Unit(benchmark::kNanosecond);

}  // namespace

// 0: no tracking module; 1: mode none; 2: mode bus; 3: mode file (in a temporary directory).
void BM_DatapointTracking(benchmark::State& state) {
  const int kPoints = 10'000;
  const auto variant = state.range(0);
  static const char* kModules[] = {
      "[]", R"([{"name": "tracking", "config": {"mode": "none"}}])",
      R"([{"name": "tracking", "config": {"mode": "bus", "ring_size": 100000}}])",
      R"([{"name": "tracking", "config": {"mode": "file", "ring_size": 100000,
           "rotate_bytes": 104857600, "rotate_keep": 1}}])"};
  ManualClock clock;
  ProcessOptions options;
  options.data_dir = "/tmp/weir-bench-tracking";
  module::TestHost t(clock, options);
  weir_register_datapoint_module(t.registry);
  weir_register_tracking_module(t.registry);
  auto modules = t.create(make_config(kPoints, kModules[variant]));
  if (!modules) {
    state.SkipWithError(modules.error().message.c_str());
    return;
  }
  model::RawTagUpdate u;
  u.quality = model::Quality::good;
  std::uint64_t n = 0;
  double v = 0;
  for (auto _ : state) {
    u.index = static_cast<model::DatapointIndex>(n % kPoints);
    u.value = v;
    v += 0.5;
    if (v > 999'999) v = 0;
    t.bus.publish(u);
    if (++n % 25'000 == 0) {
      clock.advance(std::chrono::milliseconds(50));
      (*modules)->tick();  // the file mode hands its batch to the writer here
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  static const char* kLabels[] = {"no tracking module", "tracking none", "tracking bus",
                                  "tracking file"};
  state.SetLabel(kLabels[variant]);
}
BENCHMARK(BM_DatapointTracking)->DenseRange(0, 3)->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
