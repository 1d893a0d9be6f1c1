// Validates the AsyncAPI document served at /mqtt/asyncapi.json: the web viewer does not, so a
// broken $ref or a missing required key would only show as an empty page.
#include <boost/json/parse.hpp>

#include "demo/server/demo_test_support.hpp"
#include "demo/server/device_routes.hpp"

namespace weir::demo {
namespace {

// Resolves "#/a/b~1c" in doc.
const boost::json::value* resolve(const boost::json::value& doc, std::string_view ref) {
  if (ref.substr(0, 2) != "#/") return nullptr;
  const boost::json::value* cur = &doc;
  std::string_view rest = ref.substr(2);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string key(rest.substr(0, slash));
    for (std::size_t i; (i = key.find("~1")) != std::string::npos;) key.replace(i, 2, "/");
    for (std::size_t i; (i = key.find("~0")) != std::string::npos;) key.replace(i, 2, "~");
    if (const auto* o = cur->if_object()) {
      auto it = o->find(key);
      if (it == o->end()) return nullptr;
      cur = &it->value();
    } else {
      return nullptr;
    }
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  return cur;
}

void check_refs(const boost::json::value& doc, const boost::json::value& v, const std::string& path,
                int& count) {
  if (const auto* o = v.if_object()) {
    if (auto it = o->find("$ref"); it != o->end()) {
      ASSERT_TRUE(it->value().is_string()) << path;
      ++count;
      EXPECT_NE(resolve(doc, it->value().get_string()), nullptr)
          << path << ": $ref " << it->value().get_string() << " does not resolve";
    }
    for (const auto& [k, e] : *o) check_refs(doc, e, path + "/" + std::string(k), count);
  } else if (const auto* a = v.if_array()) {
    for (std::size_t i = 0; i < a->size(); ++i)
      check_refs(doc, (*a)[i], path + "/" + std::to_string(i), count);
  }
}

boost::json::value served(devices::AsyncApiServers s) {
  api::Router router(std::make_shared<testing::FakeAccess>());
  add_asyncapi_route(router, [s] { return s; });
  auto r = router.handle(testing::request("GET", "/mqtt/asyncapi.json", ""));  // public: no session
  EXPECT_EQ(r.status, 200);
  return boost::json::parse(r.body);
}

TEST(AsyncApiDocument, IsValidAsyncApi3WithLocalRefs) {
  devices::AsyncApiServers s;
  s.host = "127.0.0.1";
  s.mqtt_port = 18830;
  s.ws_port = 18080;
  auto doc = served(s);
  const auto& o = doc.as_object();
  ASSERT_TRUE(o.contains("asyncapi"));
  EXPECT_EQ(o.at("asyncapi").as_string().subview().substr(0, 2), "3.");
  ASSERT_TRUE(o.contains("info"));
  EXPECT_TRUE(o.at("info").as_object().contains("title"));
  EXPECT_TRUE(o.at("info").as_object().contains("version"));
  ASSERT_TRUE(o.contains("channels"));
  ASSERT_TRUE(o.contains("operations"));
  // Every channel has an address and messages; every operation an action and a channel $ref.
  for (const auto& [name, ch] : o.at("channels").as_object()) {
    EXPECT_TRUE(ch.as_object().contains("address")) << name;
    EXPECT_TRUE(ch.as_object().contains("messages")) << name;
  }
  for (const auto& [name, op] : o.at("operations").as_object()) {
    const auto& action = op.at("action");
    EXPECT_TRUE(action == "send" || action == "receive") << name;
    EXPECT_TRUE(op.at("channel").as_object().contains("$ref")) << name;
  }
  // The four demo topics are there.
  std::string addresses;
  for (const auto& [name, ch] : o.at("channels").as_object())
    addresses += std::string(ch.at("address").as_string()) + " ";
  for (const char* t : {"sensors/{device}", "commands/{device}/play", "presence/{device}/status",
                        "devices/{device}/state"})
    EXPECT_NE(addresses.find(t), std::string::npos) << t << " in " << addresses;
  // The listeners the app passed.
  ASSERT_TRUE(o.contains("servers"));
  std::string servers = boost::json::serialize(o.at("servers"));
  EXPECT_NE(servers.find("127.0.0.1:18830"), std::string::npos) << servers;
  EXPECT_NE(servers.find("18080"), std::string::npos) << servers;
  for (const auto& [name, srv] : o.at("servers").as_object()) {
    EXPECT_TRUE(srv.as_object().contains("host")) << name;
    EXPECT_TRUE(srv.as_object().contains("protocol")) << name;
  }
  int refs = 0;
  check_refs(doc, doc, "#", refs);
  EXPECT_GT(refs, 4);
}

TEST(AsyncApiDocument, ListenersThatAreOffAreLeftOut) {
  devices::AsyncApiServers s;
  s.mqtt_port.reset();
  s.ws_port = 8080;
  auto doc = served(s);
  std::string servers = boost::json::serialize(doc.at("servers"));
  EXPECT_EQ(servers.find("1883"), std::string::npos) << servers;
}

}  // namespace
}  // namespace weir::demo
