#include "net/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <exception>
#include <utility>

#include "net/message_conversion.hpp"

namespace weir::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

// ---- WsHandle -------------------------------------------------------------------------------

bool WsHandle::send_text(std::string text) {
  auto s = session_.lock();
  return s && s->send_text(std::move(text));
}

bool WsHandle::send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  auto s = session_.lock();
  return s && s->send_binary(std::move(bytes));
}

std::size_t WsHandle::queued_bytes() const {
  auto s = session_.lock();
  return s ? s->queued_bytes() : 0;
}

void WsHandle::close(uint16_t code, std::string reason) {
  if (auto s = session_.lock()) s->close(code, std::move(reason));
}

bool WsHandle::is_open() const {
  auto s = session_.lock();
  return s && s->is_open();
}

void WsHandle::pause_reading(bool on) {
  if (auto s = session_.lock()) s->pause_reading(on);
}

// ---- WsSession ------------------------------------------------------------------------------

template <class Stream>
WsSession<Stream>::WsSession(std::shared_ptr<HttpServer::State> state, std::string remote,
                             bool binary_only, std::string subprotocol)
    : state_(std::move(state)),
      remote_(std::move(remote)),
      binary_only_(binary_only),
      subprotocol_(std::move(subprotocol)),
      close_timer_(state_->ioc) {}

template <class Stream>
WsSession<Stream>::~WsSession() {
  if (live_id_ != 0) state_->remove_live(live_id_);
}

template <class Stream>
std::shared_ptr<WsConnection> WsSession<Stream>::connection() {
  return std::make_shared<WsHandle>(this->weak_from_this(), remote_);
}

template <class Stream>
void WsSession<Stream>::start(Stream stream, RequestMessage req,
                              std::shared_ptr<WsListener> listener, ConnectionSlot slot) {
  started_ = true;
  live_id_ = state_->add_live(this->weak_from_this());
  ws_.emplace(std::move(stream));
  req_ = std::move(req);
  listener_ = std::move(listener);
  slot_.emplace(std::move(slot));

  // Beast's own timeouts take over from the HTTP session's tcp_stream timer: handshakes are
  // bounded, a silent peer gets a ping after half the idle time and is dropped after all of it.
  beast::get_lowest_layer(*ws_).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = state_->options.read_timeout;
  t.idle_timeout = std::max<std::chrono::steady_clock::duration>(std::chrono::seconds(1),
                                                                 state_->options.idle_timeout / 2);
  t.keep_alive_pings = true;
  ws_->set_option(t);
  ws_->set_option(websocket::stream_base::decorator(
      [subprotocol = subprotocol_](websocket::response_type& res) {
        add_security_headers(res, kIsTls<Stream>);
        if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
      }));
  ws_->read_message_max(state_->options.ws_max_message_bytes);
  ws_->auto_fragment(false);
  if (close_requested_) arm_close_timer();  // closed from inside accept()
  ws_->async_accept(
      req_, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("WebSocket handshake with {} failed: {}", remote_, ec.message());
    return finish();
  }
  accepted_ = true;
  ++state_->stats.ws_open;
  ++state_->stats.ws_total;
  if (!read_paused_) do_read();
  if (!queue_.empty())
    do_write();
  else if (close_requested_)
    do_close();
}

template <class Stream>
bool WsSession<Stream>::enqueue(Frame frame) {
  if (close_requested_ || finished_) return false;
  if (queued_bytes_ + frame.size() > state_->options.ws_max_queue_bytes) {
    ++state_->stats.ws_send_refused;
    return false;
  }
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  do_write();
  return true;
}

template <class Stream>
bool WsSession<Stream>::send_text(std::string text) {
  return enqueue(Frame{std::move(text), nullptr});
}

template <class Stream>
bool WsSession<Stream>::send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return false;
  return enqueue(Frame{{}, std::move(bytes)});
}

template <class Stream>
void WsSession<Stream>::do_write() {
  if (writing_ || queue_.empty() || !accepted_ || finished_) return;
  writing_ = true;
  const Frame& f = queue_.front();
  ws_->binary(f.bytes != nullptr);
  auto buf =
      f.bytes ? boost::asio::buffer(f.bytes->data(), f.bytes->size()) : boost::asio::buffer(f.text);
  ws_->async_write(buf, [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
    self->on_write(ec, n);
  });
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t n) {
  writing_ = false;
  if (ec || finished_) {
    queue_.clear();  // only now: the write no longer references the front frame
    queued_bytes_ = 0;
    return finish();
  }
  state_->stats.bytes_sent += n;
  queued_bytes_ -= queue_.front().size();
  queue_.pop_front();
  if (!queue_.empty())
    do_write();
  else if (close_requested_)
    do_close();
}

