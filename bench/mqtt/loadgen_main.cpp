// weir_mqtt_loadgen: drives any MQTT 3.1.1 broker the same way, so Weir and Mosquitto can be
// compared (see compare.sh). Single-threaded Asio; the few packets it needs are hand-encoded.
//
//   weir_mqtt_loadgen throughput --port P --qos 0|1 --publishers 8 --subscribers 1 --messages
//   200000 weir_mqtt_loadgen latency    --port P --qos 0|1 --rate 2000 --seconds 5
//   weir_mqtt_loadgen idle       --port P --connections 10000 --pid BROKER_PID
//   weir_mqtt_loadgen soak       --port P --qos 1 --publishers 10 --subscribers 10 --rate 10000
//                                --seconds 60 --idle 900 --persistent 1 [--window 64]
//
// soak: `idle` connections (keep-alive --idle-keepalive, PINGREQ at half of it, spread out),
// publisher i -> topic soak/i -> every subscriber j with j % publishers == i, at a fixed total
// rate; with --persistent 1 publishers and subscribers keep their sessions (clean session 0).
// Latency is from the time a message was due by the schedule (not when it could be written: a
// publisher whose window is full waits, and that wait counts) to its delivery; publish-to-PUBACK
// separately; `timer_lag` is the generator's own lateness (its noise floor). Seconds with a
// delivery slower than --slow-us are listed as "SLOW" lines.
//
// Every run is bounded by --timeout (seconds). The last line is "RESULT key=value ...".
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// --- packets ------------------------------------------------------------------------------

void put_varint(std::string& out, std::size_t n) {
  do {
    auto b = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    out.push_back(static_cast<char>(b | (n ? 0x80 : 0)));
  } while (n);
}
void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}
void put_str(std::string& out, const std::string& s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out += s;
}
void put_packet(std::string& out, std::uint8_t header, const std::string& body) {
  out.push_back(static_cast<char>(header));
  put_varint(out, body.size());
  out += body;
}
std::string connect_packet(const std::string& id, std::uint16_t keepalive, bool clean = true) {
  std::string body;
  put_str(body, "MQTT");
  body.push_back(4);                 // 3.1.1
  body.push_back(clean ? 0x02 : 0);  // clean session
  put_u16(body, keepalive);
  put_str(body, id);
  std::string out;
  put_packet(out, 0x10, body);
  return out;
}
void put_publish(std::string& out, const std::string& topic, const std::string& payload, int qos,
                 std::uint16_t mid) {
  std::string body;
  put_str(body, topic);
  if (qos) put_u16(body, mid);
  body += payload;
  put_packet(out, static_cast<std::uint8_t>(0x30 | (qos << 1)), body);
}
std::string subscribe_packet(const std::string& filter, int qos) {
  std::string body;
  put_u16(body, 1);
  put_str(body, filter);
  body.push_back(static_cast<char>(qos));
  std::string out;
  put_packet(out, 0x82, body);
  return out;
}
void put_puback(std::string& out, std::uint16_t mid) {
  out.push_back(0x40);
  out.push_back(0x02);
  put_u16(out, mid);
}

