#include "mqtt/broker/broker_options.hpp"

#include "core/json.hpp"

namespace weir::mqtt {

Result<BrokerOptions> broker_options_from_json(const boost::json::value& config) {
  if (!config.is_object())
    return bad_request("invalid_type", "mqtt_broker config: expected an object");
  boost::json::value merged = json::to_json(BrokerOptions{});
  for (const auto& kv : config.get_object()) {
    if (!merged.get_object().contains(kv.key()))
      return bad_request("unknown_field", std::string(kv.key()) + ": unknown mqtt_broker setting",
                         std::string(kv.key()));
    merged.get_object()[kv.key()] = kv.value();
  }
  BrokerOptions out;
  auto st = json::from_json(merged, out);
  if (!st) return st.error();
  if (out.max_inflight == 0)
    return bad_request("out_of_range", "max_inflight: must be at least 1", "max_inflight");
  if (out.maximum_qos > 2)
    return bad_request("out_of_range", "maximum_qos: must be 0, 1 or 2", "maximum_qos");
  if (out.max_packet_size < 64)
    return bad_request("out_of_range", "max_packet_size: must be at least 64", "max_packet_size");
  if (out.persistence_wal_max_mb < 1 || out.persistence_wal_max_mb > 4096)
    return bad_request("out_of_range", "persistence_wal_max_mb: must be 1 to 4096",
                       "persistence_wal_max_mb");
  return out;
}

}  // namespace weir::mqtt
