#include "editor/expression_check.hpp"

#include <gtest/gtest.h>

namespace weir::editor {
namespace {

expression::Resolver tank_only() {
  return [](std::string_view id) -> std::optional<expression::DatapointRef> {
    if (id == "Tank@LEVEL") return expression::DatapointRef{0, nullptr};
    return std::nullopt;
  };
}

TEST(ExpressionCheck, RuleOkWithType) {
  auto r = check_expression("Tank@LEVEL > 5", ExpressionKind::rule, tank_only());
  EXPECT_TRUE(r.ok) << r.error.value_or("");
  EXPECT_EQ(r.type, "boolean");
  EXPECT_FALSE(r.column);
}

TEST(ExpressionCheck, UnknownDatapointAtItsColumn) {
  auto r =
      check_expression("Tank@LEVEL > 5 and\n  Tank@LEVLE < 3", ExpressionKind::rule, tank_only());
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.line && r.column) << r.error.value_or("");
  EXPECT_EQ(*r.line, 2u);
  EXPECT_EQ(*r.column, 3u);
  EXPECT_NE(r.error->find("Tank@LEVLE"), std::string::npos) << *r.error;
}

TEST(ExpressionCheck, SyntaxErrorColumn) {
  auto r = check_expression("Tank@LEVEL > ", ExpressionKind::rule, tank_only());
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.column);
  EXPECT_EQ(*r.line, 1u);
  EXPECT_GE(*r.column, 12u);
}

TEST(ExpressionCheck, AnimationSeesOnlyValue) {
  EXPECT_TRUE(
      check_expression("280 - ((value/100) * 120)", ExpressionKind::animation, tank_only()).ok);
  EXPECT_TRUE(check_expression("str(value)", ExpressionKind::animation, tank_only()).ok);
  EXPECT_TRUE(check_expression("value == 'value'", ExpressionKind::animation, tank_only()).ok);
  auto r = check_expression("Tank@LEVEL * 2", ExpressionKind::animation, tank_only());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.column, 1u);
  auto bad = check_expression("value * ", ExpressionKind::animation, tank_only());
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.line, 1u);
  EXPECT_EQ(bad.error->find("v@lue"), std::string::npos);
}

// `value` is a name given to the compiler, not a rewritten datapoint id: an id spelt like the old
// stand-in is an unknown datapoint, and the columns are those of the text as typed.
TEST(ExpressionCheck, AnimationValueIsANameNotAnId) {
  auto r = check_expression("v@lue + 1", ExpressionKind::animation, tank_only());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.column, 1u);
  auto late = check_expression("value + Tank@LEVEL", ExpressionKind::animation, tank_only());
  EXPECT_FALSE(late.ok);
  EXPECT_EQ(late.column, 9u);
  EXPECT_TRUE(check_expression("value", ExpressionKind::animation, tank_only()).ok);
}

TEST(ExpressionCheck, ActionsAndTheirDatapoint) {
  EXPECT_TRUE(check_expression("raise_alarm()", ExpressionKind::action, tank_only()).ok);
  auto r = check_expression("send_command('Tank@NOPE', 1)", ExpressionKind::action, tank_only());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.column, 14u);
  EXPECT_FALSE(check_expression("send_command(", ExpressionKind::action, tank_only()).ok);
}

}  // namespace
}  // namespace weir::editor