// --- a client -----------------------------------------------------------------------------

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  int qos = 0;
  int publishers = 1;
  int subscribers = 1;
  long messages = 100000;
  int payload = 64;
  int rate = 1000;
  int seconds = 5;
  int connections = 10000;
  int pid = 0;
  int timeout = 120;
  int window = 64;  // QoS 1 in-flight per publisher
  int idle = 0;     // soak: idle connections beside the traffic
  int idle_keepalive = 60;
  int persistent = 0;  // soak: publishers and subscribers keep their sessions
  int slow_us = 5000;  // soak: list the seconds with a delivery slower than this
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  using PacketFn =
      std::function<void(std::uint8_t header, const std::uint8_t* body, std::size_t n)>;

  explicit Client(asio::io_context& io) : sock_(io) {}

  void start(const tcp::endpoint& ep, const std::string& id, std::uint16_t keepalive,
             std::function<void(bool)> on_connack, bool clean = true) {
    on_connack_ = std::move(on_connack);
    sock_.async_connect(
        ep, [self = shared_from_this(), id, keepalive, clean](const boost::system::error_code& ec) {
          if (ec) return self->fail("connect: " + ec.message());
          self->sock_.set_option(tcp::no_delay(true));
          self->out_ = connect_packet(id, keepalive, clean);
          self->flush();
          self->read();
        });
  }

  // Appends to the pending output; sent with the next gathered write.
  std::string& out() { return out_; }
  void flush() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    if (split) split->handed_off(Clock::now());
    wbuf_.swap(out_);
    out_.clear();
    asio::async_write(
        sock_, asio::buffer(wbuf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          self->writing_ = false;
          if (ec) return self->fail("write: " + ec.message());
          if (self->on_drained) self->on_drained();
          self->flush();
        });
  }
  bool writing() const { return writing_; }
  void close() {
    closed_ = true;
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

  PacketFn on_packet;
  std::function<void()> on_drained;
  static inline long failures = 0;

  // The QoS 1 round trip seen by a publisher (throughput scenario): a PUBLISH's hand-off to the
  // socket (async_write's initiation, which writes at once when the socket can take it) to its
  // PUBACK read, and a PUBACK read to the hand-off of the PUBLISH that refills the freed slot.
  struct Split {
    std::vector<std::uint16_t> queued_mids;  // PUBLISHes in out_
    std::vector<Clock::time_point> refills;  // PUBACK read times whose refill is in out_
    std::map<std::uint16_t, Clock::time_point> sent_at;
    std::vector<float> round_trip_us, ack_to_publish_us;
    void handed_off(Clock::time_point now) {
      for (auto mid : queued_mids) sent_at[mid] = now;
      queued_mids.clear();
      for (auto t : refills)
        ack_to_publish_us.push_back(std::chrono::duration<float, std::micro>(now - t).count());
      refills.clear();
    }
    void acked(std::uint16_t mid, Clock::time_point now) {
      auto it = sent_at.find(mid);
      if (it == sent_at.end()) return;
      round_trip_us.push_back(std::chrono::duration<float, std::micro>(now - it->second).count());
      sent_at.erase(it);
    }
  };
  std::unique_ptr<Split> split;

 private:
  void fail(const std::string& what) {
    if (closed_) return;
    if (failures++ < 5) std::fprintf(stderr, "client: %s\n", what.c_str());
    close();
    if (on_connack_) {
      auto f = std::move(on_connack_);
      on_connack_ = nullptr;
      f(false);
    }
  }
  void read() {
    if (rbuf_.size() < rlen_ + 65536) rbuf_.resize(rlen_ + 65536);
    sock_.async_read_some(
        asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return self->fail("read: " + ec.message());
          self->rlen_ += n;
          self->parse();
          if (!self->closed_) self->read();
        });
  }
  void parse() {
    std::size_t pos = 0;
    while (rlen_ - pos >= 2) {
      std::size_t len = 0, mult = 1, i = pos + 1;
      bool complete = false;
      while (i < rlen_ && i < pos + 5) {
        std::uint8_t b = rbuf_[i++];
        len += (b & 0x7F) * mult;
        mult *= 128;
        if (!(b & 0x80)) {
          complete = true;
          break;
        }
      }
      if (!complete || rlen_ - i < len) break;
      std::uint8_t header = rbuf_[pos];
      if ((header >> 4) == 2) {
        if (on_connack_) {
          auto f = std::move(on_connack_);
          on_connack_ = nullptr;
          f(len >= 2 && rbuf_[i + 1] == 0);
        }
      } else if (on_packet) {
        on_packet(header, rbuf_.data() + i, len);
      }
      pos = i + len;
    }
    std::memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
    rlen_ -= pos;
    if (rbuf_.size() > 262144 && rlen_ < 65536) rbuf_.resize(65536 + rlen_);
  }

  tcp::socket sock_;
  std::vector<std::uint8_t> rbuf_;
  std::size_t rlen_ = 0;
  std::string out_, wbuf_;
  bool writing_ = false;
  bool closed_ = false;
  std::function<void(bool)> on_connack_;
};

