#include "editor/config_changes.hpp"

#include <map>

namespace weir::editor {
namespace {

using Named = std::map<std::string, boost::json::value>;  // sorted: stable output

const boost::json::value* member(const boost::json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  return v.get_object().if_contains(key);
}

std::string text_of(const boost::json::value* v) {
  if (v && v->is_string()) return std::string(v->get_string());
  return {};
}

// Entries of an array keyed by a member (or their index when it is missing or repeated).
Named array_by(const boost::json::value* arr, std::string_view key) {
  Named out;
  if (!arr || !arr->is_array()) return out;
  std::size_t i = 0;
  for (const auto& e : arr->get_array()) {
    std::string name = text_of(member(e, key));
    if (name.empty() || out.contains(name)) name = "[" + std::to_string(i) + "]";
    out.emplace(std::move(name), e);
    ++i;
  }
  return out;
}

Named object_by_key(const boost::json::value* obj) {
  Named out;
  if (!obj || !obj->is_object()) return out;
  for (const auto& kv : obj->get_object()) out.emplace(std::string(kv.key()), kv.value());
  return out;
}

Named datapoints_of(const boost::json::value& doc, std::string_view list) {
  Named out;
  const auto* drivers = member(doc, "drivers");
  if (!drivers || !drivers->is_array()) return out;
  for (const auto& d : drivers->get_array()) {
    const std::string driver = text_of(member(d, "name"));
    const auto* dps = member(d, list);
    if (!dps || !dps->is_array()) continue;
    for (const auto& dp : dps->get_array()) {
      std::string name = text_of(member(dp, "name"));
      // A name with '@' mirrors another driver's tag: the id is the name itself.
      std::string id = name.find('@') != std::string::npos ? name : driver + "@" + name;
      out.emplace(std::move(id), dp);
    }
  }
  return out;
}

void compare(std::vector<SectionChanges>& out, std::string section, const Named& a,
             const Named& b) {
  SectionChanges c{std::move(section), {}, {}, {}};
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      c.removed.push_back(k);
    else if (it->second != v)
      c.changed.push_back(k);
  }
  for (const auto& [k, v] : b)
    if (!a.contains(k)) c.added.push_back(k);
  if (!c.added.empty() || !c.removed.empty() || !c.changed.empty()) out.push_back(std::move(c));
}

}  // namespace

std::vector<SectionChanges> summarize_changes(const boost::json::value& from,
                                              const boost::json::value& to) {
  std::vector<SectionChanges> out;
  auto arr = [&](std::string_view key, std::string_view by) {
    compare(out, std::string(key), array_by(member(from, key), by), array_by(member(to, key), by));
  };
  auto obj = [&](std::string_view key) {
    compare(out, std::string(key), object_by_key(member(from, key)),
            object_by_key(member(to, key)));
  };
  arr("drivers", "name");
  compare(out, "datapoints", datapoints_of(from, "datapoints"), datapoints_of(to, "datapoints"));
  compare(out, "command_datapoints", datapoints_of(from, "command_datapoints"),
          datapoints_of(to, "command_datapoints"));
  arr("rules", "rule_id");
  arr("modules", "name");
  obj("dp_types");
  obj("animations");
  arr("gis_icons", "id");
  arr("streams", "id");
  arr("svg_files", "name");
  // Every other top-level key, compared whole.
  static constexpr std::string_view kNamed[] = {"drivers",    "rules",     "modules", "dp_types",
                                                "animations", "gis_icons", "streams", "svg_files"};
  Named a, b;
  auto rest = [&](const boost::json::value& doc, Named& into) {
    if (!doc.is_object()) return;
    for (const auto& kv : doc.get_object()) {
      bool named = false;
      for (auto k : kNamed) named = named || kv.key() == k;
      if (!named) into.emplace(std::string(kv.key()), kv.value());
    }
  };
  rest(from, a);
  rest(to, b);
  compare(out, "other", a, b);
  return out;
}

}  // namespace weir::editor
