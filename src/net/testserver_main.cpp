// weir_net_testserver: an HttpServer with fixed routes for the wire tests (tests/net).
//   /echo, /api/echo  the request as JSON          /big    1 MiB of 'x'
//   /stats            HttpServerStats as JSON       other   404 JSON
//   /ws       text echo; "flood" makes the server send 16 KiB frames until the queue is full,
//             then close 1008 (slow-consumer test); "close" closes 1000
//   /ws-auth  refuses the upgrade with 401 unless "Authorization: Bearer letmein"
//   /mqtt     subprotocol "mqtt", binary frames, echo
// Prints "listening <port>" once bound; SIGINT/SIGTERM stop it gracefully.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "core/json.hpp"
#include "net/error_body.hpp"
#include "net/http_server.hpp"

namespace asio = boost::asio;
using namespace weir;
using namespace weir::net;

namespace {

std::string request_json(const HttpRequest& r) {
  boost::json::object o;
  o["method"] = r.method;
  o["target"] = r.target;
  o["path"] = r.path;
  boost::json::array query;
  for (const auto& [k, v] : r.query)
    query.push_back(boost::json::array{boost::json::string(k), boost::json::string(v)});
  o["query"] = std::move(query);
  boost::json::array headers;
  for (const auto& [k, v] : r.headers)
    headers.push_back(boost::json::array{boost::json::string(k), boost::json::string(v)});
  o["headers"] = std::move(headers);
  o["body"] = r.body;
  o["remote_address"] = r.remote_address;
  o["secure"] = r.secure;
  return json::dump(o);
}

std::string stats_json(const HttpServerStats& s) {
  boost::json::object o;
  o["connections_open"] = s.connections_open;
  o["connections_total"] = s.connections_total;
  o["requests"] = s.requests;
  o["bytes_received"] = s.bytes_received;
  o["bytes_sent"] = s.bytes_sent;
  o["rejected"] = s.rejected;
  o["rejected_malformed"] = s.rejected_malformed;
  o["rejected_too_large"] = s.rejected_too_large;
  o["rejected_timeout"] = s.rejected_timeout;
  o["rejected_over_capacity"] = s.rejected_over_capacity;
  o["ws_open"] = s.ws_open;
  o["ws_total"] = s.ws_total;
  o["ws_send_refused"] = s.ws_send_refused;
  o["ws_forced_closes"] = s.ws_forced_closes;
  return json::dump(o);
}

class EchoListener : public WsListener, public std::enable_shared_from_this<EchoListener> {
 public:
  EchoListener(asio::io_context& ioc, std::shared_ptr<WsConnection> conn)
      : ioc_(ioc), conn_(std::move(conn)) {}

  void on_text(std::string_view msg) override {
    if (msg == "flood") return flood();
    if (msg == "close") return conn_->close(1000, "bye");
    if (!conn_->send_text(std::string(msg))) conn_->close(1008, "send queue full");
  }
  void on_binary(const uint8_t* data, std::size_t n) override {
    if (!conn_->send_binary(std::make_shared<const std::vector<uint8_t>>(data, data + n)))
      conn_->close(1008, "send queue full");
  }
  void on_close() override { closed_ = true; }

 private:
  // Sends until the bounded queue refuses, yielding to the io_context between bursts so other
  // clients keep being served; then tells the client and closes it, as the app does.
  void flood() {
    if (closed_ || !conn_->is_open()) return;
    static const std::string chunk(16 << 10, 'f');
    for (int i = 0; i < 16; ++i) {
      if (++sent_ > 200000) return;  // a client that does read: stop eventually
      if (!conn_->send_text(chunk)) {
        spdlog::info("slow consumer {}: {} bytes queued, closing", conn_->remote_address(),
                     conn_->queued_bytes());
        conn_->close(1008, "too slow: send queue full");
        return;
      }
    }
    asio::post(ioc_, [self = shared_from_this()] { self->flood(); });
  }

