#pragma once
// The live feed behind the /ws WebSocket (SPEC §7). One socket per browser tab multiplexes feeds;
// a new subscriber gets the feed's whole state once (snapshot), then batches of what changed.
// A change to a feed that sent nothing for one flush interval goes out at once (on the next turn
// of the io loop, so the changes of one handler still make one batch); while changes keep coming
// they are coalesced and sent by the periodic flush, at most one interval old. Each batch is
// encoded once per feed and the same bytes go to every subscriber. A client whose bounded queue
// overflows is told and dropped; it never slows the server or the other clients.
//
// Protocol (JSON text frames):
//   client: {"type":"subscribe","feeds":["datapoint","command"]}
//   {"type":"unsubscribe","feeds":[..]}
//           {"type":"ping"}
//   server: {"type":"subscribed","feeds":[..]}  {"type":"snapshot","feed":F,"items":[..]}
//           {"type":"update","feed":F,"items":[..]}  {"type":"pong"}
//           {"type":"error","error":{"code","message"}}  {"type":"overflow","message":..} then
//           close
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace weir::api {

class LiveClient {
 public:
  virtual ~LiveClient() = default;
  virtual bool send(std::string text) = 0;  // false when the client's queue is full
  virtual std::size_t queued_bytes() const = 0;
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

struct FeedDefinition {
  std::string name;        // "datapoint"
  std::string permission;  // needed to subscribe ("view")
  // Appends the whole state as comma-separated JSON items (no brackets).
  std::function<void(std::string& out)> snapshot;
  // Appends one item (the current state of `key`) as JSON.
  std::function<void(std::uint64_t key, std::string& out)> encode;
};

struct LiveFeedStats {
  std::uint64_t clients = 0;
  std::uint64_t batches_sent = 0;
  std::uint64_t items_sent = 0;
  std::uint64_t marks = 0;
  std::uint64_t dropped_slow_clients = 0;
  std::uint64_t duplicate_feed_names = 0;  // repeated in one (un)subscribe: answered once
  std::uint64_t revoked_clients = 0;       // closed because their session or rights ended
  std::uint64_t revoked_feeds = 0;         // subscriptions dropped after a permission was lost
  std::uint64_t immediate_batches = 0;     // sent by flush_idle(), not the periodic flush
};

class LiveFeedHub {
 public:
  using FeedId = std::size_t;
  using ClientId = std::uint64_t;

  LiveFeedHub() = default;
  FeedId add_feed(FeedDefinition def);
  std::optional<FeedId> find_feed(std::string_view name) const;

  // Sending at once: `wake` asks for flush_idle() soon (the server posts it to the io loop);
  // a feed is idle when its last batch is at least `interval` old on `clock`. Without this
  // (unit tests, benchmarks) only flush() sends.
  void send_idle_changes_at_once(const Clock& clock, Millis interval, std::function<void()> wake) {
    clock_ = &clock;
    interval_ = interval;
    wake_ = std::move(wake);
  }

  // Something changed: key will be sent at the next flush (once, however often it changed),
  // or at once when the feed is idle.
  void mark(FeedId feed, std::uint64_t key) {
    Feed& f = feeds_[feed];
    ++stats_.marks;
    if (f.subscribers == 0) return;
    if (key >= f.flags.size()) f.flags.resize(key + 1024, 0);  // keys are dense indices
    if (f.flags[key]) return;
    f.flags[key] = 1;
    if (f.dirty.empty() && wake_ && !wake_pending_) first_change(f);
    f.dirty.push_back(key);
  }

  ClientId connect(std::shared_ptr<LiveClient> client,
                   std::function<bool(std::string_view permission)> can);
  void on_message(ClientId id, std::string_view text);
  void disconnect(ClientId id);
  // The client's session or rights ended: it leaves the hub at once (no further batch) and its
  // connection is closed with `code` and `reason`.
  void revoke(ClientId id, std::uint16_t code, std::string reason);
  // The client's permissions changed (its `can` answers differently now): every feed it may no
  // longer read is unsubscribed, and the client told so with a "forbidden" error for each.
  void recheck(ClientId id);
  void flush();           // call every flush interval (50 ms): sends every feed's changes
  void flush_idle();      // what `wake` asked for: sends the changes of the idle feeds
  void resnapshot_all();  // the configuration changed: everyone gets fresh snapshots
  const LiveFeedStats& stats() const { return stats_; }
  std::size_t soft_limit_bytes = 1u << 20;  // a client with more than this queued gets no new batch

 private:
  struct Feed {
    FeedDefinition def;
    std::vector<std::uint8_t> flags;
    std::vector<std::uint64_t> dirty;
    std::size_t subscribers = 0;
    MonoTime last_sent{};  // of the last batch
  };
  struct Client {
    std::shared_ptr<LiveClient> conn;
    std::function<bool(std::string_view)> can;
    std::vector<bool> subscribed;
  };
  void send_error(Client& c, std::string_view code, std::string_view message);
  void send_snapshot(Client& c, FeedId f);
  bool deliver(ClientId id, Client& c, const std::string& text);
  void drop(ClientId id, Client& c, const char* why);
  void first_change(const Feed& f);
  bool idle(const Feed& f, MonoTime now) const { return now - f.last_sent >= interval_; }
  void send_batch(FeedId f, std::vector<ClientId>& dropped);

  std::vector<Feed> feeds_;
  std::map<ClientId, Client> clients_;
  ClientId next_id_ = 1;
  LiveFeedStats stats_;
  const Clock* clock_ = nullptr;
  Millis interval_{50};
  std::function<void()> wake_;
  bool wake_pending_ = false;
};

}  // namespace weir::api
