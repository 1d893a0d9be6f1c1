// libFuzzer target for the broker core: a valid CONNECT (3.1.1 or 5, chosen by the first byte),
// then the rest of the input as whatever the client sends, in chunks the input also chooses,
// while a second client subscribed to '#' receives what gets routed. Ticks in between run keep
// alive, expiry and persistence-free housekeeping. The broker must neither crash nor trip a
// sanitizer, whatever arrives after CONNECT.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/clock.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt/codec/encoder.hpp"

namespace {

using namespace weir;
using namespace weir::mqtt;

struct NullSink : ConnectionSink {
  std::size_t bytes = 0;
  bool closed = false;
  void send(Bytes b) override { bytes += b->size(); }
  void close() override { closed = true; }
  std::size_t queued_bytes() const override { return 0; }
};

std::vector<std::uint8_t> connect_packet(ProtocolVersion v, const char* id) {
  Connect c;
  c.version = v;
  c.client_id = id;
  c.clean_start = true;
  c.keep_alive = 30;
  std::vector<std::uint8_t> out;
  encode(Packet{c}, v, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ManualClock clock;
  BrokerOptions o;
  o.allow_anonymous = true;
  o.sys_interval_s = 0;
  o.max_packet_size = 64 * 1024;
  Broker broker(o, clock, nullptr);

  auto watcher_sink = std::make_shared<NullSink>();
  const auto watcher = broker.open(watcher_sink, ConnectionInfo{"127.0.0.1:2", "tcp"});
  auto wc = connect_packet(ProtocolVersion::v5, "watcher");
  broker.on_bytes(watcher, wc.data(), wc.size());
  Subscribe sub;
  sub.packet_id = 1;
  sub.topics.push_back({"#", SubscribeOptions{}});
  std::vector<std::uint8_t> sb;
  encode(Packet{sub}, ProtocolVersion::v5, sb);
  broker.on_bytes(watcher, sb.data(), sb.size());

  const auto v = (data[0] & 1) ? ProtocolVersion::v5 : ProtocolVersion::v311;
  auto sink = std::make_shared<NullSink>();
  const auto id = broker.open(sink, ConnectionInfo{"127.0.0.1:1", "tcp"});
  auto c = connect_packet(v, "fuzz");
  broker.on_bytes(id, c.data(), c.size());
  std::size_t i = 1;
  while (i < size && !sink->closed) {
    // The chunk length comes from the input too (1..64 bytes), so packets split anywhere.
    const std::size_t n = std::min<std::size_t>(size - i, 1 + (data[i] & 0x3F));
    broker.on_bytes(id, data + i, n);
    i += n;
    if ((data[i - 1] & 0xF0) == 0xF0) {
      clock.advance(std::chrono::seconds(1));
      broker.tick();
    }
  }
  broker.on_closed(id);
  broker.tick();
  broker.shutdown();
  return 0;
}
