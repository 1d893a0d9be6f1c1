#pragma once
// A structural diff of two JSON documents: every JSON path whose value was added, removed or
// changed, in document order. Objects are compared key by key; arrays index by index (an element
// inserted in the middle shows as changes from there on: the named summary in config_changes.hpp
// matches drivers, datapoints and rules by name instead). Pure.
#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace weir::editor {

struct JsonChange {
  std::string path;  // "drivers[2].datapoints[0].type"; "" is the whole document
  std::string op;    // "added", "removed" or "changed"
  std::optional<boost::json::value> from;  // removed, changed
  std::optional<boost::json::value> to;    // added, changed
};
BOOST_DESCRIBE_STRUCT(JsonChange, (), (path, op, from, to))

struct JsonDiff {
  std::vector<JsonChange> changes;
  bool truncated = false;  // more than max_changes: the first ones only
};
BOOST_DESCRIBE_STRUCT(JsonDiff, (), (changes, truncated))

JsonDiff diff_json(const boost::json::value& from, const boost::json::value& to,
                   std::size_t max_changes = 2000);

}  // namespace weir::editor