// Calls done() once all `clients` have a CONNACK.
void connect_all(asio::io_context& io, const tcp::endpoint& ep,
                 std::vector<std::shared_ptr<Client>>& clients, int n, const std::string& prefix,
                 std::uint16_t keepalive, std::function<void()> done, bool clean = true) {
  auto left = std::make_shared<int>(n);
  for (int i = 0; i < n; ++i) {
    auto c = std::make_shared<Client>(io);
    clients.push_back(c);
    c->start(
        ep, prefix + std::to_string(i), keepalive,
        [left, done](bool ok) {
          if (!ok) {
            std::fprintf(stderr, "connect refused\n");
            std::exit(1);
          }
          if (--*left == 0) done();
        },
        clean);
  }
}

// Subscribes every client and calls done() when all SUBACKs are in.
void subscribe_all(
    std::vector<std::shared_ptr<Client>>& subs, const std::string& filter, int qos,
    std::function<void(Client&, std::uint8_t, const std::uint8_t*, std::size_t)> on_publish,
    std::function<void()> done) {
  auto left = std::make_shared<int>(static_cast<int>(subs.size()));
  for (auto& s : subs) {
    Client* raw = s.get();
    s->on_packet = [raw, left, done, on_publish](std::uint8_t header, const std::uint8_t* body,
                                                 std::size_t n) {
      int type = header >> 4;
      if (type == 9) {
        if (--*left == 0) done();
      } else if (type == 3) {
        on_publish(*raw, header, body, n);
      }
    };
    s->out() += subscribe_packet(filter, qos);
    s->flush();
  }
}

