#pragma once
// weir::net::HttpServer — the HTTP/1.1 + WebSocket edge of Weir (REST, live feed, MQTT over
// WebSocket, web apps). Beast and Asio stay in the .cpp files: this header only forward-declares
// the io_context, so modules that start a server compile fast.
//
// Everything runs on the one io_context thread: handlers, WebSocket accept decisions, listener
// callbacks and WsConnection calls must all happen there (no locks inside). stop() may be called
// from any thread.
//
// Defensive at the edge: header/body/message size limits, read/idle/write timeouts, a connection
// limit, a bounded send queue per WebSocket, and the security headers on every response.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/http_message.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::net {

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain (leaf first)
  std::string key_file;   // PEM private key (unencrypted)
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 8080;                     // 0 = any free port (see HttpServer::port())
  std::size_t max_body_bytes = 1 << 20;     // larger body -> 413
  std::size_t max_header_bytes = 16 << 10;  // larger request line + headers -> 431
  std::chrono::seconds read_timeout{30};    // whole request (headers + body); expiry -> 408, close
  std::chrono::seconds idle_timeout{60};    // keep-alive wait between requests; WebSocket silence
                                            // (a ping after half of it, dropped after all of it)
  std::chrono::seconds write_timeout{60};  // one response (or one WebSocket frame) to a slow reader
  std::size_t max_connections = 4096;      // over it: plain HTTP gets a 503, TLS is just closed
  std::optional<TlsOptions> tls;           // HTTPS/WSS (TLS 1.2+) when set, on the same port
  std::string static_root;                 // directory of built web apps ("" = no static files)
  // URL prefix -> subdirectory of static_root, e.g. {"/api/docs/", "api-docs"}. "/assets/" ->
  // static_root/assets is added automatically when that directory exists (Vite's shared bundles).
  std::vector<std::pair<std::string, std::string>> static_mounts;
  std::size_t ws_max_message_bytes = 64 << 10;  // larger incoming message -> close 1009
  std::size_t ws_max_queue_bytes = 4 << 20;     // per-connection send queue bound
  std::chrono::seconds ws_close_timeout{5};     // close(): flush + close handshake, then drop
  // Origins besides the server's own that may upgrade (origin_check.hpp); others get 403.
  std::vector<std::string> allowed_origins;
};

// Counters since start(); read them on the io thread (or after run() returned).
struct HttpServerStats {
  uint64_t connections_open = 0;   // TCP connections (HTTP and upgraded WebSocket)
  uint64_t connections_total = 0;  // accepted (not counting ones refused for the limit)
  uint64_t requests = 0;           // complete HTTP requests read
  uint64_t bytes_received = 0;     // HTTP + WebSocket payload bytes (after TLS)
  uint64_t bytes_sent = 0;
  uint64_t rejected = 0;                // sum of the four below
  uint64_t rejected_malformed = 0;      // 400: unparsable request or target
  uint64_t rejected_too_large = 0;      // 413 body / 431 headers
  uint64_t rejected_timeout = 0;        // 408: request not complete within read_timeout
  uint64_t rejected_over_capacity = 0;  // connection limit reached
  uint64_t ws_open = 0;
  uint64_t ws_total = 0;
  uint64_t ws_send_refused = 0;   // send_* returned false because the queue was full
  uint64_t ws_forced_closes = 0;  // close() did not finish within ws_close_timeout
};

// The HTTP side of everything that is not a static file or a WebSocket upgrade. Synchronous, on
// the io thread. HEAD requests reach it as GET (the body is dropped from the reply). A handler
// header with the name of a security header (e.g. Content-Security-Policy) replaces the default.
// Exceptions are caught and turned into a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// One accepted WebSocket. The app may keep the shared_ptr as long as it likes: after the
// connection ends every send_* returns false and close() does nothing.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual bool send_text(std::string text) = 0;  // false (and nothing queued) if the queue is full
  virtual bool send_binary(std::shared_ptr<const std::vector<uint8_t>> bytes) = 0;
  virtual std::size_t queued_bytes() const = 0;
  virtual void close(uint16_t code, std::string reason) = 0;  // after flushing queued frames
  virtual const std::string& remote_address() const = 0;
  virtual bool is_open() const = 0;  // false once closing or closed
  // Stop reading the peer's frames after the one being delivered (true), or read on (false):
  // the app's back-pressure, e.g. a broker holding acknowledgements for commits. What the
  // kernel buffers then pushes back on the peer through TCP flow control. A close reads on.
  virtual void pause_reading(bool on) = 0;
};

// What the app attaches to a connection. Callbacks run on the io thread. on_close comes exactly
// once for every listener accept() returned (even if the handshake then fails), when the
// connection has ended — not inside close() — after which the server drops its reference.
class WsListener {
 public:
  virtual ~WsListener() = default;
  virtual void on_text(std::string_view msg) = 0;
  virtual void on_binary(const uint8_t*, std::size_t) {}
  virtual void on_close() = 0;
};

struct WsEndpoint {
  std::string path;         // "/ws", "/mqtt" (decoded path, exact match)
  std::string subprotocol;  // required Sec-WebSocket-Protocol ("" = none); echoed back
  // true: binary frames only (text frames close the connection with 1003), e.g. MQTT.
  // false: text frames -> on_text, binary frames -> on_binary.
  bool binary = false;
  // Decide on the upgrade request (auth happens here: cookies/bearer are in the request).
  // Return a listener to accept, or an HttpResponse (e.g. 401/403) to refuse the upgrade. Frames
  // sent on the connection from inside accept are queued and go out after the handshake.
  std::function<std::variant<HttpResponse, std::shared_ptr<WsListener>>(
      const HttpRequest&, std::shared_ptr<WsConnection>)>
      accept;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
             std::vector<WsEndpoint> ws = {});
  ~HttpServer();  // closes the acceptor; destroy it on the io thread or after run() returned
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads TLS material and the static root, binds and listens. Errors read like
  // "HTTP listener 127.0.0.1:8080: address already in use".
  weir::Status start();
  // Closes the acceptor and every connection gracefully (responses in flight finish, WebSockets
  // get a 1001 close); afterwards nothing is left pending, so io_context::run() returns.
  void stop();
  uint16_t port() const;  // the bound port (useful when 0 was asked); 0 before start()
  HttpServerStats stats() const;

  struct State;  // shared with the connections (defined in http_server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace weir::net
