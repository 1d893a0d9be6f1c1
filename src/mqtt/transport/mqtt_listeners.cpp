#include "mqtt/transport/mqtt_listeners.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <chrono>

#include "mqtt/transport/accept_rate_limiter.hpp"
#include "mqtt/transport/stream_connection.hpp"
#include "mqtt/transport/tcp_poller.hpp"

namespace weir::mqtt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

enum class ListenerKind { tcp, tls, ws };

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

const char* label(ListenerKind k) {
  switch (k) {
    case ListenerKind::tls:
      return "MQTT TLS listener";
    case ListenerKind::ws:
      return "MQTT WebSocket listener";
    default:
      return "MQTT listener";
  }
}

// Accepts sockets on one port and hands each to the TcpPoller (plain TCP) or a StreamConnection
// (TLS, WebSocket).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, ListenerKind kind, std::shared_ptr<TransportContext> ctx,
           std::shared_ptr<asio::ssl::context> ssl, TcpPoller* poller = nullptr)
      : acceptor_(io),
        retry_(io),
        kind_(kind),
        ctx_(std::move(ctx)),
        ssl_(std::move(ssl)),
        poller_(poller),
        limiter_(ctx_->opts.max_accepts_per_second) {}

  Status bind(const std::string& address, int port) {
    auto where = fmt::format("{} {}:{}", label(kind_), address, port);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(address, ec);
    if (ec) return unavailable(where, "invalid bind address");
    if (port < 0 || port > 65535) return unavailable(where, "invalid port");
    tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
    if (acceptor_.open(ep.protocol(), ec); ec) return unavailable(where, lower_first(ec.message()));
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor_.bind(ep, ec); ec) return unavailable(where, lower_first(ec.message()));
    // The backlog holds a storm while accepting pauses (the kernel caps it at somaxconn).
    if (acceptor_.listen(static_cast<int>(ctx_->opts.listen_backlog), ec); ec)
      return unavailable(where, lower_first(ec.message()));
    port_ = acceptor_.local_endpoint(ec).port();
    spdlog::info("{} {}:{} ready", label(kind_), address, port_);
    return {};
  }

  void accept() {
    // Beyond the accept rate: pause (bounded, at most a second) and leave the connections in
    // the listen backlog, instead of accepting and closing them.
    if (const auto wait = limiter_.admit(std::chrono::steady_clock::now());
        wait != std::chrono::nanoseconds::zero()) {
      ++ctx_->accept_pauses;
      retry_.expires_after(wait);
      retry_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
        if (!e && !self->ctx_->stopped) self->accept();
      });
      return;
    }
    acceptor_.async_accept(
        [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket s) {
          self->on_accept(ec, std::move(s));
        });
  }

  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

  std::uint16_t port() const { return port_; }

 private:
  static Error unavailable(const std::string& where, const std::string& why) {
    return Error::make(ErrorKind::unavailable, "mqtt_listen_failed", where + ": " + why);
  }

  void on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || ctx_->stopped) return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      spdlog::warn("{} port {}: accept failed: {}", label(kind_), port_, ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
        if (!e && !self->ctx_->stopped) self->accept();
      });
      return;
    }
    boost::system::error_code ep_ec;
    auto remote_ep = socket.remote_endpoint(ep_ec);
    std::string remote =
        ep_ec ? std::string("unknown")
              : fmt::format("{}:{}", remote_ep.address().to_string(), remote_ep.port());
    {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      switch (kind_) {
        case ListenerKind::tcp: {
          const int fd = socket.release(ignored);
          if (ignored)
            spdlog::warn("{} port {}: cannot take socket of {}: {}", label(kind_), port_, remote,
                         ignored.message());
          else
            poller_->adopt(fd, std::move(remote));
          break;
        }
        case ListenerKind::tls:
          std::make_shared<StreamConnection<TlsSocket>>(TlsSocket(std::move(socket), *ssl_), ctx_,
                                                        std::move(remote))
              ->start();
          break;
        case ListenerKind::ws:
          std::make_shared<StreamConnection<WsSocket>>(WsSocket(std::move(socket)), ctx_,
                                                       std::move(remote))
              ->start();
          break;
      }
    }
    accept();
  }

  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  ListenerKind kind_;
  std::shared_ptr<TransportContext> ctx_;
  std::shared_ptr<asio::ssl::context> ssl_;
  TcpPoller* poller_;  // plain TCP only; owned by MqttListeners::Impl, outlives the acceptor
  AcceptRateLimiter limiter_;
  std::uint16_t port_ = 0;
};

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const MqttListenerOptions& o) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  auto where = fmt::format("MQTT TLS listener {}:{}", o.bind_address, o.tls_port);
  if (ctx->use_certificate_chain_file(o.tls_cert_file, ec); ec)
    return Error::make(
        ErrorKind::unavailable, "mqtt_tls_certificate",
        fmt::format("{}: cannot load certificate {}: {}", where, o.tls_cert_file, ec.message()));
  if (ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec); ec)
    return Error::make(
        ErrorKind::unavailable, "mqtt_tls_certificate",
        fmt::format("{}: cannot load private key {}: {}", where, o.tls_key_file, ec.message()));
  return ctx;
}

}  // namespace

