#include "net/http_server.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/error_body.hpp"
#include "net/http_session.hpp"
#include "net/message_conversion.hpp"
#include "net/server_state.hpp"

namespace weir::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

// ---- State --------------------------------------------------------------------------------------

HttpServer::State::State(asio::io_context& ctx, HttpServerOptions opts, HttpHandler h,
                         std::vector<WsEndpoint> ws)
    : ioc(ctx),
      options(std::move(opts)),
      handler(std::move(h)),
      ws_endpoints(std::move(ws)),
      acceptor(ctx),
      accept_retry(ctx) {}

const WsEndpoint* HttpServer::State::find_ws(std::string_view path) const {
  for (const auto& ep : ws_endpoints)
    if (ep.path == path) return &ep;
  return nullptr;
}

uint64_t HttpServer::State::add_live(std::weak_ptr<Stoppable> c) {
  live_.emplace(++next_id_, std::move(c));
  return next_id_;
}

void HttpServer::State::remove_live(uint64_t id) {
  live_.erase(id);
}

void HttpServer::State::count_rejected(uint64_t HttpServerStats::*kind) {
  ++(stats.*kind);
  ++stats.rejected;
}

void HttpServer::State::stop_all() {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  // shutdown() never completes anything inline, but copy first: it is the map we iterate.
  std::vector<std::shared_ptr<Stoppable>> conns;
  conns.reserve(live_.size());
  for (auto& [id, weak] : live_)
    if (auto c = weak.lock()) conns.push_back(std::move(c));
  for (auto& c : conns) c->shutdown();
}

ConnectionSlot::ConnectionSlot(std::shared_ptr<HttpServer::State> state)
    : state_(std::move(state)) {
  ++state_->stats.connections_open;
  ++state_->stats.connections_total;
}

ConnectionSlot::~ConnectionSlot() {
  if (state_) --state_->stats.connections_open;
}

// ---- accepting ----------------------------------------------------------------------------------

namespace {

std::string endpoint_name(const std::string& address, uint16_t port) {
  return address.find(':') != std::string::npos ? fmt::format("[{}]:{}", address, port)
                                                : fmt::format("{}:{}", address, port);
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

Error config_error(std::string code, std::string message) {
  return Error::make(ErrorKind::unprocessable, std::move(code), std::move(message));
}

bool readable_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream f(path);
  return f.good();
}

Result<ssl::context> make_tls_context(const TlsOptions& tls) {
  if (!readable_file(tls.cert_file))
    return config_error("tls_config",
                        fmt::format("TLS certificate {}: no such readable file", tls.cert_file));
  if (!readable_file(tls.key_file))
    return config_error("tls_config",
                        fmt::format("TLS private key {}: no such readable file", tls.key_file));
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  // An encrypted key must not make OpenSSL prompt on the terminal: it simply fails to load.
  ctx.set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });
  error_code ec;
  ctx.use_certificate_chain_file(tls.cert_file, ec);
  if (ec)
    return config_error("tls_config", fmt::format("TLS certificate {}: not a PEM certificate ({})",
                                                  tls.cert_file, ec.message()));
  ctx.use_private_key_file(tls.key_file, ssl::context::pem, ec);
  if (ec)
    return config_error("tls_config",
                        fmt::format("TLS private key {}: not an unencrypted PEM key ({})",
                                    tls.key_file, ec.message()));
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
    return config_error("tls_config",
                        fmt::format("TLS private key {} does not match the certificate {}",
                                    tls.key_file, tls.cert_file));
  return ctx;
}

std::string serialise_over_capacity(bool secure) {
  ResponseContext ctx;
  ctx.keep_alive = false;
  ctx.secure = secure;
  auto res = to_beast_response(error_response(503, "unavailable", "too many connections"), ctx);
  std::ostringstream os;
  os << res;
  return os.str();
}

void do_accept(const std::shared_ptr<HttpServer::State>& st);

