#pragma once
// Persistence plug-in: the broker loads everything once at start, records changes as they
// happen, and group-commits them: commit() writes everything recorded since the previous commit
// in one transaction off the broker thread, and the next commit starts as soon as the previous
// one has ended. A session is recorded whole (metadata, subscriptions, queued and in-flight
// messages) whenever it changed since the last commit.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mqtt/broker/connection.hpp"

namespace weir::mqtt {

struct StoredMessage {
  std::string topic;
  Bytes payload;  // never null
  std::uint8_t qos = 0;
  bool retain = false;
  std::vector<std::uint8_t> properties;  // encoded v5 PUBLISH property block (without length)
  std::int64_t expiry_unix_ms = 0;       // 0 = never expires
  std::uint16_t packet_id = 0;           // 0 = queued, not yet sent
  std::uint8_t state = 0;                // 0 = PUBLISH pending ack, 1 = PUBREL pending PUBCOMP
};

struct StoredSubscription {
  std::string filter;        // as subscribed (may start with $share/)
  std::uint8_t options = 0;  // v5 subscription options byte
  std::uint32_t subscription_id = 0;
};

struct StoredSession {
  std::string client_id;
  std::optional<std::string> owner;  // username ("" anonymous); nullopt: unknown (older files)
  std::uint8_t protocol_version = 4;
  std::uint32_t expiry_interval = 0;      // seconds
  std::int64_t disconnected_unix_ms = 0;  // 0 = was connected when stored
  std::vector<StoredSubscription> subscriptions;
  std::vector<StoredMessage> messages;  // in-flight first (packet_id != 0), then queued
};

struct StoredState {
  std::vector<StoredSession> sessions;
  std::vector<StoredMessage> retained;
};

class Persistence {
 public:
  virtual ~Persistence() = default;
  virtual Result<StoredState> load() = 0;
  virtual void put_session(StoredSession s) = 0;
  virtual void erase_session(const std::string& client_id) = 0;
  virtual void put_retained(StoredMessage m) = 0;
  virtual void erase_retained(const std::string& topic) = 0;
  // Starts writing everything recorded since the last commit in one transaction, without
  // blocking the caller; `done` runs on the broker thread once it has committed (or failed: the
  // changes are then kept for the next commit). The broker has at most one commit running.
  virtual void commit(std::function<void(Status)> done) = 0;
  // Pacing: true when a commit may start now. Otherwise false, and `ready` runs on the broker
  // thread once one may; the broker takes its batch only then, so what it records while the
  // commit waits joins that commit instead of the next one. Default: always at once.
  virtual bool ready_to_commit(std::function<void()> ready) {
    (void)ready;
    return true;
  }
  // Pacing: at the end of every entry point the broker tells how many acknowledgements wait
  // for commits and how many sessions changed since the last commit took its batch, so that a
  // cheap batch whose acknowledgements have stopped growing may be taken before its turn
  // (commit_pacing.hpp). Default: ignored.
  virtual void note_pending(std::size_t acks, std::size_t sessions) {
    (void)acks;
    (void)sessions;
  }
  // Something was recorded since the last commit started (or a failed commit gave it back).
  virtual bool has_pending() const = 0;
  // Blocking: writes everything recorded, after any commit still running (shutdown, tests).
  virtual Status flush() = 0;
};

}  // namespace weir::mqtt