// Payload offset and message id of an incoming PUBLISH.
std::size_t payload_offset(std::uint8_t header, const std::uint8_t* body, std::uint16_t* mid) {
  std::size_t tlen = (static_cast<std::size_t>(body[0]) << 8) | body[1];
  std::size_t off = 2 + tlen;
  if ((header >> 1) & 3) {
    *mid = static_cast<std::uint16_t>((body[off] << 8) | body[off + 1]);
    off += 2;
  }
  return off;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long rss_kb(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// --- scenarios ----------------------------------------------------------------------------

double pct(const std::vector<float>& v, double p);  // below

int throughput(asio::io_context& io, const tcp::endpoint& ep, const Options& o) {
  std::vector<std::shared_ptr<Client>> subs, pubs;
  const long per_pub = o.messages / o.publishers;
  const long expected = per_pub * o.publishers * o.subscribers;
  long received = 0;
  Clock::time_point start, last;
  std::string payload(static_cast<std::size_t>(o.payload), 'x');
  asio::steady_timer quiet(io);
  bool finished = false;
  auto finish = [&] {
    if (finished) return;
    finished = true;
    double secs = std::chrono::duration<double>(last - start).count();
    std::printf(
        "RESULT scenario=throughput qos=%d publishers=%d subscribers=%d sent=%ld received=%ld "
        "seconds=%.3f msgs_per_s=%.0f loss=%.4f\n",
        o.qos, o.publishers, o.subscribers, per_pub * o.publishers, received, secs,
        secs > 0 ? static_cast<double>(received) / secs : 0.0,
        1.0 - static_cast<double>(received) / static_cast<double>(expected));
    if (o.qos == 1) {
      // The publishers' QoS 1 round trip, split: publish (hand-off) -> PUBACK read is the
      // broker and the kernel; PUBACK read -> next publish hand-off is this client.
      std::vector<float> rt, cl;
      for (auto& p : pubs)
        if (p->split) {
          rt.insert(rt.end(), p->split->round_trip_us.begin(), p->split->round_trip_us.end());
          cl.insert(cl.end(), p->split->ack_to_publish_us.begin(),
                    p->split->ack_to_publish_us.end());
        }
      std::sort(rt.begin(), rt.end());
      std::sort(cl.begin(), cl.end());
      std::printf(
          "SPLIT publish_to_puback_us p50=%.1f p99=%.1f n=%zu puback_to_next_publish_us p50=%.1f "
          "p99=%.1f n=%zu\n",
          pct(rt, 0.5), pct(rt, 0.99), rt.size(), pct(cl, 0.5), pct(cl, 0.99), cl.size());
    }
    io.stop();
  };
  // QoS 0 may drop under overload: stop when nothing arrives for 2 s.
  std::function<void()> arm_quiet = [&] {
    quiet.expires_after(std::chrono::seconds(2));
    quiet.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
  };
  auto on_publish = [&](Client& c, std::uint8_t header, const std::uint8_t* body, std::size_t) {
    std::uint16_t mid = 0;
    payload_offset(header, body, &mid);
    if ((header >> 1) & 3) {
      put_puback(c.out(), mid);
      c.flush();
    }
    ++received;
    last = Clock::now();
    if (received % 4096 == 0) arm_quiet();
    if (received >= expected) finish();
  };
  auto run_publishers = [&] {
    start = last = Clock::now();
    arm_quiet();
    for (auto& p : pubs) {
      auto sent = std::make_shared<long>(0);
      auto acked = std::make_shared<long>(0);
      auto next_mid = std::make_shared<std::uint16_t>(0);
      Client* raw = p.get();
      if (o.qos == 1) p->split = std::make_unique<Client::Split>();
      auto pump = [raw, sent, acked, next_mid, per_pub, &o,
                   &payload](std::optional<Clock::time_point> ack_read = std::nullopt) {
        // QoS 0: keep one batch in flight per write; QoS 1: at most `window` unacknowledged.
        int batch = 0;
        while (*sent < per_pub && batch < 256 && (o.qos == 0 || *sent - *acked < o.window)) {
          if (++*next_mid == 0) *next_mid = 1;
          put_publish(raw->out(), "bench/t", payload, o.qos, *next_mid);
          if (raw->split) {
            raw->split->queued_mids.push_back(*next_mid);
            if (ack_read) raw->split->refills.push_back(*ack_read);
          }
          ++*sent;
          ++batch;
        }
        raw->flush();
      };
      p->on_drained = [pump, &o] {
        if (o.qos == 0) pump();
      };
      p->on_packet = [raw, acked, pump](std::uint8_t header, const std::uint8_t* body,
                                        std::size_t n) {
        if ((header >> 4) == 4) {
          ++*acked;
          const auto now = Clock::now();
          if (raw->split && n >= 2)
            raw->split->acked(static_cast<std::uint16_t>((body[0] << 8) | body[1]), now);
          pump(now);
        }
      };
      pump();
    }
  };
  connect_all(io, ep, subs, o.subscribers, "lg-sub-", 0, [&] {
    subscribe_all(subs, "bench/t", o.qos, on_publish,
                  [&] { connect_all(io, ep, pubs, o.publishers, "lg-pub-", 0, run_publishers); });
  });
  io.run();
  return finished ? 0 : 1;
}

int latency(asio::io_context& io, const tcp::endpoint& ep, const Options& o) {
  std::vector<std::shared_ptr<Client>> subs, pubs;
  std::vector<double> samples;
  const long total = static_cast<long>(o.rate) * o.seconds;
  samples.reserve(static_cast<std::size_t>(total));
  long sent = 0;
  asio::steady_timer tick(io), grace(io);
  Clock::time_point t0;
  auto finish = [&] {
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) {
      if (samples.empty()) return 0.0;
      return samples[std::min(samples.size() - 1,
                              static_cast<std::size_t>(p * static_cast<double>(samples.size())))];
    };
    std::printf(
        "RESULT scenario=latency qos=%d rate=%d sent=%ld received=%zu p50_us=%.1f p99_us=%.1f "
        "max_us=%.1f\n",
        o.qos, o.rate, sent, samples.size(), pct(0.50), pct(0.99),
        samples.empty() ? 0.0 : samples.back());
    io.stop();
  };
  auto on_publish = [&](Client& c, std::uint8_t header, const std::uint8_t* body, std::size_t) {
    std::uint16_t mid = 0;
    auto off = payload_offset(header, body, &mid);
    if ((header >> 1) & 3) {
      put_puback(c.out(), mid);
      c.flush();
    }
    std::int64_t ns;
    std::memcpy(&ns, body + off, sizeof ns);
    auto now = Clock::now().time_since_epoch().count();
    samples.push_back(static_cast<double>(now - ns) / 1000.0);
    if (static_cast<long>(samples.size()) >= total) finish();
  };
  std::function<void()> step = [&] {
    // Publish every message that is due at this point of the schedule (fixed rate, no drift).
    auto due = static_cast<long>(seconds_since(t0) * o.rate);
    std::uint16_t mid = static_cast<std::uint16_t>(sent % 65535 + 1);
    while (sent < std::min(due, total)) {
      std::int64_t ns = Clock::now().time_since_epoch().count();
      std::string payload(static_cast<std::size_t>(std::max(o.payload, 8)), 'x');
      std::memcpy(payload.data(), &ns, sizeof ns);
      put_publish(pubs[0]->out(), "bench/lat", payload, o.qos, mid);
      ++sent;
      mid = static_cast<std::uint16_t>(sent % 65535 + 1);
    }
    pubs[0]->flush();
    if (sent < total) {
      tick.expires_after(std::chrono::microseconds(200));
      tick.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) step();
      });
    } else {
      grace.expires_after(std::chrono::seconds(3));
      grace.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) finish();
      });
    }
  };
  connect_all(io, ep, subs, 1, "lat-sub-", 0, [&] {
    subscribe_all(subs, "bench/lat", o.qos, on_publish, [&] {
      connect_all(io, ep, pubs, 1, "lat-pub-", 0, [&] {
        pubs[0]->on_packet = [](std::uint8_t, const std::uint8_t*, std::size_t) {};
        t0 = Clock::now();
        step();
      });
    });
  });
  io.run();
  return 0;
}

