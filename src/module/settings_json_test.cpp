#include "core/settings_json.hpp"

#include <gtest/gtest.h>

namespace weir::json {
namespace {

struct Inner {
  int port = 1883;
  std::string host = "localhost";
};
BOOST_DESCRIBE_STRUCT(Inner, (), (port, host))

struct Base {
  std::uint32_t limit = 10;
};
BOOST_DESCRIBE_STRUCT(Base, (), (limit))

struct Settings : Base {
  bool enabled = true;
  std::optional<Inner> external;
  std::vector<Inner> peers;
  std::vector<std::string> names{"a"};
};
BOOST_DESCRIBE_STRUCT(Settings, (Base), (enabled, external, peers, names))

Result<Settings> decode(std::string_view text) {
  auto v = parse(text);
  if (!v) return v.error();
  Settings s;
  if (auto st = decode_settings(*v, s, "modules[2].config"); !st) return st.error();
  return s;
}

TEST(SettingsJson, MissingKeysKeepTheirDefaults) {
  auto s = decode(R"({"enabled": false})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->enabled);
  EXPECT_EQ(s->limit, 10u);
  EXPECT_EQ(s->names, std::vector<std::string>{"a"});
  EXPECT_FALSE(s->external);
  auto all = decode("null");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->enabled);
}

TEST(SettingsJson, UnknownKeyIsRefusedWithItsPathAndTheKnownKeys) {
  auto s = decode(R"({"enabeld": false})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field, "modules[2].config.enabeld");
  EXPECT_NE(s.error().message.find("unknown setting"), std::string::npos);
  EXPECT_NE(s.error().message.find("limit, enabled, external, peers, names"), std::string::npos)
      << s.error().message;
}

TEST(SettingsJson, NestedStructsAreSettingsToo) {
  auto s = decode(R"({"external": {"host": "broker"}, "peers": [{}, {"port": 1}]})");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->external);
  EXPECT_EQ(s->external->host, "broker");
  EXPECT_EQ(s->external->port, 1883);  // default inside the nested object
  ASSERT_EQ(s->peers.size(), 2u);
  EXPECT_EQ(s->peers[1].port, 1);

  auto bad = decode(R"({"peers": [{}, {"prot": 1}]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "modules[2].config.peers[1].prot");
}

TEST(SettingsJson, WrongTypeNamesThePath) {
  auto s = decode(R"({"limit": "ten"})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().field, "modules[2].config.limit");
  auto not_object = decode("[1]");
  ASSERT_FALSE(not_object);
}

TEST(SettingsJson, SchemaHasDefaultsAndRefusesOtherKeys) {
  auto schema = settings_schema<Settings>().as_object();
  EXPECT_EQ(schema.at("additionalProperties"), false);
  const auto& props = schema.at("properties").as_object();
  EXPECT_EQ(props.at("limit").at("default"), 10);  // inherited member
  EXPECT_EQ(props.at("enabled").at("default"), true);
  EXPECT_EQ(props.at("external").at("properties").at("port").at("default"), 1883);
  EXPECT_EQ(props.at("peers").at("items").at("additionalProperties"), false);
}

}  // namespace
}  // namespace weir::json
