#include "core/json.hpp"

#include <gtest/gtest.h>

#include "core/json_schema.hpp"

namespace weir::json {
namespace {

enum class Color { red, green };
BOOST_DESCRIBE_ENUM(Color, red, green)

struct Inner {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(Inner, (), (n))

struct Outer {
  std::string name;
  double x = 0;
  std::optional<std::string> unit;
  std::vector<Inner> items;
  Color color = Color::red;
};
BOOST_DESCRIBE_STRUCT(Outer, (), (name, x, unit, items, color))

TEST(Json, RoundTrip) {
  Outer o{"a", 1.5, std::nullopt, {{1}, {2}}, Color::green};
  auto text = to_string(o);
  EXPECT_EQ(text, R"({"name":"a","x":1.5,"items":[{"n":1},{"n":2}],"color":"green"})");
  auto back = decode<Outer>(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->items.size(), 2u);
  EXPECT_EQ(back->color, Color::green);
  EXPECT_FALSE(back->unit);
}

TEST(Json, ErrorsNameThePath) {
  auto r = decode<Outer>(R"({"name":"a","x":1,"items":[{"n":1},{"n":"two"}],"color":"red"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "items[1].n");
  EXPECT_NE(r.error().message.find("expected an integer"), std::string::npos);

  auto missing = decode<Outer>(R"({"x":1,"items":[],"color":"red"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "missing_field");
  EXPECT_EQ(missing.error().field, "name");

  auto badenum = decode<Outer>(R"({"name":"a","x":1,"items":[],"color":"blue"})");
  ASSERT_FALSE(badenum);
  EXPECT_NE(badenum.error().message.find("one of red, green"), std::string::npos);
}

TEST(Json, MalformedTextSaysWhere) {
  auto r = parse("{\n  \"a\": [1, 2,,]\n}");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
}

TEST(Json, DepthIsBounded) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_FALSE(parse(deep));
}

TEST(JsonSchema, FromDeclaration) {
  SchemaRegistry reg;
  auto ref = reg.schema<Outer>();
  EXPECT_EQ(ref.at("$ref").as_string(), "#/components/schemas/Outer");
  const auto& outer = reg.components().at("Outer").as_object();
  EXPECT_EQ(outer.at("properties").at("items").at("items").at("$ref").as_string(),
            "#/components/schemas/Inner");
  EXPECT_EQ(outer.at("properties").at("color").at("enum").as_array().size(), 2u);
  // optional members are not required
  for (const auto& r : outer.at("required").as_array()) EXPECT_NE(r.as_string(), "unit");
}

}  // namespace
}  // namespace weir::json
