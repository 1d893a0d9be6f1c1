#include "mqtt/transport/tcp_poller.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace weir::mqtt {

namespace asio = boost::asio;

namespace {

constexpr int kMaxEvents = 256;      // per epoll_wait
constexpr int kReadsPerTurn = 4;     // a busy client yields to others after this many reads
constexpr std::size_t kMaxIov = 64;  // buffers per sendmsg
constexpr std::size_t kMaxWriteBytes = 256 * 1024;
constexpr auto kSweepPeriod = std::chrono::milliseconds(200);
constexpr std::uint32_t kIn = EPOLLIN, kOut = EPOLLOUT;  // glibc declares them as an enum

bool quiet_errno(int err) {
  return err == 0 || err == ECONNRESET || err == EPIPE || err == ETIMEDOUT;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TcpConnection

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TcpConnection::peer() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (fd_ < 0 || ::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

void TcpConnection::on_events(std::uint32_t events) {
  if (state_ == State::closed) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (state_ == State::open && paused_) {
      // EPOLLIN is off; a hang-up or error is reported anyway (level-triggered: again and
      // again), and the client is gone: nothing it sent can be acknowledged any more.
      return fail(0, "read");
    }
    if (state_ == State::open) {
      read_available();
    } else if (events & (EPOLLHUP | EPOLLERR)) {
      // Closing and the peer is gone: nothing more can be flushed.
      return close_socket();
    } else {
      discard_available();
    }
  }
  if (state_ == State::closed) return;
  if ((events & EPOLLOUT) && watching_writable_) flush();
}

void TcpConnection::read_available() {
  auto& ctx = poller_->context();
  auto& buf = ctx.shared_read_buffer;
  for (int i = 0; i < kReadsPerTurn; ++i) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) {
      ctx.broker.on_bytes(id_, buf.data(), static_cast<std::size_t>(n));
      if (state_ != State::open || ctx.stopped || paused_) return;
      if (static_cast<std::size_t>(n) < buf.size()) return;
      continue;
    }
    if (n == 0) return fail(0, "read");  // orderly close by the peer
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return fail(errno, "read");
  }
}

void TcpConnection::discard_available() {
  auto& buf = poller_->context().shared_read_buffer;
  for (int i = 0; i < kReadsPerTurn; ++i) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return close_socket();  // the peer closed (or failed): the graceful close is complete
  }
}

void TcpConnection::send(Bytes bytes) {
  if (state_ != State::open) return;
  queue_.push(std::move(bytes));
  if (queue_.bytes() > poller_->context().opts.max_outgoing_bytes)
    return abort("outgoing queue over limit (slow consumer)");
  if (!flush_pending_ && !watching_writable_) poller_->schedule_flush(*this);
}

void TcpConnection::flush() {
  while (!queue_.empty()) {
    iovec iov[kMaxIov];
    const std::size_t n = queue_.batch(kMaxIov, kMaxWriteBytes);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& b = *queue_.at(i);
      const std::size_t skip = i == 0 ? queue_.front_offset() : 0;
      iov[i].iov_base = const_cast<std::uint8_t*>(b.data() + skip);
      iov[i].iov_len = b.size() - skip;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    const ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return watch_writable(true);
      const int err = errno;
      return fail(err, "write");
    }
    queue_.consume(static_cast<std::size_t>(w));
  }
  if (watching_writable_) watch_writable(false);
  if (state_ == State::closing) flushed();
}

void TcpConnection::watch_writable(bool on) {
  if (watching_writable_ == on) return;
  watching_writable_ = on;
  if (!update_events()) fail(errno, "epoll_ctl");
}

bool TcpConnection::pause_reading(bool on) {
  if (paused_ == on || state_ != State::open) return true;
  paused_ = on;
  // Called from inside the broker: a failure is reported to it later (abort), not re-entrantly.
  if (!update_events()) abort("epoll_ctl failed");
  return true;
}

bool TcpConnection::update_events() {
  const std::uint32_t events = (watching_writable_ ? kOut : 0u) | (paused_ ? 0u : kIn);
  return poller_->modify(*this, events);
}

void TcpConnection::close() {
  registered_ = false;  // the broker has already forgotten this connection
  begin_close(poller_->context().opts.close_drain_ms > 0);
}

void TcpConnection::shutdown_gracefully() {
  begin_close(false);  // stopping: flush, but do not wait for the clients
}

