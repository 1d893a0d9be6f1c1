#pragma once
// Plain-TCP MQTT connections on our own epoll set (internal header, Linux).
//
// Why not an Asio socket per client: an idle Asio socket costs a reactor descriptor_state
// (~170 B), a pending wait operation (~100-270 B, recycled handler memory) and the socket
// object, on top of our own state. A broker holds tens of thousands of mostly idle clients, so
// plain TCP sockets live here instead: one epoll set, itself watched by the io_context through
// one posix::stream_descriptor, so everything still runs on the io_context thread. Per client
// this costs one TcpConnection (~170 B). TLS and WebSocket clients keep using Asio streams
// (StreamConnection), where the library does the framing.
//
// Reads go into one shared buffer straight to Broker::on_bytes. Writes are corked: send()
// queues and marks the connection; every queued connection is flushed with one sendmsg of up to
// 64 buffers once the current batch of events (or the current handler) is done, so a fan-out of
// many small PUBLISH packets costs one system call per subscriber, not one per packet.
//
// Lifetime: a connection keeps itself alive (self_) while its socket is open; closing moves
// that reference into the poller's graveyard, emptied only between batches, so an event
// already fetched for a closed connection never touches freed memory.
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/transport/busy_poll.hpp"
#include "mqtt/transport/outbound_queue.hpp"
#include "mqtt/transport/transport_context.hpp"

namespace weir::mqtt {

class TcpPoller;

class TcpConnection final : public ConnectionSink, public TransportConnection {
 public:
  TcpConnection(TcpPoller& poller, int fd) : poller_(&poller), fd_(fd) {}
  ~TcpConnection() override;

  // ConnectionSink
  void send(Bytes bytes) override;
  void close() override;
  std::size_t queued_bytes() const override { return queue_.bytes(); }
  bool pause_reading(bool on) override;

  // TransportConnection
  void shutdown_gracefully() override;

 private:
  friend class TcpPoller;
  // closing: flushing what is queued; draining: flushed and shut down for writing, reading and
  // discarding until the peer closes or the deadline (graceful close, see begin_close).
  enum class State : std::uint8_t { open, closing, draining, closed };

  void on_events(std::uint32_t events);
  void read_available();
  // Flush, then (drain) shut down for writing and discard input until the peer closes or
  // close_drain_ms pass; without drain close once flushed. Bounded by the poller's sweep.
  void begin_close(bool drain);
  void flushed();  // the queue is empty while closing
  void discard_available();
  void flush();
  void watch_writable(bool on);
  bool update_events();  // EPOLLOUT while watching_writable_, EPOLLIN unless paused_
  void fail(int err, const char* what);
  void abort(const char* why);
  void notify_broker_closed();
  void close_socket();
  std::string peer() const;

  TcpPoller* poller_;
  std::shared_ptr<TcpConnection> self_;  // set while the socket is open
  TcpConnection* prev_ = nullptr;        // the poller's list of open connections
  TcpConnection* next_ = nullptr;
  OutboundQueue queue_;
  ConnectionId id_ = 0;
  std::chrono::steady_clock::time_point close_deadline_{};
  int fd_;
  State state_ = State::open;
  bool registered_ = false;         // broker knows this connection (open() called, on_closed not)
  bool flush_pending_ = false;      // in the poller's flush list
  bool watching_writable_ = false;  // EPOLLOUT registered: the kernel buffer was full
  bool drain_ = false;              // closing gracefully (begin_close)
  bool paused_ = false;             // the broker holds max_held_acks of ours: EPOLLIN off
};

class TcpPoller {
 public:
  TcpPoller(boost::asio::io_context& io, std::shared_ptr<TransportContext> ctx);
  ~TcpPoller();
  TcpPoller(const TcpPoller&) = delete;
  TcpPoller& operator=(const TcpPoller&) = delete;

  // False (and a message) if the epoll set cannot be made.
  bool ok() const { return epfd_ >= 0; }
  // Takes ownership of an accepted, connected socket and registers it with the broker.
  void adopt(int fd, std::string remote);
  // Flushes and closes every connection (bounded by close_flush_timeout_s); no broker calls.
  void stop();
  std::size_t size() const { return count_; }
  TransportContext& context() { return *ctx_; }
  const BusyPollStats& busy_poll() const { return busy_.stats(); }

 private:
  friend class TcpConnection;

  void wait();
  void on_ready();
  void schedule_flush(TcpConnection& c);
  void schedule_drain();
  void drain();  // flush queued connections, free closed ones
  void bury(std::shared_ptr<TcpConnection> c);
  void link(TcpConnection& c);
  void unlink(TcpConnection& c);
  void closing(TcpConnection& c);
  void arm_sweep();
  void sweep_closing();
  bool modify(TcpConnection& c, std::uint32_t events);

  boost::asio::io_context& io_;
  std::shared_ptr<TransportContext> ctx_;
  int epfd_ = -1;
  boost::asio::posix::stream_descriptor watch_;
  boost::asio::steady_timer close_timer_;
  TcpConnection* head_ = nullptr;
  std::size_t count_ = 0;
  std::vector<TcpConnection*> to_flush_;
  std::vector<std::shared_ptr<TcpConnection>> graveyard_;
  std::vector<std::weak_ptr<TcpConnection>> closing_;
  BusyPoll busy_;
  bool in_batch_ = false;
  bool drain_posted_ = false;
  bool stopping_ = false;
  bool sweep_armed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace weir::mqtt