int idle(asio::io_context& io, const tcp::endpoint& ep, const Options& o) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(o.connections) + 256);
  setrlimit(RLIMIT_NOFILE, &rl);
  long before = o.pid ? rss_kb(o.pid) : -1;
  std::vector<std::shared_ptr<Client>> clients;
  clients.reserve(static_cast<std::size_t>(o.connections));
  auto started = Clock::now();
  int connected = 0;
  asio::steady_timer settle(io);
  // Connect in waves of 500 so neither side's accept backlog overflows.
  std::function<void()> wave = [&] {
    int n = std::min(500, o.connections - connected);
    if (n <= 0) {
      settle.expires_after(std::chrono::seconds(2));
      settle.async_wait([&](const boost::system::error_code&) {
        long after = o.pid ? rss_kb(o.pid) : -1;
        std::printf(
            "RESULT scenario=idle connections=%d connect_seconds=%.2f rss_before_kb=%ld "
            "rss_after_kb=%ld "
            "bytes_per_connection=%.0f\n",
            connected, seconds_since(started), before, after,
            after > 0 ? static_cast<double>(after - before) * 1024.0 / connected : 0.0);
        io.stop();
      });
      return;
    }
    std::vector<std::shared_ptr<Client>> batch;
    connect_all(io, ep, batch, n, "idle-" + std::to_string(connected) + "-", 0, [&, n] {
      connected += n;
      wave();
    });
    for (auto& c : batch) clients.push_back(std::move(c));
  };
  wave();
  io.run();
  for (auto& c : clients) c->close();
  return 0;
}

