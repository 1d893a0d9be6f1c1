#include "demo/shared/asyncapi.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/json.hpp"
#include "weir_demo/payloads.hpp"

namespace weir::devices {
namespace {

using boost::json::object;
using boost::json::value;

// Resolves a local "#/a/b" reference (JSON Pointer, with ~1 and ~0 escapes).
const value* resolve(const value& doc, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  boost::system::error_code ec;
  return doc.find_pointer(ref.substr(1), ec);
}

// Every "$ref" anywhere in `v` resolves within `doc`.
void expect_refs_resolve(const value& doc, const value& v, const std::string& where) {
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (kv.key() == "$ref") {
        ASSERT_TRUE(kv.value().is_string()) << where;
        const std::string ref(kv.value().get_string());
        EXPECT_NE(resolve(doc, ref), nullptr) << where << ": unresolved " << ref;
      } else {
        expect_refs_resolve(doc, kv.value(), where + "/" + std::string(kv.key()));
      }
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
      expect_refs_resolve(doc, v.get_array()[i], where + "/" + std::to_string(i));
  }
}

const object& obj(const object& o, std::string_view key) {
  return o.at(key).as_object();
}
const object& obj(const value& v, std::string_view key) {
  return obj(v.as_object(), key);
}

TEST(AsyncApi, HasTheRequiredShape) {
  AsyncApiServers s;
  s.mqtt_port = 1883;
  s.ws_port = 9001;
  const value doc = asyncapi_document(s);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("asyncapi"), "3.0.0");
  EXPECT_TRUE(obj(doc, "info").at("title").is_string());
  EXPECT_EQ(obj(doc, "info").at("version"), "0.1.0");
  EXPECT_EQ(obj(doc, "channels").size(), std::size(topics::all));
  EXPECT_FALSE(obj(doc, "operations").empty());
  EXPECT_TRUE(obj(obj(doc, "components"), "schemas").contains("SensorReading"));
  expect_refs_resolve(doc, doc, "#");
  // It is JSON weir::json can print and read back.
  auto again = json::parse(json::dump(doc));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, doc);
}

TEST(AsyncApi, EveryChannelIsATopicWithItsParameterAndResolvableMessages) {
  const value doc = asyncapi_document({});
  std::set<std::string> addresses;
  for (const auto& [id, ch] : obj(doc, "channels")) {
    const std::string address(ch.at("address").as_string());
    addresses.insert(address);
    // Every {parameter} in the address is declared, and only those.
    std::set<std::string> in_address;
    for (std::size_t open = address.find('{'); open != std::string::npos;
         open = address.find('{', open + 1)) {
      const std::size_t close = address.find('}', open);
      ASSERT_NE(close, std::string::npos) << address;
      in_address.insert(address.substr(open + 1, close - open - 1));
    }
    std::set<std::string> declared;
    for (const auto& p : obj(ch, "parameters")) declared.insert(std::string(p.key()));
    EXPECT_EQ(in_address, declared) << address;
    EXPECT_EQ(in_address, std::set<std::string>{"device"}) << address;

    ASSERT_FALSE(obj(ch, "messages").empty()) << address;
    for (const auto& m : obj(ch, "messages")) {
      const value* message = resolve(doc, std::string(m.value().at("$ref").as_string()));
      ASSERT_NE(message, nullptr) << address;
      const value& payload = message->at("payload");
      ASSERT_TRUE(payload.is_object());
      if (payload.as_object().contains("$ref")) {
        const value* schema = resolve(doc, std::string(payload.at("$ref").as_string()));
        ASSERT_NE(schema, nullptr) << address;
        EXPECT_EQ(schema->at("type"), "object");
        EXPECT_FALSE(schema->at("properties").as_object().empty());
      } else {
        EXPECT_EQ(payload.at("type"), "string") << address;
      }
    }
  }
  for (const TopicPattern* t : topics::all)
    EXPECT_EQ(addresses.count(t->pattern), 1u) << t->pattern;
}

TEST(AsyncApi, OperationsPointAtTheirChannelsMessages) {
  const value doc = asyncapi_document({});
  std::set<std::string> actions;
  for (const auto& [id, op] : obj(doc, "operations")) {
    const std::string action(op.at("action").as_string());
    EXPECT_TRUE(action == "send" || action == "receive") << id;
    actions.insert(action);
    const std::string ch(op.at("channel").at("$ref").as_string());
    ASSERT_NE(resolve(doc, ch), nullptr) << id;
    for (const auto& m : op.at("messages").as_array()) {
      const std::string ref(m.at("$ref").as_string());
      EXPECT_EQ(ref.rfind(ch + "/messages/", 0), 0u) << id << ": " << ref;
      EXPECT_NE(resolve(doc, ref), nullptr) << id;
    }
    EXPECT_TRUE(op.at("bindings").at("mqtt").at("qos").is_int64());
  }
  EXPECT_EQ(actions, (std::set<std::string>{"send", "receive"}));
}

TEST(AsyncApi, SchemasComeFromTheDeclarations) {
  const value doc = asyncapi_document({});
  const object& schemas = obj(obj(doc, "components"), "schemas");
  const object& reading = schemas.at("SensorReading").as_object();
  std::set<std::string> props;
  for (const auto& p : reading.at("properties").as_object()) props.insert(std::string(p.key()));
  EXPECT_EQ(props, (std::set<std::string>{"temperature", "humidity", "threshold", "over_threshold",
                                          "unit"}));
  EXPECT_EQ(reading.at("properties").at("over_threshold").at("type"), "boolean");
  EXPECT_EQ(reading.at("required").as_array().size(), 5u);

  const object& state = schemas.at("BuzzerState").as_object();
  EXPECT_EQ(state.at("properties").at("mode").at("enum"),
            (boost::json::array{"auto", "override_on", "override_off"}));
  EXPECT_EQ(state.at("properties").at("peer").at("$ref"), "#/components/schemas/PeerView");
  const object& peer = schemas.at("PeerView").as_object();
  for (const auto& r : peer.at("required").as_array()) EXPECT_NE(r, "over_threshold");  // optional
}

TEST(AsyncApi, ServersAreTheConfiguredListeners) {
  AsyncApiServers s;
  s.host = "scada.local";
  s.mqtt_port = 1883;
  s.mqtts_port = 8883;
  s.ws_port = 9001;
  s.wss_port = 9443;
  const value doc = asyncapi_document(s);
  const object& servers = obj(doc, "servers");
  EXPECT_EQ(servers.at("mqtt").at("host"), "scada.local:1883");
  EXPECT_EQ(servers.at("mqtt").at("protocol"), "mqtt");
  EXPECT_EQ(servers.at("mqtts").at("protocol"), "secure-mqtt");
  EXPECT_EQ(servers.at("mqtt-ws").at("protocol"), "ws");
  EXPECT_EQ(servers.at("mqtt-ws").at("pathname"), "/mqtt");
  EXPECT_EQ(servers.at("mqtt-wss").at("protocol"), "wss");

  AsyncApiServers tcp_only;
  const value plain = asyncapi_document(tcp_only);
  EXPECT_EQ(obj(plain, "servers").size(), 1u);
  tcp_only.mqtt_port.reset();
  EXPECT_FALSE(asyncapi_document(tcp_only).contains("servers"));
}

}  // namespace
}  // namespace weir::devices
