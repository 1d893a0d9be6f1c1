#pragma once
// One declaration per message: a struct described with BOOST_DESCRIBE_STRUCT gets its JSON form
// (to_json / from_json, with path-aware errors) and its JSON Schema (json_schema.hpp) from here.
//
//   struct Reading { double temperature; std::optional<std::string> unit; };
//   BOOST_DESCRIBE_STRUCT(Reading, (), (temperature, unit))
//
// Supported member types: bool, integers, floating point, std::string, described enums (as
// their enumerator name), std::optional (omitted when empty), std::vector, std::map<string,T>,
// boost::json::value (any JSON), and nested described structs.
#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"

namespace weir::json {

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};
}  // namespace detail

template <class T>
inline constexpr bool is_described_struct_v =
    boost::describe::has_describe_members<T>::value&& std::is_class_v<T>;

template <class E>
const char* enum_name(E e) {
  const char* r = "";
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
    if (D.value == e) r = D.name;
  });
  return r;
}

template <class E>
bool enum_from_name(std::string_view s, E& out) {
  bool found = false;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
    if (!found && s == D.name) {
      out = D.value;
      found = true;
    }
  });
  return found;
}

// ---- encoding ---------------------------------------------------------------------------------
template <class T>
boost::json::value to_json(const T& v);

template <class T>
void put_member(boost::json::object& o, std::string_view name, const T& v) {
  if constexpr (detail::is_optional<T>::value) {
    if (v) o.emplace(name, to_json(*v));
  } else {
    o.emplace(name, to_json(v));
  }
}

template <class T>
boost::json::value to_json(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return boost::json::value(v);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return boost::json::value(static_cast<std::int64_t>(v));
  } else if constexpr (std::is_integral_v<T>) {
    return boost::json::value(static_cast<std::uint64_t>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return boost::json::value(static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return boost::json::value(boost::json::string_view(v));
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    return v;
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    return boost::json::value(v);
  } else if constexpr (std::is_enum_v<T>) {
    return boost::json::value(enum_name(v));
  } else if constexpr (detail::is_optional<T>::value) {
    return v ? to_json(*v) : boost::json::value(nullptr);
  } else if constexpr (detail::is_vector<T>::value) {
    boost::json::array a;
    a.reserve(v.size());
    for (const auto& e : v) a.push_back(to_json(e));
    return a;
  } else if constexpr (detail::is_string_map<T>::value) {
    boost::json::object o;
    for (const auto& [k, e] : v) o.emplace(k, to_json(e));
    return o;
  } else {
    static_assert(is_described_struct_v<T>,
                  "to_json: describe this type with BOOST_DESCRIBE_STRUCT");
    boost::json::object o;
    boost::mp11::mp_for_each<boost::describe::describe_members<
        T, boost::describe::mod_public | boost::describe::mod_inherited>>(
        [&](auto D) { put_member(o, D.name, v.*D.pointer); });
    return o;
  }
}

// dump(): serialises like boost::json::serialize but writes numbers the way people expect (1.5, not
// 1.5E0): shortest round-trip form from std::to_chars.
std::string dump(const boost::json::value& v);
void dump_to(std::string& out, const boost::json::value& v);
void append_escaped(std::string& out, std::string_view s);  // writes "s" with JSON escapes
void append_number(std::string& out, double d);

template <class T>
std::string to_string(const T& v) {
  return dump(to_json(v));
}

// ---- decoding ---------------------------------------------------------------------------------
std::string join_path(std::string_view base, std::string_view member);
std::string index_path(std::string_view base, std::size_t i);
const char* kind_name(boost::json::kind k);

template <class T>
Status from_json(const boost::json::value& j, T& out, const std::string& path = "");

template <class T>
Status from_json(const boost::json::value& j, T& out, const std::string& path) {
  auto fail = [&](const std::string& want) -> Status {
    return bad_request("invalid_type",
                       (path.empty() ? std::string("value") : path) + ": expected " + want +
                           ", got " + kind_name(j.kind()),
                       path);
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_bool()) return fail("a boolean");
    out = j.get_bool();
  } else if constexpr (std::is_integral_v<T>) {
    std::int64_t i;
    if (j.is_int64()) {
      i = j.get_int64();
    } else if (j.is_uint64() && j.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      i = static_cast<std::int64_t>(j.get_uint64());
    } else if (j.is_double() &&
               j.get_double() == static_cast<double>(static_cast<std::int64_t>(j.get_double()))) {
      i = static_cast<std::int64_t>(j.get_double());
    } else {
      return fail("an integer");
    }
    if constexpr (std::is_unsigned_v<T>) {
      if (i < 0 || static_cast<std::uint64_t>(i) > std::numeric_limits<T>::max())
        return fail("a non-negative integer in range");
    } else {
      if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max())
        return fail("an integer in range");
    }
    out = static_cast<T>(i);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) return fail("a number");
    out = static_cast<T>(j.to_number<double>());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return fail("a string");
    out.assign(j.get_string().data(), j.get_string().size());
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    out = j;
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    if (!j.is_object()) return fail("an object");
    out = j.get_object();
  } else if constexpr (std::is_enum_v<T>) {
    if (!j.is_string() || !enum_from_name(std::string_view(j.get_string()), out)) {
      std::string names;
      boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto D) {
        if (!names.empty()) names += ", ";
        names += D.name;
      });
      return fail("one of " + names);
    }
  } else if constexpr (detail::is_optional<T>::value) {
    if (j.is_null()) {
      out.reset();
    } else {
      typename T::value_type v{};
      auto r = from_json(j, v, path);
      if (!r) return r;
      out = std::move(v);
    }
  } else if constexpr (detail::is_vector<T>::value) {
    if (!j.is_array()) return fail("an array");
    out.clear();
    out.reserve(j.get_array().size());
    std::size_t i = 0;
    for (const auto& e : j.get_array()) {
      typename T::value_type v{};
      auto r = from_json(e, v, index_path(path, i++));
      if (!r) return r;
      out.push_back(std::move(v));
    }
  } else if constexpr (detail::is_string_map<T>::value) {
    if (!j.is_object()) return fail("an object");
    out.clear();
    for (const auto& kv : j.get_object()) {
      typename T::mapped_type v{};
      std::string key(kv.key());
      auto r = from_json(kv.value(), v, join_path(path, key));
      if (!r) return r;
      out.emplace(std::move(key), std::move(v));
    }
  } else {
    static_assert(is_described_struct_v<T>,
                  "from_json: describe this type with BOOST_DESCRIBE_STRUCT");
    if (!j.is_object()) return fail("an object");
    const auto& o = j.get_object();
    Status st;
    boost::mp11::mp_for_each<boost::describe::describe_members<
        T, boost::describe::mod_public | boost::describe::mod_inherited>>([&](auto D) {
      if (!st) return;
      using M = std::remove_cvref_t<decltype(out.*D.pointer)>;
      auto it = o.find(D.name);
      if (it == o.end()) {
        if constexpr (!detail::is_optional<M>::value) {
          st = bad_request("missing_field", join_path(path, D.name) + ": required field is missing",
                           join_path(path, D.name));
        }
        return;
      }
      st = from_json(it->value(), out.*D.pointer, join_path(path, D.name));
    });
    return st;
  }
  return {};
}

// Parses text as JSON; the error says where (line:column) and why.
Result<boost::json::value> parse(std::string_view text, std::size_t max_depth = 64);

template <class T>
Result<T> decode(std::string_view text) {
  auto v = parse(text);
  if (!v) return v.error();
  T out{};
  auto st = from_json(*v, out);
  if (!st) return st.error();
  return out;
}

}  // namespace weir::json
