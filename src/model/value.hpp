#pragma once
// A datapoint value and its type. Enum values are held as their symbol string ("OPENED").
#include <boost/describe.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace weir::model {

enum class ValueType { float_, int_, string, enum_, bool_ };

// Config spelling: "float", "int", "string", "enum", "bool".
const char* to_string(ValueType t);
std::optional<ValueType> value_type_from_string(std::string_view s);

using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

boost::json::value to_json(const Value& v);
Value value_from_json(const boost::json::value& j);  // monostate for null/arrays/objects
std::string to_display(const Value& v);              // "42", "1.5", "OPENED", "true"
void append_json(std::string& out, const Value& v);  // fast path for the live feed

// The type of a datapoint as resolved from `dp_types`.
struct DatapointType {
  std::string name;  // "LEVEL"
  ValueType type = ValueType::float_;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> values;  // enum symbols
  Value default_value;
  std::string unit;

  bool is_two_state() const { return type == ValueType::enum_ && values.size() == 2; }
};

}  // namespace weir::model