// Over the connection limit: a plain client gets a short 503 (written from a fixed string; it
// fits in the socket buffer), a TLS client is closed (a handshake would cost what we protect).
void refuse_connection(const std::shared_ptr<HttpServer::State>& st, tcp::socket socket) {
  st->count_rejected(&HttpServerStats::rejected_over_capacity);
  if (st->tls) return;
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*sock, asio::buffer(st->over_capacity_response),
                    [st, sock](error_code, std::size_t n) {
                      st->stats.bytes_sent += n;
                      error_code ignored;
                      sock->shutdown(tcp::socket::shutdown_both, ignored);
                      sock->close(ignored);
                    });
}

void on_accept(const std::shared_ptr<HttpServer::State>& st, error_code ec, tcp::socket socket) {
  if (st->stopping || ec == asio::error::operation_aborted) return;
  if (ec) {
    // EMFILE and friends: retrying at once would spin; give the process a moment.
    spdlog::warn("HTTP accept failed: {}", ec.message());
    st->accept_retry.expires_after(std::chrono::milliseconds(100));
    st->accept_retry.async_wait([st](error_code e) {
      if (!e && !st->stopping) do_accept(st);
    });
    return;
  }
  if (st->stats.connections_open >= st->options.max_connections) {
    refuse_connection(st, std::move(socket));
  } else {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto remote = socket.remote_endpoint(ignored);
    start_http_session(st, std::move(socket), remote.address().to_string());
  }
  do_accept(st);
}

void do_accept(const std::shared_ptr<HttpServer::State>& st) {
  st->acceptor.async_accept(
      [st](error_code ec, tcp::socket socket) { on_accept(st, ec, std::move(socket)); });
}

}  // namespace

// ---- HttpServer ---------------------------------------------------------------------------------

HttpServer::HttpServer(asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
                       std::vector<WsEndpoint> ws)
    : state_(std::make_shared<State>(ioc, std::move(options), std::move(handler), std::move(ws))) {}

HttpServer::~HttpServer() {
  state_->stop_all();
}

weir::Status HttpServer::start() {
  State& st = *state_;
  const auto& opt = st.options;
  std::string name = endpoint_name(opt.bind_address, opt.port);
  if (st.started || st.stopping)
    return Error::make(ErrorKind::conflict, "already_started",
                       fmt::format("HTTP listener {}: already started", name));

  error_code ec;
  auto address = asio::ip::make_address(opt.bind_address, ec);
  if (ec)
    return config_error("bad_address", fmt::format("HTTP listener {}: invalid bind address", name));

  if (opt.tls) {
    auto ctx = make_tls_context(*opt.tls);
    if (!ctx) return ctx.error();
    st.tls.emplace(std::move(*ctx));
  }
  // A mount entry with the prefix "/" is no directory: it names the app "/" leads to, e.g.
  // {"/", "/scada/"} (a 302 there, when that app is built).
  std::vector<std::pair<std::string, std::string>> mounts;
  std::string home;
  for (const auto& m : opt.static_mounts) {
    if (m.first == "/")
      home = m.second;
    else
      mounts.push_back(m);
  }
  auto files = StaticFiles::open(opt.static_root, mounts, home);
  if (!files) return files.error();
  st.static_files = std::move(*files);
  st.over_capacity_response = serialise_over_capacity(opt.tls.has_value());

  tcp::endpoint ep(address, opt.port);
  auto fail = [&](const char* what) -> weir::Status {
    error_code ignored;
    st.acceptor.close(ignored);
    st.tls.reset();
    spdlog::debug("HTTP listener {}: {} failed", name, what);
    return Error::make(ErrorKind::unavailable, "listen_failed",
                       fmt::format("HTTP listener {}: {}", name, lower_first(ec.message())));
  };
  st.acceptor.open(ep.protocol(), ec);
  if (ec) return fail("open");
  st.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  st.acceptor.bind(ep, ec);
  if (ec) return fail("bind");
  st.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  st.port = st.acceptor.local_endpoint(ec).port();
  st.started = true;
  spdlog::info("HTTP{} listening on {}", opt.tls ? "S" : "",
               endpoint_name(opt.bind_address, st.port));
  do_accept(state_);
  return {};
}

void HttpServer::stop() {
  asio::dispatch(state_->ioc, [st = state_] { st->stop_all(); });
}

uint16_t HttpServer::port() const {
  return state_->port;
}

HttpServerStats HttpServer::stats() const {
  return state_->stats;
}

}  // namespace weir::net
