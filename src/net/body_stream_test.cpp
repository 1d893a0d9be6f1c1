// A streamed body (weir::BodyStream) end to end: a real HttpServer on a loopback port, a blocking
// client on the test thread reading chunked HTTP/1.1.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "net/http_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace weir;
using namespace weir::net;

// The server on its own io thread, stopped and joined at the end.
struct Server {
  asio::io_context ioc;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  explicit Server(HttpHandler handler) {
    HttpServerOptions opt;
    opt.port = 0;
    server = std::make_unique<HttpServer>(ioc, opt, std::move(handler));
    EXPECT_TRUE(server->start());
    thread = std::thread([this] { ioc.run(); });
  }
  ~Server() {
    asio::post(ioc, [this] { server->stop(); });
    thread.join();
    server.reset();
  }
  tcp::socket connect() {
    tcp::socket s(client_ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    return s;
  }
  asio::io_context client_ioc;
};

// Polls `done` until it holds or `limit` passes (no fixed sleeps).
template <class F>
bool eventually(F done, std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

void send_get(tcp::socket& s, const std::string& target, unsigned version = 11) {
  http::request<http::empty_body> req{http::verb::get, target, version};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
}

// A producer of `count` pieces "line <i>\n", each given later (posted), that checks one piece is
// in flight at a time.
struct Counting {
  int count = 0;
  int given = 0;
  bool waiting = false;  // a next() not yet answered
  bool overlapped = false;
  std::atomic<bool> cancelled{false};
};

HttpResponse counting_stream(asio::io_context& ioc, std::shared_ptr<Counting> c) {
  BodyStream b;
  b.next = [&ioc, c](BodyStream::Give give) {
    if (c->waiting) c->overlapped = true;
    c->waiting = true;
    asio::post(ioc, [c, give = std::move(give)] {
      c->waiting = false;
      if (c->given == c->count) return give(std::string());
      give("line " + std::to_string(c->given++) + "\n");
    });
  };
  b.cancel = [c] { c->cancelled = true; };
  return HttpResponse::streamed(200, "text/csv", std::move(b));
}

TEST(BodyStream, PiecesArriveAsChunksOneInFlightThenTheConnectionGoesOn) {
  auto c = std::make_shared<Counting>();
  c->count = 500;
  Server srv([&](const HttpRequest& r) {
    if (r.path == "/plain") return HttpResponse::text(200, "after");
    return counting_stream(srv.ioc, c);
  });
  auto s = srv.connect();
  send_get(s, "/stream");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  p.body_limit(1 << 20);
  int chunks = 0;
  auto on_header = [&](std::uint64_t, beast::string_view, beast::error_code&) { ++chunks; };
  p.on_chunk_header(on_header);
  http::read(s, buf, p);
  const auto& res = p.get();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], "text/csv");
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.count(http::field::content_length), 0u);
  std::string expect;
  for (int i = 0; i < 500; ++i) expect += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(res.body(), expect);
  EXPECT_EQ(chunks, 501);  // 500 pieces and the last, empty chunk
  EXPECT_FALSE(c->overlapped);
  EXPECT_FALSE(c->cancelled);
  // Kept alive: the next request on the same connection is answered.
  send_get(s, "/plain");
  http::response<http::string_body> next;
  http::read(s, buf, next);
  EXPECT_EQ(next.body(), "after");
}

TEST(BodyStream, AClientThatGoesAwayCancelsTheProducer) {
  auto asked = std::make_shared<std::atomic<int>>(0);
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  Server srv([&](const HttpRequest&) {
    BodyStream b;
    b.next = [asked](BodyStream::Give give) {
      ++*asked;
      give(std::string(64 << 10, 'x'));  // endless
    };
    b.cancel = [cancelled] { *cancelled = true; };
    return HttpResponse::streamed(200, "text/plain", std::move(b));
  });
  {
    auto s = srv.connect();
    send_get(s, "/");
    std::array<char, 4096> some{};
    asio::read(s, asio::buffer(some));  // the header and the start of the body
  }                                     // closed mid-stream
  ASSERT_TRUE(eventually([&] { return cancelled->load(); }));
  const int at_cancel = asked->load();
  EXPECT_GT(at_cancel, 0);
  // Nothing more is asked after the cancel (the server's io thread has moved on).
  std::promise<void> drained;
  asio::post(srv.ioc, [&] { drained.set_value(); });
  drained.get_future().wait();
  EXPECT_EQ(asked->load(), at_cancel);
}

TEST(BodyStream, TimeLimitAndOversizedPiecesCutTheBody) {
  auto cancelled = std::make_shared<std::atomic<int>>(0);
  Server srv([&](const HttpRequest& r) {
    BodyStream b;
    b.cancel = [cancelled] { ++*cancelled; };
    if (r.path == "/slow") {
      b.time_limit = std::chrono::seconds(1);
      b.next = [n = 0](BodyStream::Give give) mutable {
        if (n++ == 0) give(std::string("first"));  // then never answers
      };
    } else {
      b.max_piece_bytes = 10;
      b.next = [](BodyStream::Give give) { give(std::string(11, 'y')); };
    }
    return HttpResponse::streamed(200, "text/plain", std::move(b));
  });
  for (const char* path : {"/slow", "/big"}) {
    auto s = srv.connect();
    send_get(s, path);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> p;
    beast::error_code ec;
    http::read(s, buf, p, ec);
    EXPECT_TRUE(ec) << path << ": the body must end incomplete";
    EXPECT_TRUE(p.is_header_done()) << path;
    EXPECT_FALSE(p.is_done()) << path;
  }
  EXPECT_TRUE(eventually([&] { return cancelled->load() == 2; }));
}

TEST(BodyStream, AnHttp10ClientGetsTheRawBodyAndTheClose) {
  auto c = std::make_shared<Counting>();
  c->count = 3;
  Server srv([&](const HttpRequest&) { return counting_stream(srv.ioc, c); });
  auto s = srv.connect();
  send_get(s, "/", 10);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);  // the body ends with the connection
  EXPECT_FALSE(res.chunked());
  EXPECT_EQ(res.body(), "line 0\nline 1\nline 2\n");
  EXPECT_FALSE(c->cancelled);
}

TEST(BodyStream, AProducerErrorTruncatesTheBody) {
  Server srv([&](const HttpRequest&) {
    BodyStream b;
    b.next = [n = 0](BodyStream::Give give) mutable {
      if (n++ == 0) return give(std::string("a,b\n"));
      give(Error::make(ErrorKind::internal, "storage", "disk gone"));
    };
    return HttpResponse::streamed(200, "text/csv", std::move(b));
  });
  auto s = srv.connect();
  send_get(s, "/");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  beast::error_code ec;
  http::read(s, buf, p, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(p.get().body(), "a,b\n");
  EXPECT_FALSE(p.is_done());
}

}  // namespace
