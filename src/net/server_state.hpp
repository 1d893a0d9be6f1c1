#pragma once
// Internal: what the listener and every connection share. Lives as long as the HttpServer or the
// last connection, whichever is later, so a connection never outlives the handler it calls.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/http_server.hpp"
#include "net/static_files.hpp"

namespace weir::net {

// A live connection that stop() asks to wind down (finish the response / send a 1001 close).
class Stoppable {
 public:
  virtual ~Stoppable() = default;
  virtual void shutdown() = 0;
};

struct HttpServer::State {
  State(boost::asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
        std::vector<WsEndpoint> ws);

  boost::asio::io_context& ioc;
  const HttpServerOptions options;
  const HttpHandler handler;
  const std::vector<WsEndpoint> ws_endpoints;
  StaticFiles static_files;
  std::optional<boost::asio::ssl::context> tls;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer accept_retry;
  std::string over_capacity_response;  // serialised 503, built once in start()
  HttpServerStats stats;
  bool started = false;
  bool stopping = false;
  uint16_t port = 0;

  const WsEndpoint* find_ws(std::string_view path) const;
  uint64_t add_live(std::weak_ptr<Stoppable> c);
  void remove_live(uint64_t id);
  void stop_all();
  void count_rejected(uint64_t HttpServerStats::*kind);

 private:
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<Stoppable>> live_;
};

// One of the max_connections slots; moves from the HTTP session to the WebSocket session.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<HttpServer::State> state);
  ConnectionSlot(ConnectionSlot&& o) noexcept : state_(std::move(o.state_)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

 private:
  std::shared_ptr<HttpServer::State> state_;
};

}  // namespace weir::net
