// In-process checks of start()/stop() (the wire behaviour is tested by tests/net against
// weir_net_testserver with real clients).
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

using namespace weir::net;

namespace {
HttpHandler ok_handler() {
  return [](const weir::HttpRequest&) { return weir::HttpResponse::text(200, "ok"); };
}
}  // namespace

TEST(HttpServer, BindsAnyPortAndStopLetsRunReturn) {
  boost::asio::io_context ioc;
  HttpServerOptions opt;
  opt.port = 0;
  HttpServer server(ioc, opt, ok_handler());
  ASSERT_TRUE(server.start());
  EXPECT_NE(server.port(), 0);
  server.stop();
  ioc.run();  // returns: nothing left pending
  EXPECT_EQ(server.stats().connections_open, 0u);
}

TEST(HttpServer, BusyPortIsAClearError) {
  boost::asio::io_context ioc;
  HttpServerOptions opt;
  opt.port = 0;
  HttpServer first(ioc, opt, ok_handler());
  ASSERT_TRUE(first.start());
  opt.port = first.port();
  HttpServer second(ioc, opt, ok_handler());
  auto st = second.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "HTTP listener 127.0.0.1:" + std::to_string(first.port()) + ": address already in use");
}

TEST(HttpServer, BadTlsFilesAreAClearError) {
  boost::asio::io_context ioc;
  HttpServerOptions opt;
  opt.port = 0;
  opt.tls = TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  HttpServer server(ioc, opt, ok_handler());
  auto st = server.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "TLS certificate /nonexistent/cert.pem: no such readable file");
}

TEST(HttpServer, BadBindAddressAndStaticRoot) {
  boost::asio::io_context ioc;
  HttpServerOptions opt;
  opt.port = 0;
  opt.bind_address = "not-an-address";
  EXPECT_FALSE(HttpServer(ioc, opt, ok_handler()).start());
  opt.bind_address = "127.0.0.1";
  opt.static_root = "/nonexistent/www";
  auto st = HttpServer(ioc, opt, ok_handler()).start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "static root /nonexistent/www: not a readable directory");
}
