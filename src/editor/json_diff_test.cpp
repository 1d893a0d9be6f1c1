#include "editor/json_diff.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace weir::editor {
namespace {

boost::json::value J(std::string_view s) {
  return json::parse(s).value();
}

TEST(JsonDiff, SameDocumentsHaveNoChanges) {
  auto d = diff_json(J(R"({"a":[1,2,{"b":1.0}]})"), J(R"({"a":[1,2,{"b":1}]})"));
  EXPECT_TRUE(d.changes.empty());
  EXPECT_FALSE(d.truncated);
}

TEST(JsonDiff, PathsOfAddedRemovedAndChanged) {
  auto d = diff_json(J(R"({"drivers":[{"name":"A","datapoints":[{"type":"F"}]}],"old":1})"),
                     J(R"({"drivers":[{"name":"A","datapoints":[{"type":"G"},{"type":"H"}]}],)"
                       R"("new":true})"));
  ASSERT_EQ(d.changes.size(), 4u);
  EXPECT_EQ(d.changes[0].path, "drivers[0].datapoints[0].type");
  EXPECT_EQ(d.changes[0].op, "changed");
  EXPECT_EQ(*d.changes[0].from, J(R"("F")"));
  EXPECT_EQ(*d.changes[0].to, J(R"("G")"));
  EXPECT_EQ(d.changes[1].path, "drivers[0].datapoints[1]");
  EXPECT_EQ(d.changes[1].op, "added");
  EXPECT_FALSE(d.changes[1].from);
  EXPECT_EQ(d.changes[2].path, "old");
  EXPECT_EQ(d.changes[2].op, "removed");
  EXPECT_EQ(d.changes[3].path, "new");
  EXPECT_EQ(d.changes[3].op, "added");
}

TEST(JsonDiff, KindChangeIsOneChange) {
  auto d = diff_json(J(R"({"a":{"x":1}})"), J(R"({"a":[1]})"));
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].path, "a");
  EXPECT_EQ(d.changes[0].op, "changed");
}

TEST(JsonDiff, BoundedNumberOfChanges) {
  auto d = diff_json(J("[1,2,3,4,5]"), J("[6,7,8,9,10]"), 3);
  EXPECT_EQ(d.changes.size(), 3u);
  EXPECT_TRUE(d.truncated);
  EXPECT_EQ(d.changes[0].path, "[0]");
}

}  // namespace
}  // namespace weir::editor
