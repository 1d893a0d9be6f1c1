#pragma once
// One TLS or WebSocket client bound to the broker (internal header), chosen by the Stream type
// (plain TCP clients live on the TcpPoller: tcp_poller.hpp). It is the broker's ConnectionSink: a
// bounded outgoing queue written with one gathered async_write at a time, reads handed straight to
// Broker::on_bytes.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/transport/outbound_queue.hpp"
#include "mqtt/transport/transport_context.hpp"

namespace weir::mqtt {

using TcpSocket = boost::asio::ip::tcp::socket;
using TlsSocket = boost::asio::ssl::stream<TcpSocket>;
using WsSocket = boost::beast::websocket::stream<TcpSocket>;

template <class Stream>
class StreamConnection final : public ConnectionSink,
                               public TransportConnection,
                               public std::enable_shared_from_this<StreamConnection<Stream>> {
 public:
  StreamConnection(Stream stream, std::shared_ptr<TransportContext> ctx, std::string remote);
  ~StreamConnection() override;

  // Handshake (TLS / WebSocket upgrade) if any, then registers with the broker and reads.
  void start();

  // ConnectionSink
  void send(Bytes bytes) override;
  void close() override;
  std::size_t queued_bytes() const override { return queue_.bytes(); }
  bool pause_reading(bool on) override;

  // TransportConnection
  void shutdown_gracefully() override;

 private:
  // closing: flushing; draining: flushed, TCP shut down for writing, reads discarded until the
  // peer closes or close_drain_ms pass (graceful close after the broker ended the connection).
  enum class State { handshake, open, closing, draining, closed };

  void on_handshake(const boost::system::error_code& ec);
  void read_http_upgrade();
  void accept_websocket();
  void begin();
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void fail(const boost::system::error_code& ec, const char* what);
  void abort(const char* why);
  void close_socket();
  void flushed();  // the queue is empty while closing
  void arm_timer(std::chrono::milliseconds after, const char* what);
  void notify_broker_closed();
  const char* transport_name() const;

  Stream stream_;
  std::shared_ptr<TransportContext> ctx_;
  std::string remote_;
  std::uint64_t serial_ = 0;
  ConnectionId id_ = 0;
  bool registered_ = false;  // broker knows this connection (open() called, on_closed not yet)
  State state_ = State::handshake;
  bool writing_ = false;
  bool reading_ = false;
  bool paused_ = false;  // the broker holds max_held_acks of ours: no new read until resumed
  bool drain_ = false;   // closing gracefully: drain after the flush
  OutboundQueue queue_;
  std::size_t in_flight_buffers_ = 0;
  std::vector<boost::asio::const_buffer> write_buffers_;  // reused across writes
  std::unique_ptr<std::uint8_t[]> read_buffer_;
  std::unique_ptr<boost::asio::steady_timer> timer_;  // handshake / close flush; made lazily
  // WebSocket upgrade request, only during the handshake.
  std::unique_ptr<boost::beast::flat_buffer> http_buffer_;
  std::unique_ptr<boost::beast::http::request<boost::beast::http::string_body>> http_request_;
};

extern template class StreamConnection<TlsSocket>;
extern template class StreamConnection<WsSocket>;

}  // namespace weir::mqtt
