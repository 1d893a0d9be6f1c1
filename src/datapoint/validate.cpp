#include "datapoint/validate.hpp"

#include <cmath>

namespace weir::datapoint {

const char* to_string(Rejection r) {
  switch (r) {
    case Rejection::none:
      return "none";
    case Rejection::unknown_datapoint:
      return "unknown_datapoint";
    case Rejection::config_error:
      return "config_error";
    case Rejection::wrong_type:
      return "wrong_type";
    case Rejection::out_of_range:
      return "out_of_range";
    case Rejection::not_in_enum:
      return "not_in_enum";
    case Rejection::stale:
      return "stale";
    case Rejection::too_long:
      return "too_long";
  }
  return "none";
}

namespace {
Rejection fail(Rejection r, std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return r;
}
std::string range_text(const model::DatapointType& t) {
  std::string s = "[";
  s += t.min ? model::to_display(model::Value{*t.min}) : "-inf";
  s += ", ";
  s += t.max ? model::to_display(model::Value{*t.max}) : "inf";
  return s + "]";
}
}  // namespace

Rejection validate_value(const model::DatapointType& type, model::Value& value, std::string* why) {
  using model::ValueType;
  switch (type.type) {
    case ValueType::float_: {
      double d;
      if (auto* i = std::get_if<std::int64_t>(&value))
        d = static_cast<double>(*i);
      else if (auto* f = std::get_if<double>(&value))
        d = *f;
      else
        return fail(Rejection::wrong_type, why, "expected a number for type " + type.name);
      if (!std::isfinite(d)) return fail(Rejection::wrong_type, why, "expected a finite number");
      if ((type.min && d < *type.min) || (type.max && d > *type.max))
        return fail(Rejection::out_of_range, why,
                    model::to_display(model::Value{d}) + " is outside " + type.name + " range " +
                        range_text(type));
      value = d;
      return Rejection::none;
    }
    case ValueType::int_: {
      std::int64_t i;
      if (auto* p = std::get_if<std::int64_t>(&value))
        i = *p;
      else if (auto* f = std::get_if<double>(&value);
               f && std::isfinite(*f) && std::floor(*f) == *f && std::fabs(*f) < 9e15)
        i = static_cast<std::int64_t>(*f);
      else
        return fail(Rejection::wrong_type, why, "expected an integer for type " + type.name);
      if ((type.min && static_cast<double>(i) < *type.min) ||
          (type.max && static_cast<double>(i) > *type.max))
        return fail(Rejection::out_of_range, why,
                    std::to_string(i) + " is outside " + type.name + " range " + range_text(type));
      value = i;
      return Rejection::none;
    }
    case ValueType::bool_:
      if (!std::holds_alternative<bool>(value))
        return fail(Rejection::wrong_type, why, "expected a boolean for type " + type.name);
      return Rejection::none;
    case ValueType::string: {
      auto* s = std::get_if<std::string>(&value);
      if (!s) return fail(Rejection::wrong_type, why, "expected a string for type " + type.name);
      if (s->size() > 4096) return fail(Rejection::too_long, why, "string longer than 4096 bytes");
      return Rejection::none;
    }
    case ValueType::enum_: {
      auto* s = std::get_if<std::string>(&value);
      if (!s)
        return fail(Rejection::wrong_type, why, "expected one of the symbols of " + type.name);
      for (const auto& v : type.values)
        if (v == *s) return Rejection::none;
      std::string list;
      for (const auto& v : type.values) list += (list.empty() ? "" : ", ") + v;
      return fail(Rejection::not_in_enum, why,
                  "\"" + *s + "\" is not one of " + type.name + " (" + list + ")");
    }
  }
  return fail(Rejection::wrong_type, why, "unsupported type");
}

}  // namespace weir::datapoint
