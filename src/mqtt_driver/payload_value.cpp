#include "mqtt_driver/payload_value.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>

#include "core/json.hpp"

namespace weir::mqtt_driver {

using model::Value;
using model::ValueType;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto l = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (l(a[i]) != l(b[i])) return false;
  }
  return true;
}

std::string key_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_null()) return "null";
  return json::dump(v);
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<bool> parse_bool(std::string_view s) {
  s = trim(s);
  for (auto t : {"true", "1", "on", "yes", "online"})
    if (iequals(s, t)) return true;
  for (auto f : {"false", "0", "off", "no", "offline"})
    if (iequals(s, f)) return false;
  return std::nullopt;
}

Error wrong(const std::string& what, const boost::json::value& raw) {
  std::string text = key_text(raw);
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return bad_request("wrong_type", "expected " + what + ", got " + text);
}

}  // namespace

Result<Value> convert_value(const boost::json::value& raw_in, const model::DatapointType* type,
                            const std::map<std::string, std::string>& map) {
  boost::json::value raw = raw_in;
  if (!map.empty()) {
    auto it = map.find(key_text(raw));
    if (it == map.end())
      for (auto i = map.begin(); i != map.end(); ++i)
        if (iequals(i->first, key_text(raw))) it = i;
    if (it == map.end()) return bad_request("unmapped", "no mapping for \"" + key_text(raw) + "\"");
    raw = boost::json::string(it->second);
  }
  if (!type) {
    Value v = model::value_from_json(raw);
    if (std::holds_alternative<std::monostate>(v)) return wrong("a scalar", raw);
    return v;
  }
  switch (type->type) {
    case ValueType::float_:
    case ValueType::int_: {
      std::optional<double> d;
      if (raw.is_number())
        d = raw.to_number<double>();
      else if (raw.is_string())
        d = parse_number(raw.get_string());
      if (!d) return wrong("a number", raw);
      if (type->type == ValueType::float_) return Value{*d};
      if (std::trunc(*d) != *d || std::fabs(*d) > 9.0e15) return wrong("an integer", raw);
      return Value{static_cast<std::int64_t>(*d)};
    }
    case ValueType::bool_: {
      if (raw.is_bool()) return Value{raw.get_bool()};
      std::optional<bool> b;
      if (raw.is_string())
        b = parse_bool(raw.get_string());
      else if (raw.is_number())
        b = raw.to_number<double>() != 0;
      if (!b) return wrong("a boolean", raw);
      return Value{*b};
    }
    case ValueType::string:
      if (raw.is_string()) return Value{std::string(raw.get_string())};
      return Value{key_text(raw)};
    case ValueType::enum_: {
      auto pick = [&](std::string_view want) -> std::optional<std::string> {
        for (const auto& s : type->values)
          if (s == want) return s;
        for (const auto& s : type->values)
          if (iequals(s, want)) return s;
        return std::nullopt;
      };
      if (raw.is_string()) {
        if (auto s = pick(trim(raw.get_string()))) return Value{*s};
      }
      std::optional<bool> b;
      if (raw.is_bool())
        b = raw.get_bool();
      else if (raw.is_string())
        b = parse_bool(raw.get_string());
      if (b) {
        static constexpr std::array<const char*, 6> yes{"TRUE",   "ON",      "ONLINE",
                                                        "OPENED", "STARTED", "YES"};
        static constexpr std::array<const char*, 6> no{"FALSE",  "OFF",     "OFFLINE",
                                                       "CLOSED", "STOPPED", "NO"};
        for (const char* c : *b ? yes : no)
          if (auto s = pick(c)) return Value{*s};
      }
      std::string expected = "one of";
      for (const auto& s : type->values) expected += " " + s;
      return wrong(expected, raw);
    }
  }
  return wrong("a value", raw);
}

Result<boost::json::value> parse_json_payload(std::string_view payload) {
  if (payload.size() > kMaxJsonPayload)
    return Error::make(ErrorKind::too_large, "too_large", "JSON payload over 64 KiB");
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 32;
  auto v = boost::json::parse(payload, ec, {}, opts);
  if (ec) return bad_request("malformed_json", "malformed JSON: " + ec.message());
  return v;
}

const boost::json::value* find_field(const boost::json::value& doc, std::string_view path) {
  const boost::json::value* cur = &doc;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

}  // namespace weir::mqtt_driver
