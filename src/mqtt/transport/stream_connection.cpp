#include "mqtt/transport/stream_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <string_view>
#include <type_traits>

#include "net/origin_check.hpp"

namespace weir::mqtt {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr std::size_t kPrivateReadBuffer = 16 * 1024;  // TLS and WebSocket connections
constexpr std::size_t kMaxWriteBuffers = 64;           // per gathered write
constexpr std::size_t kMaxWriteBytes = 256 * 1024;

bool quiet_error(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated || ec == websocket::error::closed;
}

// The subprotocol we answer with: "mqtt" (MQTT 3.1.1 and 5), or the legacy "mqttv3.1"; empty
// when the client offered none (accepted, as Mosquitto does); nullopt when it offered only others.
std::optional<std::string> choose_subprotocol(std::string_view offered) {
  if (offered.empty()) return std::string{};
  std::optional<std::string> pick;
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto token = offered.substr(0, comma);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token == "mqtt") return std::string{"mqtt"};
    if (token == "mqttv3.1") pick = "mqttv3.1";
    if (comma == std::string_view::npos) break;
    offered.remove_prefix(comma + 1);
  }
  return pick;
}

}  // namespace

template <class Stream>
StreamConnection<Stream>::StreamConnection(Stream stream, std::shared_ptr<TransportContext> ctx,
                                           std::string remote)
    : stream_(std::move(stream)), ctx_(std::move(ctx)), remote_(std::move(remote)) {
  serial_ = ctx_->next_serial++;
}

template <class Stream>
StreamConnection<Stream>::~StreamConnection() {
  ctx_->live.erase(serial_);
}

template <class Stream>
const char* StreamConnection<Stream>::transport_name() const {
  if constexpr (std::is_same_v<Stream, TlsSocket>)
    return "tls";
  else
    return "ws";
}

template <class Stream>
void StreamConnection<Stream>::start() {
  ctx_->live[serial_] = this->weak_from_this();
  if constexpr (std::is_same_v<Stream, TlsSocket>) {
    arm_timer(std::chrono::seconds(ctx_->opts.handshake_timeout_s), "TLS handshake");
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](const boost::system::error_code& ec) {
                              self->on_handshake(ec);
                            });
  } else {
    arm_timer(std::chrono::seconds(ctx_->opts.handshake_timeout_s), "WebSocket upgrade");
    read_http_upgrade();
  }
}

template <class Stream>
void StreamConnection<Stream>::on_handshake(const boost::system::error_code& ec) {
  if (state_ == State::closed) return;
  if (ec) return fail(ec, "TLS handshake");
  if (timer_) timer_->cancel();
  begin();
}

template <class Stream>
void StreamConnection<Stream>::read_http_upgrade() {
  if constexpr (std::is_same_v<Stream, WsSocket>) {
    http_buffer_ = std::make_unique<beast::flat_buffer>(8192);
    http_request_ = std::make_unique<http::request<http::string_body>>();
    http::async_read(
        stream_.next_layer(), *http_buffer_, *http_request_,
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (self->state_ == State::closed) return;
          if (ec) return self->fail(ec, "WebSocket upgrade request");
          self->accept_websocket();
        });
  }
}

template <class Stream>
void StreamConnection<Stream>::accept_websocket() {
  if constexpr (std::is_same_v<Stream, WsSocket>) {
    if (!websocket::is_upgrade(*http_request_)) {
      spdlog::debug("MQTT ws {}: not a WebSocket upgrade request", remote_);
      return close_socket();
    }
    if (!net::origin_allowed((*http_request_)[http::field::origin],
                             (*http_request_)[http::field::host], ctx_->opts.allowed_origins)) {
      spdlog::warn("MQTT ws {}: Origin {} not allowed", remote_,
                   std::string_view((*http_request_)[http::field::origin]).substr(0, 200));
      return close_socket();
    }
    auto proto = choose_subprotocol((*http_request_)[http::field::sec_websocket_protocol]);
    if (!proto) {
      spdlog::debug("MQTT ws {}: no \"mqtt\" subprotocol offered", remote_);
      return close_socket();
    }
    stream_.set_option(
        websocket::stream_base::decorator([p = *proto](websocket::response_type& res) {
          res.set(http::field::server, "weir");
          if (!p.empty()) res.set(http::field::sec_websocket_protocol, p);
        }));
    stream_.binary(true);
    stream_.auto_fragment(false);
    stream_.read_message_max(ctx_->opts.max_websocket_message);
    stream_.async_accept(*http_request_,
                         [self = this->shared_from_this()](const boost::system::error_code& ec) {
                           if (self->state_ == State::closed) return;
                           if (ec) return self->fail(ec, "WebSocket accept");
                           if (self->timer_) self->timer_->cancel();
                           self->http_request_.reset();
                           self->http_buffer_.reset();
                           self->begin();
                         });
  }
}

template <class Stream>
void StreamConnection<Stream>::begin() {
  if (ctx_->stopped) return close_socket();
  state_ = State::open;
  id_ = ctx_->broker.open(this->shared_from_this(), ConnectionInfo{remote_, transport_name()});
  registered_ = true;
  if (state_ != State::open) return;  // refused at once (connection limits)
  do_read();
}

template <class Stream>
void StreamConnection<Stream>::do_read() {
  reading_ = true;
  if (!read_buffer_) read_buffer_ = std::make_unique<std::uint8_t[]>(kPrivateReadBuffer);
  stream_.async_read_some(
      asio::buffer(read_buffer_.get(), kPrivateReadBuffer),
      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->reading_ = false;
        self->on_read(ec, n);
      });
}

