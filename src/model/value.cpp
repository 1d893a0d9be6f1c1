#include "model/value.hpp"

#include <charconv>

#include "core/json.hpp"

namespace weir::model {

const char* to_string(ValueType t) {
  switch (t) {
    case ValueType::float_:
      return "float";
    case ValueType::int_:
      return "int";
    case ValueType::string:
      return "string";
    case ValueType::enum_:
      return "enum";
    case ValueType::bool_:
      return "bool";
  }
  return "float";
}

std::optional<ValueType> value_type_from_string(std::string_view s) {
  if (s == "float" || s == "double" || s == "number") return ValueType::float_;
  if (s == "int" || s == "integer") return ValueType::int_;
  if (s == "string" || s == "str") return ValueType::string;
  if (s == "enum") return ValueType::enum_;
  if (s == "bool" || s == "boolean") return ValueType::bool_;
  return std::nullopt;
}

boost::json::value to_json(const Value& v) {
  struct V {
    boost::json::value operator()(std::monostate) const { return nullptr; }
    boost::json::value operator()(bool b) const { return b; }
    boost::json::value operator()(std::int64_t i) const { return i; }
    boost::json::value operator()(double d) const { return d; }
    boost::json::value operator()(const std::string& s) const { return boost::json::string(s); }
  };
  return std::visit(V{}, v);
}

Value value_from_json(const boost::json::value& j) {
  switch (j.kind()) {
    case boost::json::kind::bool_:
      return j.get_bool();
    case boost::json::kind::int64:
      return j.get_int64();
    case boost::json::kind::uint64:
      return j.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)
                 ? Value{static_cast<std::int64_t>(j.get_uint64())}
                 : Value{static_cast<double>(j.get_uint64())};
    case boost::json::kind::double_:
      return j.get_double();
    case boost::json::kind::string:
      return std::string(j.get_string());
    default:
      return std::monostate{};
  }
}

std::string to_display(const Value& v) {
  struct V {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::string s;
      json::append_number(s, d);
      return s;
    }
    std::string operator()(const std::string& s) const { return s; }
  };
  return std::visit(V{}, v);
}

void append_json(std::string& out, const Value& v) {
  switch (v.index()) {
    case 0:
      out += "null";
      break;
    case 1:
      out += std::get<bool>(v) ? "true" : "false";
      break;
    case 2: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, std::get<std::int64_t>(v));
      out.append(buf, r.ptr);
      break;
    }
    case 3:
      json::append_number(out, std::get<double>(v));
      break;
    case 4:
      json::append_escaped(out, std::get<std::string>(v));
      break;
  }
}

}  // namespace weir::model
