#pragma once
// JSON Schema (OpenAPI 3.1 / AsyncAPI 3 dialect) derived from the same BOOST_DESCRIBE declaration
// that json.hpp encodes and decodes, so the documents can never drift from the code.
#include <boost/core/type_name.hpp>

#include "core/json.hpp"

namespace weir::json {

// Collects named component schemas ("#/components/schemas/Name") while schemas are built.
class SchemaRegistry {
 public:
  explicit SchemaRegistry(std::string ref_prefix = "#/components/schemas/")
      : prefix_(std::move(ref_prefix)) {}

  template <class T>
  boost::json::value schema();  // inline schema or a $ref to a registered component

  const boost::json::object& components() const { return components_; }
  // Optional per-member descriptions: "Type.member" -> text.
  void describe(std::string key, std::string text) { notes_[std::move(key)] = std::move(text); }

  template <class T>
  static std::string name_of() {
    std::string n = boost::core::type_name<T>();
    auto lt = n.find('<');
    auto pos = n.rfind("::", lt == std::string::npos ? std::string::npos : lt);
    return pos == std::string::npos ? n : n.substr(pos + 2);
  }

 private:
  std::string prefix_;
  boost::json::object components_;
  std::map<std::string, std::string> notes_;
};

template <class T>
boost::json::value SchemaRegistry::schema() {
  using boost::json::object;
  if constexpr (std::is_same_v<T, bool>) {
    return object{{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    object o{{"type", "integer"}};
    if constexpr (std::is_unsigned_v<T>) o["minimum"] = 0;
    return o;
  } else if constexpr (std::is_floating_point_v<T>) {
    return object{{"type", "number"}};
  } else if constexpr (std::is_same_v<T, std::string>) {
    return object{{"type", "string"}};
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    // Any JSON value. Spelled out rather than the empty schema {}, which Scalar's own document
    // check rejects (a property without "type").
    return object{
        {"type", boost::json::array{"string", "number", "boolean", "object", "array", "null"}}};
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    return object{{"type", "object"}};
  } else if constexpr (std::is_enum_v<T>) {
    boost::json::array names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
        [&](auto D) { names.emplace_back(D.name); });
    return object{{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (detail::is_optional<T>::value) {
    return schema<typename T::value_type>();
  } else if constexpr (detail::is_vector<T>::value) {
    return object{{"type", "array"}, {"items", schema<typename T::value_type>()}};
  } else if constexpr (detail::is_string_map<T>::value) {
    return object{{"type", "object"}, {"additionalProperties", schema<typename T::mapped_type>()}};
  } else {
    static_assert(is_described_struct_v<T>,
                  "schema: describe this type with BOOST_DESCRIBE_STRUCT");
    const std::string name = name_of<T>();
    if (!components_.contains(name)) {
      components_[name] = object{};  // placeholder breaks recursion
      object props;
      boost::json::array required;
      boost::mp11::mp_for_each<boost::describe::describe_members<
          T, boost::describe::mod_public | boost::describe::mod_inherited>>([&](auto D) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*D.pointer)>;
        boost::json::value s = schema<M>();
        auto note = notes_.find(name + "." + D.name);
        if (note != notes_.end() && s.is_object()) s.as_object()["description"] = note->second;
        props[D.name] = std::move(s);
        if constexpr (!detail::is_optional<M>::value) required.emplace_back(D.name);
      });
      object o{{"type", "object"}, {"properties", std::move(props)}};
      if (!required.empty()) o["required"] = std::move(required);
      components_[name] = std::move(o);
    }
    return object{{"$ref", prefix_ + name}};
  }
}

}  // namespace weir::json
