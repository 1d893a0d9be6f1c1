#include "mqtt_driver/payload_value.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt_driver {
namespace {

model::DatapointType enum_type(std::vector<std::string> values) {
  model::DatapointType t;
  t.type = model::ValueType::enum_;
  t.values = std::move(values);
  return t;
}

TEST(PayloadValue, NumbersFromJsonOrText) {
  model::DatapointType f;
  f.type = model::ValueType::float_;
  EXPECT_EQ(*convert_value(boost::json::value(21.5), &f), model::Value(21.5));
  EXPECT_EQ(*convert_value(boost::json::string(" 22.25 "), &f), model::Value(22.25));
  EXPECT_FALSE(convert_value(boost::json::string("warm"), &f));
  EXPECT_FALSE(convert_value(boost::json::value(true), &f));
  model::DatapointType i;
  i.type = model::ValueType::int_;
  EXPECT_EQ(*convert_value(boost::json::value(3), &i), model::Value(std::int64_t{3}));
  EXPECT_FALSE(convert_value(boost::json::value(3.5), &i));
}

TEST(PayloadValue, EnumsMatchSymbolsBooleansAndMaps) {
  auto presence = enum_type({"ONLINE", "OFFLINE"});
  EXPECT_EQ(*convert_value(boost::json::string("online"), &presence),
            model::Value(std::string("ONLINE")));
  EXPECT_EQ(*convert_value(boost::json::string("offline"), &presence),
            model::Value(std::string("OFFLINE")));
  EXPECT_FALSE(convert_value(boost::json::string("maybe"), &presence));
  auto b = enum_type({"TRUE", "FALSE"});
  EXPECT_EQ(*convert_value(boost::json::value(true), &b), model::Value(std::string("TRUE")));
  EXPECT_EQ(*convert_value(boost::json::value(false), &b), model::Value(std::string("FALSE")));
  auto buzzer = enum_type({"PLAYING", "SILENT"});
  std::map<std::string, std::string> map{{"true", "PLAYING"}, {"false", "SILENT"}};
  EXPECT_EQ(*convert_value(boost::json::value(true), &buzzer, map),
            model::Value(std::string("PLAYING")));
  EXPECT_FALSE(convert_value(boost::json::value(true), &buzzer));    // no symbol means true
  EXPECT_FALSE(convert_value(boost::json::value(1), &buzzer, map));  // "1" is not mapped
}

TEST(PayloadValue, JsonParsingIsBoundedAndPathAware) {
  EXPECT_FALSE(parse_json_payload("{not json"));
  EXPECT_FALSE(parse_json_payload(std::string(kMaxJsonPayload + 1, ' ')));
  std::string deep(100, '[');
  EXPECT_FALSE(parse_json_payload(deep + std::string(100, ']')));
  auto doc = parse_json_payload(R"({"peer":{"presence":"online"},"step":3})");
  ASSERT_TRUE(doc);
  ASSERT_NE(find_field(*doc, "peer.presence"), nullptr);
  EXPECT_EQ(find_field(*doc, "peer.presence")->get_string(), "online");
  EXPECT_EQ(find_field(*doc, "peer.none"), nullptr);
  EXPECT_EQ(find_field(*doc, "step.x"), nullptr);
}

}  // namespace
}  // namespace weir::mqtt_driver
