#include "weir_demo/payloads.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "demo/shared/payloads_json.hpp"

namespace weir::devices {
namespace {

TEST(Topics, PatternsFillAndMatch) {
  EXPECT_EQ(topic_for(topics::sensors, "esp32"), "sensors/esp32");
  EXPECT_EQ(topic_for(topics::play_command, "raspberry"), "commands/raspberry/play");
  EXPECT_EQ(topic_for(topics::presence, "esp32"), "presence/esp32/status");
  EXPECT_EQ(topic_for(topics::state, "esp32"), "devices/esp32/state");
  for (const TopicPattern* t : topics::all) {
    const std::string topic = topic_for(*t, "dev-1");
    auto id = match_topic(*t, topic);
    ASSERT_TRUE(id) << topic;
    EXPECT_EQ(*id, "dev-1");
  }
  EXPECT_FALSE(match_topic(topics::sensors, "sensors/"));
  EXPECT_FALSE(match_topic(topics::sensors, "sensors/a/b"));
  EXPECT_FALSE(match_topic(topics::play_command, "commands/esp32/stop"));
  EXPECT_FALSE(match_topic(topics::presence, "presence//status"));
}

TEST(Topics, DeviceIdsAreSingleTopicLevels) {
  EXPECT_TRUE(valid_device_id("esp32"));
  EXPECT_TRUE(valid_device_id("raspberry-pi_4"));
  for (const char* bad : {"", "a/b", "a+", "#", "with space", "tab\t"})
    EXPECT_FALSE(valid_device_id(bad)) << bad;
  EXPECT_FALSE(valid_device_id(std::string(65, 'a')));
}

SensorReading warm() {
  SensorReading r;
  r.temperature = 29.5;
  r.humidity = 41.2;
  r.threshold = 28;
  r.over_threshold = true;
  r.unit = "C";
  return r;
}

TEST(Reading, HandEncoderWritesWhatWeirJsonWrites) {
  const SensorReading r = warm();
  const std::string text = encode_reading(r);
  EXPECT_EQ(
      text,
      R"({"temperature":29.5,"humidity":41.2,"threshold":28,"over_threshold":true,"unit":"C"})");
  EXPECT_EQ(text, json::to_string(r));
  auto back = json::decode<SensorReading>(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_DOUBLE_EQ(back->temperature, 29.5);
}

TEST(Reading, ParsesWhatWeirJsonWrites) {
  SensorReading r = warm();
  r.temperature = -3.25;
  r.unit = "F";
  const auto p = parse_reading(json::to_string(r));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_DOUBLE_EQ(p.value.temperature, -3.25);
  EXPECT_DOUBLE_EQ(p.value.humidity, 41.2);
  EXPECT_DOUBLE_EQ(p.value.threshold, 28);
  EXPECT_TRUE(p.value.over_threshold);
  EXPECT_EQ(p.value.unit, "F");
}

TEST(Reading, ToleratesSpacingOrderUnknownMembersAndEscapes) {
  const auto p = parse_reading(
      " {\n \"unit\" : \"\\u00b0C\", \"extra\": {\"a\": [1, 2.5e3, null, \"x\"]}, "
      "\"over_threshold\": false,"
      " \"threshold\": 3E1, \"humidity\": 0, \"temperature\": -0.5 } ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.value.unit,
            "\xC2\xB0"
            "C");
  EXPECT_DOUBLE_EQ(p.value.threshold, 30);
  EXPECT_DOUBLE_EQ(p.value.temperature, -0.5);
  EXPECT_FALSE(p.value.over_threshold);
}

TEST(Reading, SaysWhatIsWrong) {
  auto why = [](std::string_view text) {
    const auto p = parse_reading(text);
    EXPECT_FALSE(p.ok) << text;
    return p.error;
  };
  EXPECT_EQ(
      why(R"({"temperature":"hot","humidity":1,"threshold":1,"over_threshold":true,"unit":"C"})"),
      "temperature: expected a number, got a string");
  EXPECT_EQ(why(R"({"temperature":1,"humidity":1,"threshold":1,"unit":"C"})"),
            "over_threshold: required field is missing");
  EXPECT_EQ(why(R"({"temperature":1,"humidity":1,"threshold":1,"over_threshold":1,"unit":"C"})"),
            "over_threshold: expected a boolean, got a number");
  EXPECT_EQ(
      why(R"({"temperature":null,"humidity":1,"threshold":1,"over_threshold":true,"unit":"C"})"),
      "temperature: expected a number, got null");
  EXPECT_NE(why("").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(why("{").find("expected a member name"), std::string::npos);
  EXPECT_NE(why(R"({"a":1} x)").find("trailing"), std::string::npos);
  EXPECT_NE(why(R"({"a":01})").find("expected ','"), std::string::npos);
  EXPECT_NE(why(R"({"a":1e999})").find("out of range"), std::string::npos);
  EXPECT_NE(why(R"({"a":"\ud800"})").find("surrogate"), std::string::npos);
}

TEST(Reading, MalformedInputNeverParses) {
  const std::string deep = "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  EXPECT_NE(parse_reading(deep).error.find("nesting too deep"), std::string::npos);
  EXPECT_NE(parse_reading("{\"a\":\"" + std::string(5000, 'x') + "\"}").error.find("too large"),
            std::string::npos);
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "null", "[]", "true", "\"x\"", "{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}", "{\"a\":tru}",
           "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}",
           "{\"a\":[1,]}", "{\"a\":{\"b\"}}", "{\"a\":\"unterminated}",
           std::string_view("{\"a\":\0}", 7), "\xff\xfe"}) {
    const auto p = parse_reading(bad);
    EXPECT_FALSE(p.ok) << bad;
    EXPECT_FALSE(p.error.empty()) << bad;
  }
  // Every prefix of a valid reading is rejected, without reading past the end.
  const std::string good = encode_reading(warm());
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(parse_reading(good.substr(0, n)).ok) << n;
  EXPECT_TRUE(parse_reading(good).ok);
}

TEST(Reading, NonFiniteNumbersAreWrittenAsNullAndRefused) {
  SensorReading r = warm();
  r.temperature = std::nan("");
  const std::string text = encode_reading(r);
  EXPECT_NE(text.find("\"temperature\":null"), std::string::npos);
  EXPECT_FALSE(parse_reading(text).ok);
}

TEST(State, HandEncoderWritesWhatWeirJsonWrites) {
  CrossLink link;
  link.peer_presence(Presence::online, 0);
  link.peer_reading(true, 10);
  BuzzerState s = buzzer_state(link, "raspberry", "2026-01-01T00:00:00.010Z");
  EXPECT_TRUE(s.playing);
  EXPECT_EQ(s.mode, "auto");
  EXPECT_EQ(s.melody, "ode_to_joy");
  EXPECT_EQ(s.peer.presence, "online");
  EXPECT_EQ(s.reason, "peer over threshold");
  const std::string text = encode_state(s);
  EXPECT_EQ(text, json::to_string(s));
  EXPECT_EQ(
      text,
      R"({"playing":true,"mode":"auto","step":0,"melody":"ode_to_joy","peer":{"id":"raspberry",)"
      R"("presence":"online","over_threshold":true},"since":"2026-01-01T00:00:00.010Z",)"
      R"("reason":"peer over threshold"})");

  link.peer_presence(Presence::offline, 20);  // no reading: over_threshold is omitted
  s = buzzer_state(link, "rasp\"berry\n", "");
  EXPECT_EQ(encode_state(s), json::to_string(s));
  auto back = json::decode<BuzzerState>(encode_state(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->peer.id, "rasp\"berry\n");
  EXPECT_FALSE(back->peer.over_threshold);
  EXPECT_EQ(back->reason, "peer offline");
}

}  // namespace
}  // namespace weir::devices
