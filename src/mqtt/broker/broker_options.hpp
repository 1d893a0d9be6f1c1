#pragma once
// Broker settings: system_config.json modules[] {"name":"mqtt_broker","config":{...}}.
// Every member has a default; use broker_options_from_json() so a config may name only the
// members it changes (plain weir::json::from_json requires every member).
#include <boost/describe.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace weir::mqtt {

// A simple in-broker ACL rule, used by RuleAuthorizer (topic_pattern.hpp) when the security
// module installs nothing better. pattern may use %c (client id) and %u (username).
struct AclRule {
  std::string username;  // "" = any user (incl. anonymous), "*anonymous" = anonymous only
  std::string pattern;   // topic pattern, MQTT wildcards allowed
  bool publish = true;
  bool subscribe = true;
};
BOOST_DESCRIBE_STRUCT(AclRule, (), (username, pattern, publish, subscribe))

struct BrokerOptions {
  bool allow_anonymous = false;
  std::uint32_t max_packet_size = 1024 * 1024;  // bytes, whole packet, both directions
  std::uint16_t max_inflight = 32;              // our Receive Maximum; also caps outbound window
  std::uint32_t max_queued_messages = 1000;     // per session; QoS 0 dropped first
  std::uint64_t max_queued_bytes = 8 * 1024 * 1024;  // socket backlog before QoS 0 is dropped
  std::uint32_t max_topic_length = 65535;
  std::uint32_t max_topic_levels = 128;
  std::uint32_t max_connections = 10000;         // 0 = unlimited
  std::uint32_t max_connections_per_second = 0;  // 0 = unlimited
  std::uint16_t max_keepalive = 3600;            // seconds; v5 gets Server Keep Alive when above
  std::uint32_t connect_timeout_s = 10;          // socket must send CONNECT within this
  std::uint16_t topic_alias_maximum = 64;        // inbound aliases we accept (v5)
  std::uint32_t max_client_id_length = 256;
  std::uint32_t max_subscriptions_per_client = 1000;  // 0 = unlimited
  bool retain_available = true;
  // Retained messages kept, by count and by topic + payload bytes (0 = unlimited). Beyond them a
  // retained PUBLISH to a new topic (or one that would grow past the byte cap) is refused: v5
  // PUBACK/PUBREC 0x97 quota exceeded, v3.1.1 acknowledged and discarded; logged once.
  std::uint32_t max_retained_messages = 100'000;
  std::uint64_t max_retained_bytes = 64 * 1024 * 1024;
  std::uint8_t maximum_qos = 2;
  bool wildcard_subscription_available = true;
  bool shared_subscription_available = true;
  bool subscription_identifiers_available = true;
  // seconds; caps the client's Session Expiry Interval (v5 CONNACK returns the granted value;
  // a v3.1.1 persistent session expires this long after its client left). 7 days.
  std::uint32_t session_expiry_max = 7 * 24 * 3600;
  // Sessions kept for clients that are away, per account (username; anonymous clients are one
  // account). Beyond it the account's oldest kept session ends. 0 = unlimited.
  std::uint32_t max_kept_sessions_per_user = 1000;
  std::uint32_t sys_interval_s = 10;  // $SYS publish period; 0 disables
  bool persistence = false;
  std::string persistence_path = "mqtt_broker.db";
  // With persistence: a QoS 1/2 PUBLISH that a persistent session or the retained store keeps is
  // acknowledged (PUBACK/PUBREC) only once the transaction storing it has committed. false:
  // acknowledged on receipt, and a crash may lose what was acknowledged since the last commit.
  bool ack_after_commit = true;
  // Acknowledgements one connection may have waiting for commits (ack_after_commit). A v3.1.1
  // client has no Receive Maximum: past this the broker stops reading from its socket until
  // commits release them (counted as weir_mqtt_reads_paused_total). 0 = unlimited.
  std::uint32_t max_held_acks = 1000;
  // A commit starts at least this long after the previous one started (0: as soon as it has
  // ended). Under a steady stream each commit rewrites the changed sessions whole, so commits
  // back to back cost a core of CPU and WAL writes on their own thread; pacing them gives that
  // back (and the io thread its core on a small machine) for up to this much acknowledgement
  // latency. Throughput does not drop: more waits for each commit.
  std::uint32_t commit_interval_ms = 2;
  // true: every commit fsyncs the WAL before its acknowledgements go out (SQLite
  // synchronous=FULL), so what was acknowledged also survives a power cut or a kernel crash, for
  // one fsync per commit (its latency is the disk's). false: a commit is written without an
  // fsync: nothing acknowledged is lost when the process crashes (SIGKILL included); a power cut
  // may lose the last commits, never corrupting the file.
  bool persistence_fsync_commits = false;
  // The WAL's size: from a quarter of it a background thread checkpoints; at it the persistence
  // thread catches up between two commits and the WAL restarts (its file is cut back to this).
  std::uint32_t persistence_wal_max_mb = 16;
  std::vector<AclRule> acl;  // used only when no Authorizer is installed; empty = allow all
};
BOOST_DESCRIBE_STRUCT(BrokerOptions, (),
                      (allow_anonymous, max_packet_size, max_inflight, max_queued_messages,
                       max_queued_bytes, max_topic_length, max_topic_levels, max_connections,
                       max_connections_per_second, max_keepalive, connect_timeout_s,
                       topic_alias_maximum, max_client_id_length, max_subscriptions_per_client,
                       retain_available, max_retained_messages, max_retained_bytes, maximum_qos,
                       wildcard_subscription_available, shared_subscription_available,
                       subscription_identifiers_available, session_expiry_max,
                       max_kept_sessions_per_user, sys_interval_s, persistence, persistence_path,
                       ack_after_commit, max_held_acks, commit_interval_ms,
                       persistence_fsync_commits, persistence_wal_max_mb, acl))

// Defaults overlaid with the members present in `config`; errors name the JSON path.
Result<BrokerOptions> broker_options_from_json(const boost::json::value& config);

}  // namespace weir::mqtt
