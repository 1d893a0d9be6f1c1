#pragma once
// The security editor's server side, over the SecurityGateway: security_config.json read with its
// version (password hashes never leave the server), saved with If-Match (409 / 428 as for the
// config editor), kept as versions with diff and revert; users created, disabled and given a
// new password (forced change at next login; sessions and MQTT connections end at once); the
// permission catalogue; "who may publish / subscribe to this topic?". No save may leave the
// system without a user able to edit security (SecurityGateway::save_edited refuses it).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "editor/version_store.hpp"
#include "module/module.hpp"
#include "security/security_gateway.hpp"

namespace weir::editor {

struct TopicCheckBody {
  std::string topic;
  std::optional<std::string> username;   // a Weir user
  std::optional<std::string> device;     // an mqtt.devices[] account
  std::optional<std::string> client_id;  // for %c patterns (default: the user / device name)
};
BOOST_DESCRIBE_STRUCT(TopicCheckBody, (), (topic, username, device, client_id))

struct TopicAccess {
  std::string kind;      // "user", "device", "anonymous"
  std::string name;      // "" for anonymous
  bool connect = false;  // may log in to the broker at all
  bool publish = false;
  bool subscribe = false;  // to the topic as a filter (wildcards allowed)
};
BOOST_DESCRIBE_STRUCT(TopicAccess, (), (kind, name, connect, publish, subscribe))

struct TopicCheckResult {
  std::string topic;
  std::vector<TopicAccess> items;
};
BOOST_DESCRIBE_STRUCT(TopicCheckResult, (), (topic, items))

// Pure: who may publish / subscribe to `topic` under `config` (one account when the body names
// one; else every device, every user with mqtt_connect and anonymous clients when allowed).
Result<TopicCheckResult> check_topic(const security::SecurityConfig& config,
                                     const TopicCheckBody& body);

class SecurityEditor {
 public:
  SecurityEditor(module::ModuleHost& host, std::shared_ptr<security::SecurityGateway> gateway,
                 std::size_t keep_versions);
  Status open();
  void set_keep(std::size_t keep) { versions_.set_keep(keep); }
  void add_routes(api::Router& router);

 private:
  std::string path() const;
  Result<std::pair<std::string, VersionInfo>> current();
  // Saves `next` through the gateway, records the version; `detail` for the audit.
  HttpResponse save(const api::RequestContext& ctx, security::SecurityConfig next,
                    const security::SecurityGateway::EditOptions& options, std::string action,
                    std::string note, bool if_match_required, int success_status = 200);

  module::ModuleHost& host_;
  std::shared_ptr<security::SecurityGateway> gateway_;
  VersionStore versions_;
};

}  // namespace weir::editor