// Percentile of sorted samples (0 if none).
double pct(const std::vector<float>& v, double p) {
  if (v.empty()) return 0.0;
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int soak(asio::io_context& io, const tcp::endpoint& ep, const Options& o) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(o.idle) + 256);
  setrlimit(RLIMIT_NOFILE, &rl);
  const int P = std::max(1, o.publishers), S = std::max(1, o.subscribers);
  const long per_pub = static_cast<long>(o.rate) * o.seconds / P;
  const bool clean = o.persistent == 0;
  // Payload: due time (steady ns), publisher, sequence; padded to --payload.
  constexpr std::size_t kHead = 8 + 4 + 8;
  const std::size_t psize = std::max<std::size_t>(kHead, static_cast<std::size_t>(o.payload));
  std::vector<std::shared_ptr<Client>> idle, subs, pubs;
  std::vector<float> lat, ack_lat, timer_lag;  // microseconds
  lat.reserve(static_cast<std::size_t>(per_pub * P * ((S + P - 1) / P)));
  ack_lat.reserve(static_cast<std::size_t>(per_pub * P));
  // Per (subscriber, publisher): which sequence numbers arrived (duplicates counted).
  std::vector<std::vector<bool>> seen(static_cast<std::size_t>(S) * P,
                                      std::vector<bool>(static_cast<std::size_t>(per_pub)));
  long received = 0, duplicates = 0, expected = 0;
  for (int j = 0; j < S; ++j) expected += per_pub;  // subscriber j hears publisher j % P
  std::map<long, std::pair<long, float>> slow;      // second -> (slow deliveries, max us)
  struct Pub {
    long sent = 0;
    std::map<std::uint16_t, std::int64_t> inflight;  // packet id -> due ns
    std::uint16_t next_mid = 0;
    long acked = 0;
  };
  std::vector<Pub> pstate(static_cast<std::size_t>(P));
  Clock::time_point t0;
  asio::steady_timer tick(io), grace(io), ping(io);
  bool finished = false;
  auto finish = [&] {
    if (finished) return;
    finished = true;
    std::sort(lat.begin(), lat.end());
    std::sort(ack_lat.begin(), ack_lat.end());
    std::sort(timer_lag.begin(), timer_lag.end());
    for (const auto& [sec, v] : slow)
      std::printf("SLOW second=%ld deliveries_over_%dus=%ld max_us=%.0f\n", sec, o.slow_us, v.first,
                  static_cast<double>(v.second));
    long sent = 0, acked = 0;
    for (const auto& p : pstate) {
      sent += p.sent;
      acked += p.acked;
    }
    std::printf(
        "RESULT scenario=soak qos=%d rate=%d seconds=%d idle=%d publishers=%d subscribers=%d "
        "persistent=%d sent=%ld acked=%ld received=%ld expected=%ld lost=%ld duplicates=%ld "
        "p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f ack_p50_us=%.0f ack_p99_us=%.0f "
        "ack_p999_us=%.0f ack_max_us=%.0f timer_lag_p999_us=%.0f timer_lag_max_us=%.0f\n",
        o.qos, o.rate, o.seconds, o.idle, P, S, o.persistent, sent, acked, received - duplicates,
        expected, expected - (received - duplicates), duplicates, pct(lat, 0.5), pct(lat, 0.99),
        pct(lat, 0.999), lat.empty() ? 0.0 : lat.back(), pct(ack_lat, 0.5), pct(ack_lat, 0.99),
        pct(ack_lat, 0.999), ack_lat.empty() ? 0.0 : ack_lat.back(), pct(timer_lag, 0.999),
        timer_lag.empty() ? 0.0 : timer_lag.back());
    io.stop();
  };
  auto now_ns = [] { return Clock::now().time_since_epoch().count(); };
  std::string pad(psize - kHead, 'x');
  // Writes every message of publisher i that is due and fits its window.
  auto pump = [&](int i) {
    auto& p = pstate[static_cast<std::size_t>(i)];
    const double per_s = static_cast<double>(o.rate) / P;
    const auto due = std::min(per_pub, static_cast<long>(seconds_since(t0) * per_s) + 1);
    bool wrote = false;
    while (p.sent < due && (o.qos == 0 || static_cast<int>(p.inflight.size()) < o.window)) {
      const std::int64_t due_ns =
          t0.time_since_epoch().count() + static_cast<std::int64_t>(p.sent * 1e9 / per_s);
      std::string payload(kHead, '\0');
      std::memcpy(payload.data(), &due_ns, 8);
      std::memcpy(payload.data() + 8, &i, 4);
      std::memcpy(payload.data() + 12, &p.sent, 8);
      payload += pad;
      do {
        if (++p.next_mid == 0) p.next_mid = 1;
      } while (o.qos && p.inflight.count(p.next_mid));
      put_publish(pubs[static_cast<std::size_t>(i)]->out(), "soak/" + std::to_string(i), payload,
                  o.qos, p.next_mid);
      if (o.qos) p.inflight[p.next_mid] = due_ns;
      ++p.sent;
      wrote = true;
    }
    if (wrote) pubs[static_cast<std::size_t>(i)]->flush();
  };
  std::function<void()> step = [&] {
    const auto now = Clock::now();
    bool all_sent = true;
    for (int i = 0; i < P; ++i) {
      pump(i);
      all_sent = all_sent && pstate[static_cast<std::size_t>(i)].sent >= per_pub;
    }
    if (all_sent) {
      // Everything written: wait (bounded) for the deliveries and acknowledgements.
      grace.expires_after(std::chrono::seconds(10));
      grace.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) finish();
      });
      return;
    }
    const auto due = now + std::chrono::microseconds(500);
    tick.expires_at(due);
    tick.async_wait([&, due](const boost::system::error_code& ec) {
      if (ec) return;
      timer_lag.push_back(static_cast<float>(
          std::chrono::duration<double, std::micro>(Clock::now() - due).count()));
      step();
    });
  };
  auto check_done = [&] {
    if (received - duplicates < expected) return;
    for (const auto& p : pstate)
      if (!p.inflight.empty()) return;
    finish();
  };
  auto on_delivery = [&](int j, Client& c, std::uint8_t header, const std::uint8_t* body,
                         std::size_t n) {
    std::uint16_t mid = 0;
    const auto off = payload_offset(header, body, &mid);
    if ((header >> 1) & 3) {
      put_puback(c.out(), mid);
      c.flush();
    }
    if (n < off + kHead) return;
    std::int64_t due_ns;
    std::int32_t pub;
    std::int64_t seq;
    std::memcpy(&due_ns, body + off, 8);
    std::memcpy(&pub, body + off + 8, 4);
    std::memcpy(&seq, body + off + 12, 8);
    if (pub < 0 || pub >= P || seq < 0 || seq >= per_pub) return;
    ++received;
    auto flag = seen[static_cast<std::size_t>(j) * P + static_cast<std::size_t>(pub)]
                    [static_cast<std::size_t>(seq)];
    if (flag) {
      ++duplicates;
      return;
    }
    flag = true;
    const auto us = static_cast<float>(static_cast<double>(now_ns() - due_ns) / 1000.0);
    lat.push_back(us);
    if (us > static_cast<float>(o.slow_us)) {
      auto& s = slow[static_cast<long>(seconds_since(t0))];
      ++s.first;
      s.second = std::max(s.second, us);
    }
    check_done();
  };
  auto start_traffic = [&] {
    for (int i = 0; i < P; ++i) {
      pubs[static_cast<std::size_t>(i)]->on_packet = [&, i](std::uint8_t header,
                                                            const std::uint8_t* body,
                                                            std::size_t n) {
        if ((header >> 4) != 4 || n < 2) return;
        auto& p = pstate[static_cast<std::size_t>(i)];
        const auto mid = static_cast<std::uint16_t>((body[0] << 8) | body[1]);
        auto it = p.inflight.find(mid);
        if (it == p.inflight.end()) return;
        ack_lat.push_back(static_cast<float>(static_cast<double>(now_ns() - it->second) / 1000.0));
        p.inflight.erase(it);
        ++p.acked;
        pump(i);  // a freed window slot is refilled at once
        if (finished == false && p.acked == per_pub) check_done();
      };
    }
    t0 = Clock::now();
    step();
  };
  // Idle clients send PINGREQ every half keep-alive, spread evenly over that time.
  auto ping_idle = std::make_shared<std::function<void(std::size_t)>>();
  *ping_idle = [&, ping_idle](std::size_t next) {
    if (idle.empty() || o.idle_keepalive <= 0) return;
    const auto period = std::chrono::milliseconds(o.idle_keepalive * 500);
    const auto gap = period / static_cast<long>(idle.size());
    idle[next % idle.size()]->out() += std::string("\xC0\x00", 2);
    idle[next % idle.size()]->flush();
    ping.expires_after(std::max<Clock::duration>(gap, std::chrono::milliseconds(1)));
    ping.async_wait([ping_idle, next](const boost::system::error_code& ec) {
      if (!ec) (*ping_idle)(next + 1);
    });
  };
  auto connect_traffic = [&] {
    (*ping_idle)(0);
    connect_all(
        io, ep, subs, S, "soak-sub-", 60,
        [&] {
          auto left = std::make_shared<int>(S);
          for (int j = 0; j < S; ++j) {
            Client* raw = subs[static_cast<std::size_t>(j)].get();
            raw->on_packet = [&, j, raw, left](std::uint8_t header, const std::uint8_t* body,
                                               std::size_t n) {
              const int type = header >> 4;
              if (type == 9 && --*left == 0)
                connect_all(io, ep, pubs, P, "soak-pub-", 60, start_traffic, clean);
              else if (type == 3)
                on_delivery(j, *raw, header, body, n);
            };
            raw->out() += subscribe_packet("soak/" + std::to_string(j % P), o.qos);
            raw->flush();
          }
        },
        clean);
  };
  // Idle connections first, in waves of 500.
  auto wave = std::make_shared<std::function<void()>>();
  *wave = [&, wave] {
    const int n = std::min(500, o.idle - static_cast<int>(idle.size()));
    if (n <= 0) return connect_traffic();
    std::vector<std::shared_ptr<Client>> batch;
    connect_all(io, ep, batch, n, "soak-idle-" + std::to_string(idle.size()) + "-",
                static_cast<std::uint16_t>(o.idle_keepalive), [wave] { (*wave)(); });
    for (auto& c : batch) idle.push_back(std::move(c));
  };
  (*wave)();
  io.run();
  for (auto& c : idle) c->close();
  return finished ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s throughput|latency|idle [--port P] [--qos Q] ...\n", argv[0]);
    return 2;
  }
  std::string scenario = argv[1];
  Options o;
  std::map<std::string, int*> ints = {{"--port", &o.port},
                                      {"--qos", &o.qos},
                                      {"--publishers", &o.publishers},
                                      {"--subscribers", &o.subscribers},
                                      {"--payload", &o.payload},
                                      {"--rate", &o.rate},
                                      {"--seconds", &o.seconds},
                                      {"--connections", &o.connections},
                                      {"--pid", &o.pid},
                                      {"--timeout", &o.timeout},
                                      {"--window", &o.window},
                                      {"--idle", &o.idle},
                                      {"--idle-keepalive", &o.idle_keepalive},
                                      {"--persistent", &o.persistent},
                                      {"--slow-us", &o.slow_us}};
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--messages")
      o.messages = std::atol(argv[i + 1]);
    else if (k == "--host")
      o.host = argv[i + 1];
    else if (ints.count(k))
      *ints[k] = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  asio::io_context io(1);
  tcp::endpoint ep(asio::ip::make_address(o.host), static_cast<std::uint16_t>(o.port));
  asio::steady_timer deadline(io);
  deadline.expires_after(std::chrono::seconds(o.timeout));
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    std::printf("RESULT scenario=%s timeout=%d failed=1\n", scenario.c_str(), o.timeout);
    std::fflush(stdout);
    std::_Exit(1);
  });
  int rc = 2;
  if (scenario == "throughput")
    rc = throughput(io, ep, o);
  else if (scenario == "latency")
    rc = latency(io, ep, o);
  else if (scenario == "idle")
    rc = idle(io, ep, o);
  else if (scenario == "soak")
    rc = soak(io, ep, o);
  else
    std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
  std::fflush(stdout);
  return rc;
}
