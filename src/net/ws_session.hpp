#pragma once
// Internal: one WebSocket connection (Beast websocket::stream over a plain or TLS stream) with a
// bounded queue of outgoing frames written one at a time, as in Beast's chat-multi example.
//
// Life: created before the app's accept() runs (so frames sent from accept() are queued), then
// start() takes over the stream and does the handshake. The app only ever sees a WsHandle, which
// holds a weak pointer: after the connection ends every call on it is a harmless no-op.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/http_server.hpp"
#include "net/server_state.hpp"
#include "net/streams.hpp"

namespace weir::net {

// What a WsHandle forwards to (non-template so the handle is too).
class WsSessionBase {
 public:
  virtual ~WsSessionBase() = default;
  virtual bool send_text(std::string text) = 0;
  virtual bool send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) = 0;
  virtual std::size_t queued_bytes() const = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual bool is_open() const = 0;
  virtual void pause_reading(bool on) = 0;
};

class WsHandle final : public WsConnection {
 public:
  WsHandle(std::weak_ptr<WsSessionBase> session, std::string remote)
      : session_(std::move(session)), remote_(std::move(remote)) {}
  bool send_text(std::string text) override;
  bool send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) override;
  std::size_t queued_bytes() const override;
  void close(uint16_t code, std::string reason) override;
  const std::string& remote_address() const override { return remote_; }
  bool is_open() const override;
  void pause_reading(bool on) override;

 private:
  std::weak_ptr<WsSessionBase> session_;
  std::string remote_;
};

template <class Stream>
class WsSession final : public WsSessionBase,
                        public Stoppable,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(std::shared_ptr<HttpServer::State> state, std::string remote, bool binary_only,
            std::string subprotocol);
  ~WsSession() override;

  std::shared_ptr<WsConnection> connection();
  void start(Stream stream, RequestMessage req, std::shared_ptr<WsListener> listener,
             ConnectionSlot slot);

  bool send_text(std::string text) override;
  bool send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) override;
  std::size_t queued_bytes() const override { return queued_bytes_; }
  void close(uint16_t code, std::string reason) override;
  bool is_open() const override { return !close_requested_ && !finished_; }
  void pause_reading(bool on) override;
  void shutdown() override;

 private:
  struct Frame {
    std::string text;
    std::shared_ptr<const std::vector<uint8_t>> bytes;  // set for binary frames
    std::size_t size() const { return bytes ? bytes->size() : text.size(); }
  };
  bool enqueue(Frame frame);
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void deliver(bool text);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t n);
  void do_close();
  void arm_close_timer();
  void finish();

  std::shared_ptr<HttpServer::State> state_;
  std::string remote_;
  bool binary_only_;
  std::string subprotocol_;
  std::optional<boost::beast::websocket::stream<Stream>> ws_;
  RequestMessage req_;
  std::shared_ptr<WsListener> listener_;
  std::optional<ConnectionSlot> slot_;
  boost::beast::flat_buffer read_buf_;
  std::deque<Frame> queue_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer close_timer_;
  boost::beast::websocket::close_reason close_reason_;
  uint64_t live_id_ = 0;
  bool started_ = false;
  bool accepted_ = false;
  bool writing_ = false;
  bool reading_ = false;     // an async_read is outstanding
  bool delivering_ = false;  // inside the listener's on_text / on_binary
  bool read_paused_ = false;
  // While paused no handler holds the session: it holds itself until resumed or finished.
  std::shared_ptr<WsSession> paused_self_;
  bool close_requested_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace weir::net
