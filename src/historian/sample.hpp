#pragma once
// One stored value of one tag: what the historian keeps of a model::TagUpdate. Times are Unix
// milliseconds (source: when the device measured it; server: when Weir accepted it).
#include <cstdint>
#include <optional>
#include <string>

#include "model/quality.hpp"
#include "model/value.hpp"

namespace weir::historian {

// How a tag's values are encoded in its chunks (one kind per tag, from its datapoint type).
enum class ValueKind : std::uint8_t { float_ = 1, int_ = 2, bool_ = 3, string = 4, enum_ = 5 };

std::optional<ValueKind> kind_of(model::ValueType t);
const char* kind_name(ValueKind k);
std::optional<ValueKind> kind_from_name(std::string_view s);

struct Sample {
  std::int64_t source_ms = 0;
  std::int64_t server_ms = 0;
  model::Value value;  // monostate: no value (a bad reading without one)
  model::Quality quality = model::Quality::good;
  model::QualityReason reason = model::QualityReason::none;
  friend bool operator==(const Sample&, const Sample&) = default;
};

// The value as a number for rollups (float, int, bool); nullopt for text, NaN and no value.
std::optional<double> numeric(const model::Value& v);

}  // namespace weir::historian
