#include "api/live_feed.hpp"

#include <algorithm>

#include "core/json.hpp"

namespace weir::api {

LiveFeedHub::FeedId LiveFeedHub::add_feed(FeedDefinition def) {
  feeds_.push_back(Feed{std::move(def), {}, {}, 0});
  for (auto& [id, c] : clients_) c.subscribed.resize(feeds_.size(), false);
  return feeds_.size() - 1;
}

std::optional<LiveFeedHub::FeedId> LiveFeedHub::find_feed(std::string_view name) const {
  for (std::size_t i = 0; i < feeds_.size(); ++i)
    if (feeds_[i].def.name == name) return i;
  return std::nullopt;
}

LiveFeedHub::ClientId LiveFeedHub::connect(std::shared_ptr<LiveClient> client,
                                           std::function<bool(std::string_view)> can) {
  ClientId id = next_id_++;
  clients_.emplace(
      id, Client{std::move(client), std::move(can), std::vector<bool>(feeds_.size(), false)});
  stats_.clients = clients_.size();
  return id;
}

void LiveFeedHub::disconnect(ClientId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  for (std::size_t f = 0; f < feeds_.size(); ++f)
    if (it->second.subscribed[f]) --feeds_[f].subscribers;
  clients_.erase(it);
  stats_.clients = clients_.size();
}

void LiveFeedHub::revoke(ClientId id, std::uint16_t code, std::string reason) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  auto conn = it->second.conn;
  disconnect(id);
  ++stats_.revoked_clients;
  conn->close(code, std::move(reason));
}

void LiveFeedHub::recheck(ClientId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  for (std::size_t f = 0; f < feeds_.size(); ++f) {
    if (!c.subscribed[f] || c.can(feeds_[f].def.permission)) continue;
    c.subscribed[f] = false;
    --feeds_[f].subscribers;
    ++stats_.revoked_feeds;
    send_error(c, "forbidden",
               "feed \"" + feeds_[f].def.name + "\" needs permission " + feeds_[f].def.permission +
                   ": unsubscribed");
  }
}

void LiveFeedHub::send_error(Client& c, std::string_view code, std::string_view message) {
  std::string s = R"({"type":"error","error":{"code":)";
  json::append_escaped(s, code);
  s += R"(,"message":)";
  json::append_escaped(s, message);
  s += "}}";
  c.conn->send(std::move(s));
}

void LiveFeedHub::send_snapshot(Client& c, FeedId f) {
  std::string s = R"({"type":"snapshot","feed":)";
  json::append_escaped(s, feeds_[f].def.name);
  s += R"(,"items":[)";
  feeds_[f].def.snapshot(s);
  s += "]}";
  c.conn->send(std::move(s));
}

void LiveFeedHub::on_message(ClientId id, std::string_view text) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = it->second;
  auto v = json::parse(text, 8);
  if (!v || !v->is_object()) {
    send_error(c, "bad_request", v ? "expected a JSON object" : v.error().message);
    return;
  }
  const auto& o = v->get_object();
  auto type = o.find("type");
  if (type == o.end() || !type->value().is_string()) {
    send_error(c, "bad_request", "type: required string field is missing");
    return;
  }
  const std::string_view t = type->value().get_string();
  if (t == "ping") {
    c.conn->send(R"({"type":"pong"})");
    return;
  }
  if (t != "subscribe" && t != "unsubscribe") {
    send_error(c, "bad_request", "type: unknown message type \"" + std::string(t) + "\"");
    return;
  }
  auto feeds = o.find("feeds");
  if (feeds == o.end() || !feeds->value().is_array()) {
    send_error(c, "bad_request", "feeds: expected an array of feed names");
    return;
  }
  boost::json::array done;
  for (const auto& fv : feeds->value().get_array()) {
    if (!fv.is_string()) {
      send_error(c, "bad_request", "feeds: expected strings");
      continue;
    }
    if (std::find(done.begin(), done.end(), fv) != done.end()) {
      ++stats_.duplicate_feed_names;  // one snapshot per feed, however often it is named
      continue;
    }
    auto f = find_feed(std::string_view(fv.get_string()));
    if (!f) {
      send_error(c, "unknown_feed", "no feed \"" + std::string(fv.get_string()) + "\"");
      continue;
    }
    if (t == "subscribe") {
      if (!c.can(feeds_[*f].def.permission)) {
        send_error(
            c, "forbidden",
            "feed \"" + feeds_[*f].def.name + "\" needs permission " + feeds_[*f].def.permission);
        continue;
      }
      if (!c.subscribed[*f]) {
        c.subscribed[*f] = true;
        ++feeds_[*f].subscribers;
      }
      done.emplace_back(fv.get_string());
    } else if (c.subscribed[*f]) {
      c.subscribed[*f] = false;
      --feeds_[*f].subscribers;
      done.emplace_back(fv.get_string());
    }
  }
  std::string ack =
      t == "subscribe" ? R"({"type":"subscribed","feeds":)" : R"({"type":"unsubscribed","feeds":)";
  json::dump_to(ack, done);
  ack += "}";
  c.conn->send(std::move(ack));
  // Snapshots go to this client only, after the acknowledgement.
  if (t == "subscribe")
    for (const auto& fv : done)
      if (auto f = find_feed(std::string_view(fv.get_string()))) send_snapshot(c, *f);
}