void TcpConnection::begin_close(bool drain) {
  if (state_ != State::open) return;
  drain_ = drain;
  if (paused_) {
    paused_ = false;  // closing reads (and discards) what the client still sends
    if (!update_events()) return close_socket();
  }
  if (queue_.empty() && !drain) return close_socket();
  // Flush what is queued (bounded by close_flush_timeout_s); what arrives meanwhile is read and
  // discarded: unread input at close() would make the kernel answer with a reset, and the client
  // could lose the packets it has not read yet (the DISCONNECT saying why).
  state_ = State::closing;
  close_deadline_ = std::chrono::steady_clock::now() +
                    std::chrono::seconds(poller_->context().opts.close_flush_timeout_s);
  poller_->closing(*this);
  if (queue_.empty()) return flushed();
  if (!watching_writable_ && !flush_pending_) poller_->schedule_flush(*this);
}

void TcpConnection::flushed() {
  if (!drain_) return close_socket();
  state_ = State::draining;
  ::shutdown(fd_, SHUT_WR);  // FIN after the last byte: the client reads everything, then EOF
  close_deadline_ = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(poller_->context().opts.close_drain_ms);
}

void TcpConnection::fail(int err, const char* what) {
  if (state_ == State::closed) return;
  if (quiet_errno(err))
    spdlog::debug("MQTT tcp {}: {}: {}", peer(), what, err ? std::strerror(err) : "closed by peer");
  else
    spdlog::info("MQTT tcp {}: {}: {}", peer(), what, std::strerror(err));
  notify_broker_closed();
  close_socket();
}

void TcpConnection::abort(const char* why) {
  spdlog::warn("MQTT tcp {}: {}, closing after {} queued bytes", peer(), why, queue_.bytes());
  // Called from inside the broker (send): tell it later, not re-entrantly.
  if (registered_) {
    registered_ = false;
    asio::post(poller_->io_, [ctx = poller_->ctx_, id = id_] {
      if (!ctx->stopped) ctx->broker.on_closed(id);
    });
  }
  close_socket();
}

void TcpConnection::notify_broker_closed() {
  auto& ctx = poller_->context();
  const bool tell = registered_ && !ctx.stopped;
  registered_ = false;
  if (tell) ctx.broker.on_closed(id_);
}

void TcpConnection::close_socket() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  ::epoll_ctl(poller_->epfd_, EPOLL_CTL_DEL, fd_, nullptr);
  ::close(fd_);
  fd_ = -1;
  queue_.clear();
  poller_->unlink(*this);
  poller_->bury(std::move(self_));
}

// ---------------------------------------------------------------------------------------------
// TcpPoller

TcpPoller::TcpPoller(asio::io_context& io, std::shared_ptr<TransportContext> ctx)
    : io_(io),
      ctx_(std::move(ctx)),
      watch_(io),
      close_timer_(io),
      busy_(std::chrono::microseconds(ctx_->opts.busy_poll_us)) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    spdlog::error("MQTT listener: epoll_create1: {}", std::strerror(errno));
    return;
  }
  watch_.assign(epfd_);  // the io_context wakes us when any of our sockets is ready
  wait();
}

TcpPoller::~TcpPoller() {
  *alive_ = false;
  // Whatever is still open (a flush outlived its owner): close without telling the broker.
  std::vector<std::shared_ptr<TcpConnection>> open;
  for (auto* c = head_; c; c = c->next_) open.push_back(c->self_);
  for (auto& c : open) {
    c->registered_ = false;
    c->close_socket();
  }
  graveyard_.clear();
  boost::system::error_code ignored;
  watch_.close(ignored);  // closes epfd_
}

void TcpPoller::adopt(int fd, std::string remote) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || ctx_->stopped || !ok()) {
    ::close(fd);
    return;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  auto c = std::make_shared<TcpConnection>(*this, fd);
  epoll_event ev{};
  ev.events = kIn;
  ev.data.ptr = c.get();
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    spdlog::warn("MQTT tcp {}: epoll_ctl: {}", remote, std::strerror(errno));
    return;  // ~TcpConnection closes the socket
  }
  c->self_ = c;
  link(*c);
  c->id_ = ctx_->broker.open(c, ConnectionInfo{std::move(remote), "tcp"});
  c->registered_ = c->state_ == TcpConnection::State::open;
  // open() may have refused it at once (connection limits): then it is closed already.
}

void TcpPoller::wait() {
  watch_.async_wait(
      asio::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired()) return;
        on_ready();
      });
}