template <class Stream>
void StreamConnection<Stream>::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == State::closing || state_ == State::draining) {
    // Ending: what the client still sends is discarded; its close (or an error) ends the drain.
    if (ec) return close_socket();
    return do_read();
  }
  if (state_ != State::open) return;
  if (ec) return fail(ec, "read");
  if (ctx_->stopped) return;
  ctx_->broker.on_bytes(id_, read_buffer_.get(), n);
  if (state_ == State::open && paused_) return;  // pause_reading(false) reads again
  if ((state_ == State::open && !ctx_->stopped) || (state_ == State::closing && drain_)) do_read();
}

template <class Stream>
bool StreamConnection<Stream>::pause_reading(bool on) {
  paused_ = on;
  if (!on && state_ == State::open && !reading_ && !ctx_->stopped) do_read();
  return true;
}

template <class Stream>
void StreamConnection<Stream>::send(Bytes bytes) {
  if (state_ != State::open) return;
  queue_.push(std::move(bytes));
  if (queue_.bytes() > ctx_->opts.max_outgoing_bytes)
    return abort("outgoing queue over limit (slow consumer)");
  if (!writing_) do_write();
}

template <class Stream>
void StreamConnection<Stream>::do_write() {
  std::size_t n = queue_.batch(kMaxWriteBuffers, kMaxWriteBytes);
  write_buffers_.clear();
  for (std::size_t i = 0; i < n; ++i)
    write_buffers_.emplace_back(queue_.at(i)->data(), queue_.at(i)->size());
  in_flight_buffers_ = n;
  writing_ = true;
  auto handler = [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                   std::size_t written) {
    self->on_write(ec, written);
  };
  if constexpr (std::is_same_v<Stream, WsSocket>) {
    stream_.async_write(write_buffers_, std::move(handler));
  } else {
    asio::async_write(stream_, write_buffers_, std::move(handler));
  }
}

template <class Stream>
void StreamConnection<Stream>::on_write(const boost::system::error_code& ec, std::size_t) {
  writing_ = false;
  if (state_ == State::closed) {
    queue_.clear();
    return;
  }
  if (ec) return fail(ec, "write");
  queue_.pop(in_flight_buffers_);
  in_flight_buffers_ = 0;
  if (!queue_.empty()) return do_write();
  if (state_ == State::closing) flushed();
}

template <class Stream>
void StreamConnection<Stream>::close() {
  registered_ = false;  // the broker has already forgotten this connection
  if (state_ != State::open) return shutdown_gracefully();
  // Flush, then shut down for writing and discard what the client still sends (bounded), so it
  // reads the DISCONNECT instead of a reset caused by unread input at close.
  drain_ = ctx_->opts.close_drain_ms > 0;
  state_ = State::closing;
  arm_timer(std::chrono::seconds(ctx_->opts.close_flush_timeout_s), "flush before close");
  if (!writing_ && queue_.empty()) flushed();
}

template <class Stream>
void StreamConnection<Stream>::shutdown_gracefully() {
  if (state_ == State::closed || state_ == State::closing || state_ == State::draining) return;
  if (state_ == State::handshake || (!writing_ && queue_.empty())) return close_socket();
  state_ = State::closing;
  arm_timer(std::chrono::seconds(ctx_->opts.close_flush_timeout_s), "flush before close");
}

template <class Stream>
void StreamConnection<Stream>::flushed() {
  if (!drain_ || ctx_->stopped) return close_socket();
  state_ = State::draining;
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).shutdown(asio::socket_base::shutdown_send, ignored);
  arm_timer(std::chrono::milliseconds(ctx_->opts.close_drain_ms), "draining");
  if (!reading_) do_read();
}

template <class Stream>
void StreamConnection<Stream>::fail(const boost::system::error_code& ec, const char* what) {
  if (state_ == State::closed) return;
  if (quiet_error(ec))
    spdlog::debug("MQTT {} {}: {}: {}", transport_name(), remote_, what, ec.message());
  else
    spdlog::info("MQTT {} {}: {}: {}", transport_name(), remote_, what, ec.message());
  notify_broker_closed();
  close_socket();
}

template <class Stream>
void StreamConnection<Stream>::abort(const char* why) {
  spdlog::warn("MQTT {} {}: {}, closing after {} queued bytes", transport_name(), remote_, why,
               queue_.bytes());
  // Called from inside the broker (send): tell it later, not re-entrantly.
  if (registered_) {
    registered_ = false;
    asio::post(stream_.get_executor(), [ctx = ctx_, id = id_] {
      if (!ctx->stopped) ctx->broker.on_closed(id);
    });
  }
  close_socket();
}

template <class Stream>
void StreamConnection<Stream>::notify_broker_closed() {
  if (registered_ && !ctx_->stopped) {
    registered_ = false;
    ctx_->broker.on_closed(id_);
  } else {
    registered_ = false;
  }
}

template <class Stream>
void StreamConnection<Stream>::close_socket() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  if (timer_) timer_->cancel();
  auto& sock = beast::get_lowest_layer(stream_);
  boost::system::error_code ignored;
  sock.shutdown(asio::socket_base::shutdown_both, ignored);
  sock.close(ignored);
  if (!writing_) queue_.clear();  // a pending write still points into the queue
  ctx_->live.erase(serial_);
}

template <class Stream>
void StreamConnection<Stream>::arm_timer(std::chrono::milliseconds after, const char* what) {
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(stream_.get_executor());
  timer_->expires_after(after);
  timer_->async_wait([self = this->shared_from_this(), what](const boost::system::error_code& ec) {
    if (ec || self->state_ == State::closed) return;
    spdlog::debug("MQTT {} {}: {} timed out", self->transport_name(), self->remote_, what);
    self->notify_broker_closed();
    self->close_socket();
  });
}

template class StreamConnection<TlsSocket>;
template class StreamConnection<WsSocket>;

}  // namespace weir::mqtt
