#pragma once
// Settings structs (a module's `config`, a driver's `params`) declared once with
// BOOST_DESCRIBE_STRUCT, decoded from JSON and described as JSON Schema from that declaration.
// Unlike DTOs, every member has a default (the struct's initialiser): a missing key keeps it.
// An unknown key is refused, naming its JSON path and the keys that exist, so a typo in a
// configuration file is an error and not a silently ignored setting.
#include <boost/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/json_schema.hpp"

namespace weir::json {

template <class T>
Status decode_settings(const boost::json::value& j, T& out, const std::string& path);

namespace detail {

// A vector / optional of settings structs (checked without naming value_type of a non-class).
template <class T>
struct is_struct_vector : std::false_type {};
template <class T, class A>
struct is_struct_vector<std::vector<T, A>> : std::bool_constant<is_described_struct_v<T>> {};
template <class T>
struct is_struct_optional : std::false_type {};
template <class T>
struct is_struct_optional<std::optional<T>> : std::bool_constant<is_described_struct_v<T>> {};

template <class T>
std::string member_names() {
  std::string names;
  boost::mp11::mp_for_each<boost::describe::describe_members<
      T, boost::describe::mod_public | boost::describe::mod_inherited>>([&](auto D) {
    if (!names.empty()) names += ", ";
    names += D.name;
  });
  return names;
}

template <class M>
Status decode_setting(const boost::json::value& j, M& out, const std::string& path) {
  if constexpr (is_described_struct_v<M>) {
    return decode_settings(j, out, path);
  } else if constexpr (is_struct_vector<M>::value) {
    if (!j.is_array())
      return bad_request("invalid_type", path + ": expected an array, got " + kind_name(j.kind()),
                         path);
    out.clear();
    std::size_t i = 0;
    for (const auto& e : j.get_array()) {
      typename M::value_type v{};
      if (auto st = decode_settings(e, v, index_path(path, i++)); !st) return st;
      out.push_back(std::move(v));
    }
    return {};
  } else if constexpr (is_struct_optional<M>::value) {
    if (j.is_null()) {
      out.reset();
      return {};
    }
    typename M::value_type v{};
    if (auto st = decode_settings(j, v, path); !st) return st;
    out = std::move(v);
    return {};
  } else {
    return from_json(j, out, path);
  }
}

template <class M>
boost::json::value setting_schema(SchemaRegistry& reg);

template <class T>
boost::json::object settings_object_schema(SchemaRegistry& reg) {
  const T defaults{};
  boost::json::object props;
  boost::mp11::mp_for_each<boost::describe::describe_members<
      T, boost::describe::mod_public | boost::describe::mod_inherited>>([&](auto D) {
    using M = std::remove_cvref_t<decltype(defaults.*D.pointer)>;
    boost::json::value s = setting_schema<M>(reg);
    if (s.is_object()) {
      if constexpr (!is_described_struct_v<M>)
        s.as_object()["default"] = to_json(defaults.*D.pointer);
    }
    props[D.name] = std::move(s);
  });
  return boost::json::object{
      {"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
}

template <class M>
boost::json::value setting_schema(SchemaRegistry& reg) {
  if constexpr (is_described_struct_v<M>) {
    return settings_object_schema<M>(reg);
  } else if constexpr (is_struct_vector<M>::value) {
    return boost::json::object{{"type", "array"},
                               {"items", settings_object_schema<typename M::value_type>(reg)}};
  } else if constexpr (is_struct_optional<M>::value) {
    return settings_object_schema<typename M::value_type>(reg);
  } else {
    return reg.schema<M>();
  }
}

}  // namespace detail

// Overlays the keys of `j` (an object, or null for "all defaults") on `out`.
template <class T>
Status decode_settings(const boost::json::value& j, T& out, const std::string& path) {
  static_assert(is_described_struct_v<T>, "settings: describe with BOOST_DESCRIBE_STRUCT");
  if (j.is_null()) return {};
  if (!j.is_object())
    return bad_request("invalid_type",
                       (path.empty() ? std::string("settings") : path) +
                           ": expected an object, got " + kind_name(j.kind()),
                       path);
  for (const auto& kv : j.get_object()) {
    bool known = false;
    Status st;
    const std::string key(kv.key());
    boost::mp11::mp_for_each<boost::describe::describe_members<
        T, boost::describe::mod_public | boost::describe::mod_inherited>>([&](auto D) {
      if (known || key != D.name) return;
      known = true;
      st = detail::decode_setting(kv.value(), out.*D.pointer, join_path(path, key));
    });
    if (!known)
      return bad_request("unknown_setting",
                         join_path(path, key) + ": unknown setting (known: " +
                             (detail::member_names<T>().empty() ? std::string("none")
                                                                : detail::member_names<T>()) +
                             ")",
                         join_path(path, key));
    if (!st) return st;
  }
  return {};
}

// The JSON Schema of a settings struct, inline (no $ref), with each member's default.
template <class T>
boost::json::value settings_schema() {
  SchemaRegistry reg("#/$defs/");
  auto s = detail::settings_object_schema<T>(reg);
  if (!reg.components().empty()) s["$defs"] = reg.components();
  return s;
}

}  // namespace weir::json