void TcpPoller::on_ready() {
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(epfd_, events, kMaxEvents, 0);
  if (n < 0 && errno != EINTR) {
    spdlog::error("MQTT listener: epoll_wait: {}", std::strerror(errno));
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const ReplyCounts before = ctx_->broker.reply_counts();
  in_batch_ = true;
  for (int i = 0; i < n; ++i)
    static_cast<TcpConnection*>(events[i].data.ptr)->on_events(events[i].events);
  in_batch_ = false;
  drain();  // every reply of this batch is handed to its socket here (corked writes)
  if (n > 0) {
    const auto took = std::chrono::steady_clock::now() - t0;
    busy_.on_events(t0, took);
    ctx_->handler_time.record(took);
    const ReplyCounts after = ctx_->broker.reply_counts();
    if (after.pubacks != before.pubacks)
      ctx_->puback_time.record(took, after.pubacks - before.pubacks);
    if (after.refills != before.refills)
      ctx_->refill_time.record(took, after.refills - before.refills);
  }
  if (stopping_ && count_ == 0) return;
  if (n > 0 || busy_.keep_polling(t0)) {
    // Level-triggered: sockets still readable come back on the next call. Let the rest of the
    // io_context run first, then look again; wait for the io_context's signal only once the
    // set was empty (and BusyPoll says spinning would not pay), so no readiness is lost
    // between the two.
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) on_ready();
    });
  } else {
    wait();
  }
}

void TcpPoller::schedule_flush(TcpConnection& c) {
  c.flush_pending_ = true;
  to_flush_.push_back(&c);
  schedule_drain();
}

void TcpPoller::bury(std::shared_ptr<TcpConnection> c) {
  if (c) graveyard_.push_back(std::move(c));
  schedule_drain();
}

void TcpPoller::schedule_drain() {
  // Inside a batch the drain runs when the batch ends; elsewhere (timers, in-process publish,
  // a TLS client's message routed to TCP subscribers) once the current handler has returned.
  if (in_batch_ || drain_posted_) return;
  drain_posted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    drain_posted_ = false;
    drain();
  });
}

void TcpPoller::drain() {
  // Runs only at the top of a handler, never inside a TcpConnection method. A write error calls
  // Broker::on_closed, which may queue more flushes (index loop: the vector may grow) and close
  // other connections (they stay alive in the graveyard until the end).
  for (std::size_t i = 0; i < to_flush_.size(); ++i) {
    TcpConnection* c = to_flush_[i];
    c->flush_pending_ = false;
    if (c->state_ != TcpConnection::State::closed && !c->watching_writable_) c->flush();
  }
  to_flush_.clear();
  graveyard_.clear();
  if (stopping_ && count_ == 0) {
    boost::system::error_code ignored;
    watch_.cancel(ignored);
    close_timer_.cancel();
  }
}

void TcpPoller::link(TcpConnection& c) {
  c.next_ = head_;
  if (head_) head_->prev_ = &c;
  head_ = &c;
  ++count_;
}

void TcpPoller::unlink(TcpConnection& c) {
  if (c.prev_)
    c.prev_->next_ = c.next_;
  else if (head_ == &c)
    head_ = c.next_;
  else
    return;  // not linked
  if (c.next_) c.next_->prev_ = c.prev_;
  c.prev_ = c.next_ = nullptr;
  --count_;
}

bool TcpPoller::modify(TcpConnection& c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  return ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd_, &ev) == 0;
}

void TcpPoller::closing(TcpConnection& c) {
  closing_.push_back(c.self_);
  arm_sweep();
}

void TcpPoller::arm_sweep() {
  if (sweep_armed_ || closing_.empty()) return;
  sweep_armed_ = true;
  close_timer_.expires_after(kSweepPeriod);
  close_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired()) return;
        sweep_armed_ = false;
        if (!ec) sweep_closing();
      });
}

void TcpPoller::sweep_closing() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<TcpConnection>> due;
  std::erase_if(closing_, [&](const std::weak_ptr<TcpConnection>& w) {
    auto c = w.lock();
    if (!c ||
        (c->state_ != TcpConnection::State::closing && c->state_ != TcpConnection::State::draining))
      return true;
    if (c->close_deadline_ > now) return false;
    due.push_back(std::move(c));
    return true;
  });
  for (auto& c : due) {
    spdlog::debug("MQTT tcp {}: {} before close timed out", c->peer(),
                  c->state_ == TcpConnection::State::draining ? "draining" : "flush");
    c->close_socket();
  }
  arm_sweep();
}

void TcpPoller::stop() {
  stopping_ = true;
  std::vector<std::shared_ptr<TcpConnection>> open;
  for (auto* c = head_; c; c = c->next_) open.push_back(c->self_);
  for (auto& c : open) c->shutdown_gracefully();
  // The epoll watch ends once the last connection has flushed and closed (see drain()), so
  // io_context::run() can return.
  schedule_drain();
}

}  // namespace weir::mqtt
