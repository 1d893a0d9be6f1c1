#include "demo/shared/reading_script.hpp"

#include <gtest/gtest.h>

namespace weir::devices {
namespace {

TEST(ReadingScript, PlainAndJsonLinesLoop) {
  auto s = ReadingScript::parse(
      "# warm, then cool\n"
      "30 40\n"
      "\n"
      "  {\"temperature\": 20.5, \"humidity\": 55}  \n"
      "{\"temperature\": 26, \"humidity\": 50, \"threshold\": 25, \"unit\": \"F\"}\n"
      "{\"temperature\": 10, \"humidity\": 50, \"over_threshold\": true}\n",
      28, "C");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->size(), 4u);
  auto r = s->next();
  EXPECT_DOUBLE_EQ(r.temperature, 30);
  EXPECT_DOUBLE_EQ(r.humidity, 40);
  EXPECT_DOUBLE_EQ(r.threshold, 28);
  EXPECT_TRUE(r.over_threshold);
  EXPECT_EQ(r.unit, "C");
  r = s->next();
  EXPECT_FALSE(r.over_threshold);
  r = s->next();
  EXPECT_DOUBLE_EQ(r.threshold, 25);
  EXPECT_TRUE(r.over_threshold);
  EXPECT_EQ(r.unit, "F");
  r = s->next();
  EXPECT_TRUE(r.over_threshold);                // given explicitly, even though 10 < 28
  EXPECT_DOUBLE_EQ(s->next().temperature, 30);  // looped
}

TEST(ReadingScript, ErrorsNameTheLine) {
  auto bad = [](std::string_view text) {
    auto s = ReadingScript::parse(text, 28, "C");
    EXPECT_FALSE(s) << text;
    return s ? std::string() : s.error().message;
  };
  EXPECT_EQ(bad("30 40\nhot 40\n"), "line 2: expected 'temperature humidity' or a JSON reading");
  EXPECT_EQ(bad("30\n"), "line 1: expected 'temperature humidity' or a JSON reading");
  EXPECT_EQ(bad("30 40 50\n"), "line 1: expected 'temperature humidity' or a JSON reading");
  EXPECT_EQ(bad("{\"humidity\": 3}"), "line 1: temperature is required");
  EXPECT_EQ(bad("{\"temperature\": 3, \"humidity\": \"x\"}"), "line 1: humidity must be a number");
  EXPECT_NE(bad("{\"temperature\": 3,").find("line 1:"), std::string::npos);
  EXPECT_EQ(bad("# nothing\n\n"), "the script has no readings");
  EXPECT_FALSE(ReadingScript::load("/nonexistent/script.txt", 28, "C"));
}

}  // namespace
}  // namespace weir::devices