struct MqttListeners::Impl {
  std::shared_ptr<TransportContext> ctx;
  std::unique_ptr<TcpPoller> poller;  // declared before the listeners: destroyed after them
  std::shared_ptr<Listener> tcp, tls, ws;
  std::unique_ptr<asio::steady_timer> ticker;
  std::unique_ptr<asio::steady_timer> probe;

  void tick() {
    ticker->expires_after(std::chrono::milliseconds(100));
    ticker->async_wait([this, ctx = ctx](const boost::system::error_code& ec) {
      if (ec || ctx->stopped) return;
      const auto t0 = std::chrono::steady_clock::now();
      ctx->broker.tick();
      ctx->handler_time.record(std::chrono::steady_clock::now() - t0);
      tick();
    });
  }

  // Event-loop lag: a timer due every 10 ms records how late it ran.
  void lag_probe() {
    const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
    probe->expires_at(due);
    probe->async_wait([this, ctx = ctx, due](const boost::system::error_code& ec) {
      if (ec || ctx->stopped) return;
      ctx->loop_lag.record(std::chrono::steady_clock::now() - due);
      lag_probe();
    });
  }

  void stop() {
    if (!ctx || ctx->stopped) return;
    ctx->stopped = true;
    for (auto* l : {&tcp, &tls, &ws})
      if (*l) (*l)->stop();
    if (ticker) ticker->cancel();
    if (probe) probe->cancel();
    std::vector<std::shared_ptr<TransportConnection>> live;
    for (auto& [serial, weak] : ctx->live)
      if (auto c = weak.lock()) live.push_back(std::move(c));
    for (auto& c : live) c->shutdown_gracefully();
    if (poller) poller->stop();
  }
};

MqttListeners::MqttListeners() : impl_(std::make_unique<Impl>()) {}
MqttListeners::~MqttListeners() {
  stop();
}

Status MqttListeners::start(asio::io_context& io, Broker& broker, const MqttListenerOptions& opts) {
  stop();
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::make_shared<TransportContext>(broker, opts);
  auto fail = [&](Error e) -> Status {
    impl->stop();
    spdlog::error("{}", e.message);
    return e;
  };
  if (opts.tcp_port >= 0) {
    impl->poller = std::make_unique<TcpPoller>(io, impl->ctx);
    if (!impl->poller->ok())
      return fail(Error::make(ErrorKind::unavailable, "mqtt_listen_failed",
                              "MQTT listener: cannot create an epoll set"));
    impl->tcp =
        std::make_shared<Listener>(io, ListenerKind::tcp, impl->ctx, nullptr, impl->poller.get());
    if (auto st = impl->tcp->bind(opts.bind_address, opts.tcp_port); !st) return fail(st.error());
  }
  if (opts.tls_port >= 0 && !opts.tls_cert_file.empty() && !opts.tls_key_file.empty()) {
    auto ssl = make_tls_context(opts);
    if (!ssl) return fail(ssl.error());
    impl->tls = std::make_shared<Listener>(io, ListenerKind::tls, impl->ctx, *ssl);
    if (auto st = impl->tls->bind(opts.bind_address, opts.tls_port); !st) return fail(st.error());
  }
  if (opts.ws_port >= 0) {
    impl->ws = std::make_shared<Listener>(io, ListenerKind::ws, impl->ctx, nullptr);
    if (auto st = impl->ws->bind(opts.bind_address, opts.ws_port); !st) return fail(st.error());
  }
  for (auto* l : {&impl->tcp, &impl->tls, &impl->ws})
    if (*l) (*l)->accept();
  if (opts.drive_broker_ticks) {
    impl->ticker = std::make_unique<asio::steady_timer>(io);
    impl->tick();
  }
  impl->probe = std::make_unique<asio::steady_timer>(io);
  impl->lag_probe();
  impl_ = std::move(impl);
  return {};
}

void MqttListeners::stop() {
  impl_->stop();
}

std::uint16_t MqttListeners::tcp_port() const {
  return impl_->tcp ? impl_->tcp->port() : 0;
}
std::uint16_t MqttListeners::tls_port() const {
  return impl_->tls ? impl_->tls->port() : 0;
}
std::uint16_t MqttListeners::ws_port() const {
  return impl_->ws ? impl_->ws->port() : 0;
}
std::uint64_t MqttListeners::accept_pauses() const {
  return impl_->ctx ? impl_->ctx->accept_pauses : 0;
}
DurationHistogram MqttListeners::loop_lag() const {
  return impl_->ctx ? impl_->ctx->loop_lag : DurationHistogram{};
}
DurationHistogram MqttListeners::handler_time() const {
  return impl_->ctx ? impl_->ctx->handler_time : DurationHistogram{};
}
DurationHistogram MqttListeners::puback_time() const {
  return impl_->ctx ? impl_->ctx->puback_time : DurationHistogram{};
}
DurationHistogram MqttListeners::refill_time() const {
  return impl_->ctx ? impl_->ctx->refill_time : DurationHistogram{};
}
void MqttListeners::reset_reply_times() {
  if (!impl_->ctx) return;
  impl_->ctx->puback_time = {};
  impl_->ctx->refill_time = {};
}
BusyPollStats MqttListeners::busy_poll() const {
  return impl_->poller ? impl_->poller->busy_poll() : BusyPollStats{};
}
std::size_t MqttListeners::connection_count() const {
  return (impl_->ctx ? impl_->ctx->live.size() : 0) + (impl_->poller ? impl_->poller->size() : 0);
}

}  // namespace weir::mqtt
