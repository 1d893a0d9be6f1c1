#pragma once
// Test helpers: a ConnectionSink that records what the broker sends, and a tiny client that
// speaks through it (encode packets in, decode packets out).
#include <gtest/gtest.h>

#include <deque>

#include "mqtt/broker/broker.hpp"
#include "mqtt/codec/decoder.hpp"
#include "mqtt/codec/encoder.hpp"
#include "mqtt/codec/frame_reader.hpp"

namespace weir::mqtt::test {

struct FakeSink : ConnectionSink {
  std::vector<std::uint8_t> wire;
  bool closed = false;
  std::size_t backlog = 0;
  bool keep = false;  // keep the buffers themselves (to see which are shared)
  std::vector<Bytes> kept;
  void send(Bytes b) override {
    wire.insert(wire.end(), b->begin(), b->end());
    if (keep) kept.push_back(std::move(b));
  }
  void close() override { closed = true; }
  std::size_t queued_bytes() const override { return backlog; }
  bool can_pause = true;  // a transport that can stop reading (false: the broker keeps going)
  bool paused = false;
  bool pause_reading(bool on) override {
    paused = can_pause && on;
    return can_pause;
  }
};

class Client {
 public:
  Client(Broker& b, ProtocolVersion v = ProtocolVersion::v311) : broker_(b), v_(v) {
    sink = std::make_shared<FakeSink>();
    id = broker_.open(sink, ConnectionInfo{"127.0.0.1:1", "tcp"});
  }
  void send(const Packet& p) {
    std::vector<std::uint8_t> out;
    if (auto* c = std::get_if<Connect>(&p)) v_ = c->version;
    encode(p, v_, out);
    broker_.on_bytes(id, out.data(), out.size());
  }
  void raw(std::vector<std::uint8_t> bytes) { broker_.on_bytes(id, bytes.data(), bytes.size()); }
  // Everything received since the last call.
  std::vector<Packet> recv() {
    std::vector<Packet> out;
    reader_.feed(sink->wire.data(), sink->wire.size());
    sink->wire.clear();
    while (true) {
      auto f = reader_.next();
      EXPECT_TRUE(f);
      if (!f || !*f) break;
      auto p = decode_packet((**f).header, (**f).body, DecodeOptions{v_});
      EXPECT_TRUE(p) << (p ? "" : p.error().message);
      if (p) out.push_back(std::move(*p));
    }
    return out;
  }
  template <class T>
  std::vector<T> recv_all() {
    std::vector<T> out;
    for (auto& p : recv())
      if (auto* t = std::get_if<T>(&p)) out.push_back(std::move(*t));
    return out;
  }
  Connack connect(std::string client_id, bool clean = true, Properties props = {},
                  std::optional<Will> will = {}, std::uint16_t keep_alive = 60) {
    Connect c;
    c.version = v_;
    c.client_id = std::move(client_id);
    c.clean_start = clean;
    c.properties = std::move(props);
    c.will = std::move(will);
    c.keep_alive = keep_alive;
    send(c);
    std::vector<Connack> acks;
    for (auto& p : recv()) {
      if (auto* a = std::get_if<Connack>(&p))
        acks.push_back(*a);
      else
        pending_.push_back(std::move(p));  // retransmissions right after CONNACK
    }
    EXPECT_EQ(acks.size(), 1u);
    return acks.empty() ? Connack{} : acks[0];
  }
  Suback subscribe(std::string filter, std::uint8_t qos = 0, SubscribeOptions extra = {},
                   std::uint32_t sub_id = 0) {
    Subscribe s;
    s.packet_id = next_id_++;
    extra.qos = qos;
    s.topics.push_back({std::move(filter), extra});
    if (sub_id) s.properties.subscription_identifiers.push_back(sub_id);
    send(s);
    auto all = recv();
    for (auto& p : all)
      if (auto* a = std::get_if<Suback>(&p)) {
        pending_.insert(pending_.end(), all.begin(), all.end());
        return *a;
      }
    ADD_FAILURE() << "no SUBACK";
    return {};
  }
  void publish(std::string topic, std::string payload, std::uint8_t qos = 0, bool retain = false,
               Properties props = {}) {
    Publish p;
    p.topic = std::move(topic);
    p.payload = make_payload(std::vector<std::uint8_t>(payload.begin(), payload.end()));
    p.qos = qos;
    p.retain = retain;
    p.packet_id = qos ? next_id_++ : 0;
    p.properties = std::move(props);
    send(p);
  }
  // PUBLISH packets received (including any held back by subscribe()).
  std::vector<Publish> publishes() {
    std::vector<Publish> out;
    for (auto& p : pending_)
      if (auto* t = std::get_if<Publish>(&p)) out.push_back(*t);
    pending_.clear();
    for (auto& p : recv_all<Publish>()) out.push_back(std::move(p));
    return out;
  }
  void close() { broker_.on_closed(id); }

  std::shared_ptr<FakeSink> sink;
  ConnectionId id = 0;

 private:
  Broker& broker_;
  ProtocolVersion v_;
  FrameReader reader_;
  std::uint16_t next_id_ = 1;
  std::vector<Packet> pending_;
};

inline std::string text(const Publish& p) {
  return std::string(p.payload->begin(), p.payload->end());
}

}  // namespace weir::mqtt::test
