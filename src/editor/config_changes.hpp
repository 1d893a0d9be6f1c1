#pragma once
// "What would change" between two system_config.json documents, by name: drivers (by name),
// datapoints and command datapoints (by full id Driver@TAG), rules (rule_id), modules (name),
// dp_types and animations (key), gis_icons and streams (id), svg_files (name). An entry present
// on both sides whose JSON differs is "changed". Pure: two JSON values in, lists out.
#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <string>
#include <vector>

namespace weir::editor {

struct SectionChanges {
  std::string section;  // "drivers", "datapoints", "command_datapoints", "rules", ...
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
};
BOOST_DESCRIBE_STRUCT(SectionChanges, (), (section, added, removed, changed))

// One entry per section that differs, in a fixed order; other top-level keys that differ are
// listed under the section "other".
std::vector<SectionChanges> summarize_changes(const boost::json::value& from,
                                              const boost::json::value& to);

}  // namespace weir::editor