  asio::io_context& ioc_;
  std::shared_ptr<WsConnection> conn_;
  bool closed_ = false;
  int sent_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"weir_net_testserver: HttpServer with echo routes for wire tests"};
  HttpServerOptions opt;
  opt.port = 0;
  std::string cert, key;
  std::vector<std::string> mounts;
  long read_timeout = opt.read_timeout.count(), idle_timeout = opt.idle_timeout.count(),
       write_timeout = opt.write_timeout.count(), ws_close_timeout = opt.ws_close_timeout.count();
  app.add_option("--bind", opt.bind_address);
  app.add_option("--port", opt.port);
  app.add_option("--static-root", opt.static_root);
  app.add_option("--mount", mounts, "PREFIX=SUBDIR, e.g. /api/docs/=api-docs");
  app.add_option("--tls-cert", cert);
  app.add_option("--tls-key", key);
  app.add_option("--max-body", opt.max_body_bytes);
  app.add_option("--max-header", opt.max_header_bytes);
  app.add_option("--read-timeout", read_timeout);
  app.add_option("--idle-timeout", idle_timeout);
  app.add_option("--write-timeout", write_timeout);
  app.add_option("--max-connections", opt.max_connections);
  app.add_option("--ws-max-message", opt.ws_max_message_bytes);
  app.add_option("--ws-max-queue", opt.ws_max_queue_bytes);
  app.add_option("--ws-close-timeout", ws_close_timeout);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_default_logger(spdlog::stderr_logger_st("net"));  // stdout carries "listening <port>"

  opt.read_timeout = std::chrono::seconds(read_timeout);
  opt.idle_timeout = std::chrono::seconds(idle_timeout);
  opt.write_timeout = std::chrono::seconds(write_timeout);
  opt.ws_close_timeout = std::chrono::seconds(ws_close_timeout);
  for (const auto& m : mounts) {
    auto eq = m.find('=');
    if (eq == std::string::npos) {
      std::cerr << "error: --mount wants PREFIX=SUBDIR\n";
      return 2;
    }
    opt.static_mounts.emplace_back(m.substr(0, eq), m.substr(eq + 1));
  }
  if (!cert.empty() || !key.empty()) opt.tls = TlsOptions{cert, key};

  asio::io_context ioc;
  HttpServer* server_ptr = nullptr;
  HttpHandler handler = [&server_ptr](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/echo" || r.path == "/api/echo") return HttpResponse::json(200, request_json(r));
    if (r.path == "/big") return HttpResponse::text(200, std::string(1 << 20, 'x'));
    if (r.path == "/stats") return HttpResponse::json(200, stats_json(server_ptr->stats()));
    return error_response(404, "not_found", "no route for " + r.path);
  };

  std::vector<WsEndpoint> ws;
  ws.push_back({"/ws", "", false, [&ioc](const HttpRequest&, std::shared_ptr<WsConnection> c) {
                  return std::variant<HttpResponse, std::shared_ptr<WsListener>>(
                      std::make_shared<EchoListener>(ioc, std::move(c)));
                }});
  ws.push_back({"/ws-auth", "", false,
                [&ioc](const HttpRequest& r, std::shared_ptr<WsConnection> c)
                    -> std::variant<HttpResponse, std::shared_ptr<WsListener>> {
                  if (r.header("authorization") != "Bearer letmein")
                    return error_response(401, "unauthorized", "missing or invalid session");
                  return std::make_shared<EchoListener>(ioc, std::move(c));
                }});
  ws.push_back({"/mqtt", "mqtt", true, [&ioc](const HttpRequest&, std::shared_ptr<WsConnection> c) {
                  return std::variant<HttpResponse, std::shared_ptr<WsListener>>(
                      std::make_shared<EchoListener>(ioc, std::move(c)));
                }});

  HttpServer server(ioc, opt, handler, std::move(ws));
  server_ptr = &server;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);  // before "listening": a test may stop us at once
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) server.stop();
  });
  if (auto st = server.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  std::printf("listening %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  // The signal wait fires once; after stop() nothing else is pending, so run() returns.
  ioc.run();
  std::printf("stopped\n");
  return 0;
}
