// weir_mqtt_loadgen: drives any MQTT 3.1.1 broker the same way, so Weir and Mosquitto can be
// compared (see compare.sh). Single-threaded Asio; the few packets it needs are hand-encoded.
//
//   weir_mqtt_loadgen throughput --port P --qos 0|1 --publishers 8 --subscribers 1 --messages
//   200000 weir_mqtt_loadgen latency    --port P --qos 0|1 --rate 2000 --seconds 5
//   weir_mqtt_loadgen idle       --port P --connections 10000 --pid BROKER_PID
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
std::string connect_packet(const std::string& id, std::uint16_t keepalive) {
  std::string body;
  put_str(body, "MQTT");
  body.push_back(4);     // 3.1.1
  body.push_back(0x02);  // clean session
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
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  using PacketFn =
      std::function<void(std::uint8_t header, const std::uint8_t* body, std::size_t n)>;

  explicit Client(asio::io_context& io) : sock_(io) {}

  void start(const tcp::endpoint& ep, const std::string& id, std::uint16_t keepalive,
             std::function<void(bool)> on_connack) {
    on_connack_ = std::move(on_connack);
    sock_.async_connect(
        ep, [self = shared_from_this(), id, keepalive](const boost::system::error_code& ec) {
          if (ec) return self->fail("connect: " + ec.message());
          self->sock_.set_option(tcp::no_delay(true));
          self->out_ = connect_packet(id, keepalive);
          self->flush();
          self->read();
        });
  }

  // Appends to the pending output; sent with the next gathered write.
  std::string& out() { return out_; }
  void flush() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
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
                 std::uint16_t keepalive, std::function<void()> done) {
  auto left = std::make_shared<int>(n);
  for (int i = 0; i < n; ++i) {
    auto c = std::make_shared<Client>(io);
    clients.push_back(c);
    c->start(ep, prefix + std::to_string(i), keepalive, [left, done](bool ok) {
      if (!ok) {
        std::fprintf(stderr, "connect refused\n");
        std::exit(1);
      }
      if (--*left == 0) done();
    });
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
      auto pump = [raw, sent, acked, next_mid, per_pub, &o, &payload] {
        // QoS 0: keep one batch in flight per write; QoS 1: at most `window` unacknowledged.
        int batch = 0;
        while (*sent < per_pub && batch < 256 && (o.qos == 0 || *sent - *acked < o.window)) {
          if (++*next_mid == 0) *next_mid = 1;
          put_publish(raw->out(), "bench/t", payload, o.qos, *next_mid);
          ++*sent;
          ++batch;
        }
        raw->flush();
      };
      p->on_drained = [pump, &o] {
        if (o.qos == 0) pump();
      };
      p->on_packet = [acked, pump](std::uint8_t header, const std::uint8_t*, std::size_t) {
        if ((header >> 4) == 4) {
          ++*acked;
          pump();
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
                                      {"--window", &o.window}};
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
  else
    std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
  std::fflush(stdout);
  return rc;
}
