// weir_mqtt_bench_server: just the broker core and its listeners, for benchmarks (broker vs
// broker, without the rest of Weir) and for running the MQTT wire tests against the transport
// (WEIR_TEST_BROKER=bench).
//
//   weir_mqtt_bench_server --port 1883 [--ws-port 8083] [--data-dir DIR] [--max-keepalive S]
//                          [--max-packet-size N] [--sys-interval S] [--max-inflight N]
//                          [--max-queued N] [--max-queued-bytes N] [--max-outgoing-bytes N]
//                          [--ack-before-commit] [--commit-interval-ms N]
//                          [--tls-port P --tls-cert PEM --tls-key PEM] [--quiet]
//
// SIGUSR1 prints the broker's side of the QoS 1 round trip since the previous SIGUSR1 (or the
// start) on stdout and starts it again, as one line compare.sh reads:
//   BROKER_SPLIT puback_n=… puback_mean_us=… puback_p50_us=… puback_p99_us=… puback_max_us=…
//                refill_n=… refill_mean_us=… refill_p50_us=… refill_p99_us=… refill_max_us=…
// (puback: a QoS 1 PUBLISH read -> its PUBACK handed to the socket; refill: a subscriber's
// PUBACK read -> the queued PUBLISH refilling its window handed to the socket; the p50/p99 are
// bucket bounds, "at most": mqtt/broker/duration_histogram.hpp).
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/sqlite_persistence.hpp"
#include "mqtt/transport/mqtt_listeners.hpp"

namespace {

void print_split(weir::mqtt::MqttListeners& listeners) {
  std::string line = "BROKER_SPLIT";
  auto add = [&line](const char* name, const weir::mqtt::DurationHistogram& h) {
    auto us = [](double s) { return std::to_string(static_cast<long long>(s * 1e6 + 0.5)); };
    line += std::string(" ") + name + "_n=" + std::to_string(h.count()) + " " + name +
            "_mean_us=" + us(h.mean_seconds()) + " " + name +
            "_p50_us=" + us(h.quantile_bound_seconds(0.5)) + " " + name +
            "_p99_us=" + us(h.quantile_bound_seconds(0.99)) + " " + name +
            "_max_us=" + us(h.max_seconds());
  };
  add("puback", listeners.puback_time());
  add("refill", listeners.refill_time());
  listeners.reset_reply_times();
  // The busy poll's spins since the last line (its counters only grow).
  static weir::mqtt::BusyPollStats last;
  const auto bp = listeners.busy_poll();
  line += " spin_hits=" + std::to_string(bp.hits - last.hits) +
          " spin_misses=" + std::to_string(bp.misses - last.misses) +
          " spin_cut=" + std::to_string(bp.cut - last.cut) +
          " spin_ms=" + std::to_string((bp.spin_time - last.spin_time).count() / 1000000);
  last = bp;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  weir::mqtt::BrokerOptions bopts;
  bopts.allow_anonymous = true;
  bopts.max_connections = 0;
  weir::mqtt::MqttListenerOptions lopts;
  lopts.tcp_port = 1883;
  lopts.ws_port = -1;
  lopts.tls_port = -1;
  lopts.max_accepts_per_second = 0;
  std::string data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port")
      lopts.tcp_port = std::stoi(next());
    else if (a == "--ws-port")
      lopts.ws_port = std::stoi(next());
    else if (a == "--bind")
      lopts.bind_address = next();
    else if (a == "--tls-port")
      lopts.tls_port = std::stoi(next());
    else if (a == "--tls-cert")
      lopts.tls_cert_file = next();
    else if (a == "--tls-key")
      lopts.tls_key_file = next();
    else if (a == "--data-dir")
      data_dir = next();
    else if (a == "--max-keepalive")
      bopts.max_keepalive = static_cast<std::uint16_t>(std::stoi(next()));
    else if (a == "--max-packet-size")
      bopts.max_packet_size = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--sys-interval")
      bopts.sys_interval_s = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--max-inflight")
      bopts.max_inflight = static_cast<std::uint16_t>(std::stoi(next()));
    else if (a == "--max-queued")
      bopts.max_queued_messages = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--max-queued-bytes")
      bopts.max_queued_bytes = std::stoull(next());
    else if (a == "--max-outgoing-bytes")
      lopts.max_outgoing_bytes = std::stoull(next());
    else if (a == "--commit-interval-ms")
      bopts.commit_interval_ms = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--ack-before-commit")
      bopts.ack_after_commit = false;
    else if (a == "--busy-poll-us")
      lopts.busy_poll_us = static_cast<std::uint32_t>(std::stoul(next()));
    else if (a == "--quiet")
      spdlog::set_level(spdlog::level::warn);
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  boost::asio::io_context io(1);
  std::unique_ptr<weir::mqtt::Persistence> persistence;
  if (!data_dir.empty()) {
    std::filesystem::create_directories(data_dir);
    auto db = std::make_unique<weir::mqtt::SqlitePersistence>(
        data_dir + "/mqtt_broker.db",
        [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); },
        weir::mqtt::persistence_options(bopts));
    if (!db->ok()) {
      std::fprintf(stderr, "persistence: %s\n", db->open_error().c_str());
      return 1;
    }
    bopts.persistence = true;
    persistence = std::move(db);
  }
  weir::mqtt::Broker broker(bopts, weir::SystemClock::instance(), std::move(persistence));
  weir::mqtt::MqttListeners listeners;
  if (auto st = listeners.start(io, broker, lopts); !st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  boost::asio::signal_set split_signal(io, SIGUSR1);
  std::function<void()> on_split = [&] {
    split_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      print_split(listeners);
      on_split();
    });
  };
  on_split();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    broker.shutdown();
    listeners.stop();
    split_signal.cancel();
  });
  std::printf("ready tcp=%u ws=%u tls=%u\n", listeners.tcp_port(), listeners.ws_port(),
              listeners.tls_port());
  std::fflush(stdout);
  io.run();
  return 0;
}