template <class Stream>
void WsSession<Stream>::do_read() {
  reading_ = true;
  ws_->async_read(read_buf_, [self = this->shared_from_this()](
                                 beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t n) {
  reading_ = false;
  if (ec) return finish();  // peer closed (error::closed), timeout, too big (Beast sent 1009), ...
  state_->stats.bytes_received += n;
  delivering_ = true;
  deliver(ws_->got_text());
  delivering_ = false;
  read_buf_.consume(read_buf_.size());
  if (!finished_ && !read_paused_) do_read();
}

template <class Stream>
void WsSession<Stream>::pause_reading(bool on) {
  // Paused, no read is outstanding: Beast answers no ping and runs no idle timer meanwhile (the
  // silence is ours, and the app resumes). Resuming from inside the listener's callback leaves
  // the next read to on_read.
  if (on && (close_requested_ || finished_)) return;  // closing reads on (the close handshake)
  read_paused_ = on;
  auto keep = std::exchange(paused_self_, on ? this->shared_from_this() : nullptr);
  if (!on && accepted_ && !reading_ && !delivering_ && !finished_) do_read();
}

template <class Stream>
void WsSession<Stream>::deliver(bool text) {
  if (!listener_ || close_requested_) return;  // closing: drain the peer's frames unread
  if (binary_only_ && text) {
    close(static_cast<uint16_t>(websocket::close_code::unknown_data), "binary frames only");
    return;
  }
  auto data = read_buf_.cdata();
  try {
    if (text)
      listener_->on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
    else
      listener_->on_binary(static_cast<const uint8_t*>(data.data()), data.size());
  } catch (const std::exception& e) {
    spdlog::error("WebSocket listener for {} threw: {}", remote_, e.what());
    close(static_cast<uint16_t>(websocket::close_code::internal_error), "internal error");
  }
}

template <class Stream>
void WsSession<Stream>::close(uint16_t code, std::string reason) {
  if (close_requested_ || finished_) return;
  close_requested_ = true;
  if (reason.size() > 123) reason.resize(123);  // a close frame payload is at most 125 bytes
  close_reason_.code = code;
  close_reason_.reason = std::move(reason);
  if (!started_) return;  // start() arms the timer; on_accept sends the close
  pause_reading(false);   // read (and discard) what still comes until the peer's close frame
  arm_close_timer();
  if (accepted_ && !writing_ && queue_.empty()) do_close();
}

template <class Stream>
void WsSession<Stream>::arm_close_timer() {
  // A peer that does not read can keep the queue from draining forever: drop it after a while.
  close_timer_.expires_after(state_->options.ws_close_timeout);
  close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec || self->finished_) return;
    ++self->state_->stats.ws_forced_closes;
    spdlog::debug("WebSocket {} did not close in time; dropping it", self->remote_);
    beast::get_lowest_layer(*self->ws_).close();  // pending operations complete with errors
  });
}

template <class Stream>
void WsSession<Stream>::do_close() {
  if (close_sent_ || finished_) return;
  close_sent_ = true;
  ws_->async_close(close_reason_,
                   [self = this->shared_from_this()](beast::error_code) { self->finish(); });
}

template <class Stream>
void WsSession<Stream>::shutdown() {
  close(static_cast<uint16_t>(websocket::close_code::going_away), "server shutting down");
}

template <class Stream>
void WsSession<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  close_requested_ = true;
  auto keep = std::move(paused_self_);  // released when finish() returns
  close_timer_.cancel();
  if (ws_) beast::get_lowest_layer(*ws_).close();
  if (accepted_) --state_->stats.ws_open;
  if (!writing_) {
    queue_.clear();
    queued_bytes_ = 0;
  }
  if (live_id_ != 0) {
    state_->remove_live(live_id_);
    live_id_ = 0;
  }
  slot_.reset();
  if (auto listener = std::move(listener_)) {
    try {
      listener->on_close();
    } catch (const std::exception& e) {
      spdlog::error("WebSocket listener for {} threw in on_close: {}", remote_, e.what());
    }
  }
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace weir::net
