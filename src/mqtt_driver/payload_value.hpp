#pragma once
// Turning what a device sends (a plain MQTT payload, or one field of a JSON payload) into a
// datapoint value of the right type, before DatapointService validates it like any other update.
// Deliberately tolerant where the meaning is unambiguous: "21.5" for a float, true for an enum
// with TRUE/FALSE (or ON/OFF) symbols, "online" for the symbol ONLINE (case-insensitive).
#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "model/value.hpp"

namespace weir::mqtt_driver {

inline constexpr std::size_t kMaxJsonPayload = 64 * 1024;

// The text form a `map` is keyed on: strings as they are, true/false, numbers as dump() writes
// them.
std::string key_text(const boost::json::value& v);

// Converts `raw` for a datapoint of `type` (null type: the value as JSON gives it). `map` (may be
// empty) first translates the raw text form into another value ({"true": "PLAYING"}).
Result<model::Value> convert_value(const boost::json::value& raw, const model::DatapointType* type,
                                   const std::map<std::string, std::string>& map = {});

// Parses a JSON payload (bounded) and follows a dotted path ("peer.presence"); "" is the whole
// document. Errors say what is wrong.
Result<boost::json::value> parse_json_payload(std::string_view payload);
const boost::json::value* find_field(const boost::json::value& doc, std::string_view dotted_path);

bool iequals(std::string_view a, std::string_view b);

}  // namespace weir::mqtt_driver