void LiveFeedHub::drop(ClientId, Client& c, const char* why) {
  ++stats_.dropped_slow_clients;
  // Tell it (a close reason always fits: it bypasses the full data queue) and let it go.
  c.conn->close(1008, why);
}

bool LiveFeedHub::deliver(ClientId id, Client& c, const std::string& text) {
  if (c.conn->queued_bytes() > soft_limit_bytes || !c.conn->send(text)) {
    drop(id, c, "overflow: client too slow for the live feed");
    return false;
  }
  return true;
}

void LiveFeedHub::first_change(const Feed& f) {
  if (!idle(f, clock_->mono())) return;  // sent recently: the periodic flush coalesces
  wake_pending_ = true;
  wake_();
}

void LiveFeedHub::send_batch(FeedId f, std::vector<ClientId>& dropped) {
  Feed& feed = feeds_[f];
  if (feed.subscribers == 0) {
    for (auto k : feed.dirty)
      if (k < feed.flags.size()) feed.flags[k] = 0;
    feed.dirty.clear();
    return;
  }
  std::string s;
  s.reserve(64 + feed.dirty.size() * 96);
  s += R"({"type":"update","feed":)";
  json::append_escaped(s, feed.def.name);
  s += R"(,"items":[)";
  bool first = true;
  for (auto k : feed.dirty) {
    if (k < feed.flags.size()) feed.flags[k] = 0;
    if (!first) s.push_back(',');
    first = false;
    feed.def.encode(k, s);
  }
  s += "]}";
  stats_.items_sent += feed.dirty.size() * feed.subscribers;
  feed.dirty.clear();
  if (clock_) feed.last_sent = clock_->mono();
  for (auto& [id, c] : clients_) {
    if (!c.subscribed[f]) continue;
    if (deliver(id, c, s))
      ++stats_.batches_sent;
    else
      dropped.push_back(id);
  }
}

void LiveFeedHub::flush() {
  std::vector<ClientId> dropped;
  for (std::size_t f = 0; f < feeds_.size(); ++f)
    if (!feeds_[f].dirty.empty()) send_batch(f, dropped);
  for (auto id : dropped) disconnect(id);
}

void LiveFeedHub::flush_idle() {
  wake_pending_ = false;
  if (!clock_) return;
  const MonoTime now = clock_->mono();
  std::vector<ClientId> dropped;
  for (std::size_t f = 0; f < feeds_.size(); ++f) {
    if (feeds_[f].dirty.empty() || !idle(feeds_[f], now)) continue;
    send_batch(f, dropped);
    ++stats_.immediate_batches;
  }
  for (auto id : dropped) disconnect(id);
}

void LiveFeedHub::resnapshot_all() {
  for (auto& feed : feeds_) {
    for (auto k : feed.dirty)
      if (k < feed.flags.size()) feed.flags[k] = 0;
    feed.dirty.clear();
  }
  for (auto& [id, c] : clients_)
    for (std::size_t f = 0; f < feeds_.size(); ++f)
      if (c.subscribed[f]) send_snapshot(c, f);
}

}  // namespace weir::api
