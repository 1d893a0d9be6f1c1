#pragma once
// Checks a value against a datapoint type, normalising where the meaning is unambiguous
// (an integer sent for a float). Shared by datapoint writes and commands.
#include <string>

#include "model/value.hpp"

namespace weir::datapoint {

enum class Rejection {
  none,
  unknown_datapoint,
  config_error,
  wrong_type,
  out_of_range,
  not_in_enum,
  stale,
  too_long
};

const char* to_string(Rejection r);

// On success returns Rejection::none and may rewrite `value` into the type's canonical form.
Rejection validate_value(const model::DatapointType& type, model::Value& value,
                         std::string* why = nullptr);

}  // namespace weir::datapoint
