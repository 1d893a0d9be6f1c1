#include "historian/sample.hpp"

#include <cmath>
#include <string_view>

namespace weir::historian {

std::optional<ValueKind> kind_of(model::ValueType t) {
  switch (t) {
    case model::ValueType::float_:
      return ValueKind::float_;
    case model::ValueType::int_:
      return ValueKind::int_;
    case model::ValueType::bool_:
      return ValueKind::bool_;
    case model::ValueType::string:
      return ValueKind::string;
    case model::ValueType::enum_:
      return ValueKind::enum_;
  }
  return std::nullopt;
}

const char* kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::float_:
      return "float";
    case ValueKind::int_:
      return "int";
    case ValueKind::bool_:
      return "bool";
    case ValueKind::string:
      return "string";
    case ValueKind::enum_:
      return "enum";
  }
  return "?";
}

std::optional<ValueKind> kind_from_name(std::string_view s) {
  for (auto k :
       {ValueKind::float_, ValueKind::int_, ValueKind::bool_, ValueKind::string, ValueKind::enum_})
    if (s == kind_name(k)) return k;
  return std::nullopt;
}

std::optional<double> numeric(const model::Value& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return std::nullopt;
    return *d;
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

}  // namespace weir::historian
