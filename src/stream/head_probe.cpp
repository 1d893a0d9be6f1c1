#include "stream/head_probe.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>

namespace weir::stream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8192;

template <class Stream>
class Probe : public std::enable_shared_from_this<Probe<Stream>> {
 public:
  template <class... A>
  Probe(asio::io_context& io, ProbeTarget t, Millis timeout, std::function<void(ProbeResult)> done,
        A&&... stream_args)
      : resolver_(io),
        timer_(io),
        stream_(std::forward<A>(stream_args)...),
        t_(std::move(t)),
        timeout_(timeout),
        done_(std::move(done)) {}

  void start() {
    auto self = this->shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](beast::error_code ec) {
      if (!ec)
        self->finish({false, "timed out after " + std::to_string(self->timeout_.count()) + " ms"});
    });
    resolver_.async_resolve(t_.host, std::to_string(t_.port),
                            [self](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->fail("cannot resolve " + self->t_.host, ec);
                              self->connect(r);
                            });
  }

 private:
  void connect(const tcp::resolver::results_type& r) {
    auto self = this->shared_from_this();
    beast::get_lowest_layer(stream_).async_connect(
        r, [self](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect", ec);
          self->handshake();
        });
  }
  void handshake() {
    auto self = this->shared_from_this();
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      send();
    } else {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), t_.host.c_str()))
        return finish({false, "TLS: cannot set the server name"});
      stream_.set_verify_callback(asio::ssl::host_name_verification(t_.host));
      stream_.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec) return self->fail("TLS", ec);
        self->send();
      });
    }
  }
  void send() {
    auto self = this->shared_from_this();
    req_.method(http::verb::head);
    req_.target(t_.path);
    req_.version(11);
    req_.set(http::field::host, t_.host);
    req_.set(http::field::user_agent, "weir-stream-probe");
    req_.set(http::field::connection, "close");
    http::async_write(stream_, req_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("cannot send", ec);
      self->read();
    });
  }
  void read() {
    auto self = this->shared_from_this();
    parser_.skip(true);  // a HEAD answer has no body, whatever Content-Length says
    parser_.header_limit(kHeaderLimit);
    http::async_read(stream_, buffer_, parser_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("bad answer", ec);
      const int status = static_cast<int>(self->parser_.get().result_int());
      self->finish({status >= 200 && status < 400, "HTTP " + std::to_string(status)});
    });
  }
  void fail(const std::string& what, const beast::error_code& ec) {
    finish({false, what + ": " + ec.message()});
  }
  void finish(ProbeResult r) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    auto done = std::move(done_);
    done(std::move(r));
  }

  tcp::resolver resolver_;
  asio::steady_timer timer_;
  Stream stream_;
  ProbeTarget t_;
  Millis timeout_;
  std::function<void(ProbeResult)> done_;
  http::request<http::empty_body> req_;
  beast::flat_buffer buffer_{kHeaderLimit};
  http::response_parser<http::empty_body> parser_;
  bool finished_ = false;
};

}  // namespace

void head_probe(asio::io_context& io, asio::ssl::context& tls, const ProbeTarget& target,
                Millis timeout, std::function<void(ProbeResult)> done) {
  if (target.tls)
    std::make_shared<Probe<asio::ssl::stream<beast::tcp_stream>>>(io, target, timeout,
                                                                  std::move(done), io, tls)
        ->start();
  else
    std::make_shared<Probe<beast::tcp_stream>>(io, target, timeout, std::move(done), io)->start();
}

}  // namespace weir::stream
