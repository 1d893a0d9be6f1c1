#pragma once
// Weir's side of the demo payloads: describes the plain structs of payloads.hpp so weir::json
// encodes/decodes them (with path-aware errors) and json::SchemaRegistry derives their schemas
// for the AsyncAPI document. Not for the ESP32 (no Boost there): it uses payloads.hpp alone.
#include <boost/describe.hpp>

#include "weir_demo/payloads.hpp"

namespace weir::devices {

BOOST_DESCRIBE_STRUCT(SensorReading, (), (temperature, humidity, threshold, over_threshold, unit))
BOOST_DESCRIBE_STRUCT(PeerView, (), (id, presence, over_threshold))
BOOST_DESCRIBE_STRUCT(BuzzerState, (), (playing, mode, step, melody, peer, since, reason))

}  // namespace weir::devices
