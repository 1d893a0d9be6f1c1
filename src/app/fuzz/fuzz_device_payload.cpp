// libFuzzer target: what devices publish, as Weir's drivers read it — a JSON payload followed to
// a field and converted for each datapoint type (src/mqtt_driver), and the demo's readings,
// override commands and presence (src/demo, shared with the ESP32). Input: "<path>\n<payload>".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mqtt_driver/payload_value.hpp"
#include "weir_demo/crosslink.hpp"
#include "weir_demo/payloads.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  auto nl = all.find('\n');
  std::string_view path = nl == std::string_view::npos ? std::string_view{} : all.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? all : all.substr(nl + 1);

  if (auto doc = mqtt_driver::parse_json_payload(payload)) {
    if (const auto* field = mqtt_driver::find_field(*doc, path)) {
      static const model::DatapointType types[] = {
          {"F", model::ValueType::float_, 0.0, 100.0, {}, {}, {}},
          {"E", model::ValueType::enum_, {}, {}, {"ONLINE", "OFFLINE"}, {}, {}},
          {"B", model::ValueType::bool_, {}, {}, {}, {}, {}},
          {"I", model::ValueType::int_, -5.0, 5.0, {}, {}, {}},
          {"S", model::ValueType::string, {}, {}, {}, {}, {}},
      };
      (void)mqtt_driver::convert_value(*field, nullptr);
      for (const auto& t : types)
        (void)mqtt_driver::convert_value(*field, &t, {{"true", "ONLINE"}});
    }
  }
  auto reading = devices::parse_reading(payload);
  if (!reading.ok && reading.error.empty()) std::abort();  // a refusal says why
  auto ov = devices::parse_override(payload);
  if (!ov.ok && *ov.reason == 0) std::abort();
  auto pr = devices::parse_presence(payload);
  if (!pr.ok && *pr.reason == 0) std::abort();
  return 0;
}
