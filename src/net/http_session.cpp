#include "net/http_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <exception>
#include <optional>
#include <variant>

#include "net/error_body.hpp"
#include "net/message_conversion.hpp"
#include "net/origin_check.hpp"
#include "net/request_target.hpp"
#include "net/streams.hpp"
#include "net/ws_session.hpp"

namespace weir::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::chrono::seconds kLingerTime{2};  // reading what a refused client still sends
constexpr std::size_t kLingerBytes = 16 << 20;
constexpr std::chrono::seconds kTlsShutdownTime{5};

template <class Stream>
class HttpSession final : public Stoppable,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<HttpServer::State> state, Stream stream, std::string remote)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        slot_(state_),
        timer_(state_->ioc) {}

  ~HttpSession() override {
    if (live_id_ != 0) state_->remove_live(live_id_);
  }

  void run() {
    live_id_ = state_->add_live(this->weak_from_this());
    if constexpr (kIsTls<Stream>) {
      phase_ = Phase::handshake;
      tcp().expires_after(state_->options.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec) return self->close_now();
                                self->tcp().expires_never();
                                self->wait_for_request();
                              });
    } else {
      wait_for_request();
    }
  }

  void shutdown() override {
    // Reads are cancelled (their handlers see `stopping` and close); a response being written
    // finishes first; an upgraded connection belongs to its WsSession.
    if (phase_ == Phase::handshake || phase_ == Phase::waiting || phase_ == Phase::reading ||
        phase_ == Phase::lingering)
      tcp().cancel();
    if (streaming_) end_stream("the server stops");  // a stream would not finish soon
  }

 private:
  enum class Phase { handshake, waiting, reading, writing, lingering, closing, upgraded };

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& options() const { return state_->options; }

  // ---- timers: one per phase; a generation number voids the handler of an earlier phase ----
  void arm_timer(std::chrono::seconds d) {
    ++generation_;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), gen = generation_](error_code ec) {
      if (ec || gen != self->generation_) return;
      self->timed_out_ = true;
      if (self->streaming_) return self->end_stream("time limit reached");
      self->tcp().cancel();
    });
  }
  void cancel_timer() {
    ++generation_;
    timer_.cancel();
  }

  // ---- reading -------------------------------------------------------------------------------
  void wait_for_request() {
    if (state_->stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    timed_out_ = false;
    if (buffer_.size() > 0) return read_request();  // pipelined: the next request is here
    // Nothing started yet: on expiry just close (no 408). A fresh connection gets read_timeout,
    // a kept-alive one idle_timeout.
    phase_ = Phase::waiting;
    arm_timer(first_request_ ? options().read_timeout : options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              self->cancel_timer();
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    phase_ = Phase::reading;
    arm_timer(options().read_timeout);  // the whole request: slow headers are a slowloris
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              self->on_header(ec, n);
                            });
  }

  void on_header(error_code ec, std::size_t n) {
    if (ec) return on_read_error(ec);
    state_->stats.bytes_received += n;
    if (parser_->is_done()) return on_request(n);
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](error_code ec2, std::size_t) {
                          if (ec2) return self->on_read_error(ec2);
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t n) {
                       if (ec) return self->on_read_error(ec);
                       self->state_->stats.bytes_received += n;
                       self->on_request(n);
                     });
  }

  void on_read_error(error_code ec) {
    cancel_timer();
    auto& s = state_->stats;
    if (timed_out_) {
      s.rejected_timeout++, s.rejected++;
      return refuse(
          408, "timeout",
          fmt::format("request not received within {} s", options().read_timeout.count()));
    }
    if (state_->stopping || ec == http::error::end_of_stream || ec == http::error::partial_message)
      return close();
    if (ec == http::error::body_limit) {
      s.rejected_too_large++, s.rejected++;
      return refuse(413, "too_large",
                    fmt::format("request body exceeds {} bytes", options().max_body_bytes));
    }
    if (ec == http::error::header_limit) {
      s.rejected_too_large++, s.rejected++;
      return refuse(431, "too_large",
                    fmt::format("request header exceeds {} bytes", options().max_header_bytes));
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      s.rejected_malformed++, s.rejected++;
      return refuse(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    close_now();  // I/O error: nobody to answer
  }

  // ---- one complete request --------------------------------------------------------------------
  void on_request(std::size_t) {
    cancel_timer();
    ++state_->stats.requests;
    RequestMessage req = parser_->release();
    parser_.reset();
    ResponseContext ctx;
    ctx.version = req.version();
    ctx.keep_alive = req.keep_alive();
    ctx.head = req.method() == http::verb::head;
    ctx.secure = kIsTls<Stream>;

    auto target = parse_request_target(req.target());
    if (!target) {
      state_->stats.rejected_malformed++, state_->stats.rejected++;
      return send(error_response(400, target.error().code, target.error().message), ctx);
    }
    ctx.api = is_api_path(target->path);
    std::string raw_target(req.target());
    HttpRequest request = to_http_request(req, std::move(*target), remote_, ctx.secure);
    if (ctx.head) request.method = "GET";  // HEAD is GET without the body

    if (const WsEndpoint* ep = state_->find_ws(request.path)) {
      if (beast::websocket::is_upgrade(req)) return upgrade(*ep, request, std::move(req), ctx);
      HttpResponse r =
          error_response(426, "upgrade_required", "this path only accepts WebSocket upgrades");
      r.headers.emplace_back("Upgrade", "websocket");
      return send(std::move(r), ctx);
    }

    if ((req.method() == http::verb::get || ctx.head) && !state_->static_files.empty()) {
      StaticLookup found = state_->static_files.resolve(request.path);
      if (found.kind == StaticLookup::Kind::redirect) {
        HttpResponse r = HttpResponse::text(found.temporary ? 302 : 301, "");
        auto q = raw_target.find('?');
        r.headers.emplace_back(
            "Location", found.location + (q == std::string::npos ? "" : raw_target.substr(q)));
        return send(std::move(r), ctx);
      }
      if (found.kind == StaticLookup::Kind::file) return send_file(found.file, req, ctx);
    }

    HttpResponse response = call_handler(request);
    if (response.deferred) return defer(std::move(response.deferred), ctx);
    send(std::move(response), ctx);
  }

  // The handler answers later (slow work on another thread): nothing is read meanwhile, and the
  // answer is sent when it comes (once).
  void defer(std::function<void(HttpResponse::Reply)> start, const ResponseContext& ctx) {
    auto answered = std::make_shared<bool>(false);
    HttpResponse::Reply reply = [self = this->shared_from_this(), ctx, answered](HttpResponse out) {
      if (*answered) return;
      *answered = true;
      if (out.deferred) out = error_response(500, "internal", "internal server error");
      self->send(std::move(out), ctx);
    };
    try {
      start(reply);
    } catch (const std::exception& e) {
      spdlog::error("HTTP deferred handler threw: {}", e.what());
      reply(error_response(500, "internal", "internal server error"));
    }
  }

  HttpResponse call_handler(const HttpRequest& request) {
    try {
      return state_->handler(request);
    } catch (const std::exception& e) {
      spdlog::error("HTTP handler threw on {} {}: {}", request.method, request.path, e.what());
    } catch (...) {
      spdlog::error("HTTP handler threw on {} {}", request.method, request.path);
    }
    return error_response(500, "internal", "internal server error");
  }

  void send_file(const StaticFile& file, const RequestMessage& req, ResponseContext ctx) {
    auto set_common = [&](http::fields& f) {
      f.set(http::field::etag, file.etag);
      f.set(http::field::cache_control, file.cache_control);
      add_security_headers(f, ctx.secure);
    };
    if (auto inm = req[http::field::if_none_match]; !inm.empty() && etag_matches(inm, file.etag)) {
      http::response<http::empty_body> res{http::status::not_modified, ctx.version};
      set_common(res);
      res.keep_alive(ctx.keep_alive);
      return write(http::message_generator(std::move(res)), ctx.keep_alive, false);
    }
    beast::error_code ec;
    http::file_body::value_type body;
    body.open(file.path.c_str(), beast::file_mode::scan, ec);
    if (ec) return send(error_response(404, "not_found", "file not found"), ctx);
    if (ctx.head) {
      http::response<http::empty_body> res{http::status::ok, ctx.version};
      set_common(res);
      res.set(http::field::content_type, file.content_type);
      res.content_length(body.size());
      res.keep_alive(ctx.keep_alive);
      return write(http::message_generator(std::move(res)), ctx.keep_alive, false);
    }
    http::response<http::file_body> res{http::status::ok, ctx.version, std::move(body)};
    set_common(res);
    res.set(http::field::content_type, file.content_type);
    res.prepare_payload();
    res.keep_alive(ctx.keep_alive);
    write(http::message_generator(std::move(res)), ctx.keep_alive, false);
  }

  // ---- WebSocket upgrade ---------------------------------------------------------------------
  void upgrade(const WsEndpoint& ep, const HttpRequest& request, RequestMessage req,
               ResponseContext ctx) {
    ctx.keep_alive = false;  // a refused upgrade ends the connection
    if (!origin_allowed(req[http::field::origin], req[http::field::host],
                        state_->options.allowed_origins)) {
      spdlog::warn("WebSocket upgrade to {} from {} refused: Origin {} not allowed", ep.path,
                   remote_, std::string_view(req[http::field::origin]).substr(0, 200));
      return send(error_response(403, "origin_not_allowed",
                                 "this page's origin may not open a WebSocket here"),
                  ctx);
    }
    if (!ep.subprotocol.empty() &&
        !offers_subprotocol(req[http::field::sec_websocket_protocol], ep.subprotocol)) {
      return send(
          error_response(400, "bad_subprotocol",
                         fmt::format("WebSocket subprotocol '{}' required", ep.subprotocol)),
          ctx);
    }
    auto ws = std::make_shared<WsSession<Stream>>(state_, remote_, ep.binary, ep.subprotocol);
    std::variant<HttpResponse, std::shared_ptr<WsListener>> decision;
    try {
      decision = ep.accept
                     ? ep.accept(request, ws->connection())
                     : decltype(decision)(error_response(404, "not_found", "no such endpoint"));
    } catch (const std::exception& e) {
      spdlog::error("WebSocket accept for {} threw: {}", ep.path, e.what());
      decision = error_response(500, "internal", "internal server error");
    }
    if (auto* refused = std::get_if<HttpResponse>(&decision)) return send(std::move(*refused), ctx);
    auto listener = std::get<std::shared_ptr<WsListener>>(std::move(decision));
    if (!listener) return send(error_response(500, "internal", "internal server error"), ctx);

    cancel_timer();
    phase_ = Phase::upgraded;
    state_->remove_live(live_id_);
    live_id_ = 0;
    ws->start(std::move(stream_), std::move(req), std::move(listener), std::move(slot_));
  }

  // ---- writing -------------------------------------------------------------------------------
  void send(HttpResponse res, const ResponseContext& ctx) {
    if (res.stream) return send_stream(std::move(res), ctx);
    bool keep_alive = ctx.keep_alive && !state_->stopping;
    ResponseContext c = ctx;
    c.keep_alive = keep_alive;
    write(http::message_generator(to_beast_response(std::move(res), c)), keep_alive, false);
  }

  // ---- a streamed body (BodyStream): header, then one piece at a time ------------------------
  struct Streaming {
    explicit Streaming(http::response<http::empty_body> r) : res(std::move(r)), sr(res) {}
    http::response<http::empty_body> res;
    http::response_serializer<http::empty_body> sr;  // refers to res: Streaming never moves
    std::shared_ptr<BodyStream> body;
    std::string piece;  // being written
    std::uint64_t id = 0;
    bool chunked = true;
    bool keep_alive = false;
  };

  void send_stream(HttpResponse res, const ResponseContext& ctx) {
    auto body = std::move(res.stream);
    res.stream.reset();
    res.body.clear();
    ResponseContext c = ctx;
    c.keep_alive = ctx.keep_alive && !state_->stopping;
    const bool chunked = ctx.version >= 11;
    if (!chunked)
      c.keep_alive = false;  // HTTP/1.0: the end of the body is the end of the connection
    auto full = to_beast_response(std::move(res), c);
    http::response<http::empty_body> head{full.result(), full.version()};
    for (const auto& f : full) head.insert(f.name_string(), f.value());
    head.erase(http::field::content_length);
    if (chunked) head.chunked(true);
    head.keep_alive(c.keep_alive);
    if (ctx.head) {  // the header alone: the producer is not asked
      if (body->cancel) body->cancel();
      head.erase(http::field::transfer_encoding);
      return write(http::message_generator(std::move(head)), c.keep_alive, false);
    }
    streaming_ = std::make_unique<Streaming>(std::move(head));
    streaming_->body = std::move(body);
    streaming_->id = ++stream_ids_;
    streaming_->chunked = chunked;
    streaming_->keep_alive = c.keep_alive;
    streaming_->sr.split(true);
    phase_ = Phase::writing;
    arm_timer(streaming_->body->time_limit);
    tcp().expires_after(options().write_timeout);
    http::async_write_header(stream_, streaming_->sr,
                             [self = this->shared_from_this()](error_code ec, std::size_t n) {
                               self->state_->stats.bytes_sent += n;
                               if (!self->streaming_) return;
                               if (ec) return self->end_stream("the client went away");
                               self->ask_next();
                             });
  }

  void ask_next() {
    tcp().expires_never();  // waiting for the producer: its time is the stream's time limit
    BodyStream::Give give = [self = this->shared_from_this(),
                             id = streaming_->id](Result<std::string> piece) {
      if (!self->streaming_ || self->streaming_->id != id) return;  // ended meanwhile
      self->on_piece(std::move(piece));
    };
    try {
      streaming_->body->next(std::move(give));
    } catch (const std::exception& e) {
      spdlog::error("HTTP body stream threw: {}", e.what());
      end_stream("the producer failed");
    }
  }

  void on_piece(Result<std::string> piece) {
    if (!piece) {
      spdlog::warn("HTTP body stream to {} failed: {}", remote_, piece.error().message);
      streaming_->body->cancel = nullptr;  // it ended itself
      return end_stream("");
    }
    if (piece->size() > streaming_->body->max_piece_bytes)
      return end_stream(fmt::format("a piece of {} bytes is over the limit of {}", piece->size(),
                                    streaming_->body->max_piece_bytes));
    const bool last = piece->empty();
    if (last && !streaming_->chunked) return finish_stream();
    streaming_->piece = std::move(*piece);
    tcp().expires_after(options().write_timeout);
    auto done = [self = this->shared_from_this(), last](error_code ec, std::size_t n) {
      self->state_->stats.bytes_sent += n;
      if (!self->streaming_) return;
      if (ec) return self->end_stream("the client went away");
      if (last) return self->finish_stream();
      self->ask_next();
    };
    if (!streaming_->chunked)
      asio::async_write(stream_, asio::buffer(streaming_->piece), std::move(done));
    else if (last)
      asio::async_write(stream_, http::make_chunk_last(), std::move(done));
    else
      asio::async_write(stream_, http::make_chunk(asio::buffer(streaming_->piece)),
                        std::move(done));
  }

  // The whole body was sent: the connection goes on as after any response.
  void finish_stream() {
    const bool keep_alive = streaming_->keep_alive;
    streaming_.reset();
    cancel_timer();
    on_write({}, 0, keep_alive, false);
  }

  // Stopped before its end (why: for the log; "" when the producer failed): the producer is
  // cancelled and the connection closed, so the client sees an incomplete body.
  void end_stream(std::string_view why) {
    auto s = std::move(streaming_);
    if (!s) return;
    if (!why.empty()) spdlog::info("HTTP body stream to {} stopped: {}", remote_, why);
    if (s->body->cancel) {
      try {
        s->body->cancel();
      } catch (const std::exception& e) {
        spdlog::error("HTTP body stream cancel threw: {}", e.what());
      }
    }
    close_now();
  }

  // An error before the request was complete: answer, then read (and drop) what the client still
  // sends for a moment, so the answer is not lost to a TCP reset.
  void refuse(int status, std::string_view code, std::string message) {
    ResponseContext ctx;
    ctx.keep_alive = false;
    ctx.secure = kIsTls<Stream>;
    write(http::message_generator(to_beast_response(error_response(status, code, message), ctx)),
          false, true);
  }

  void write(http::message_generator msg, bool keep_alive, bool linger) {
    phase_ = Phase::writing;
    tcp().expires_after(options().write_timeout);
    beast::async_write(
        stream_, std::move(msg),
        [self = this->shared_from_this(), keep_alive, linger](error_code ec, std::size_t n) {
          self->on_write(ec, n, keep_alive, linger);
        });
  }

  void on_write(error_code ec, std::size_t n, bool keep_alive, bool linger) {
    state_->stats.bytes_sent += n;
    if (ec) return close_now();
    tcp().expires_never();
    if (linger) return start_linger();
    if (!keep_alive || state_->stopping) return close();
    first_request_ = false;
    wait_for_request();
  }

  void start_linger() {
    phase_ = Phase::lingering;
    if constexpr (!kIsTls<Stream>) {
      error_code ignored;
      tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    buffer_.clear();
    tcp().expires_after(kLingerTime);
    linger_read();
  }

  void linger_read() {
    stream_.async_read_some(buffer_.prepare(16 << 10),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes || self->state_->stopping)
                                return self->close_now();
                              self->buffer_.clear();
                              self->linger_read();
                            });
  }

  // ---- closing -------------------------------------------------------------------------------
  void close() {
    cancel_timer();
    phase_ = Phase::closing;
    if constexpr (kIsTls<Stream>) {
      tcp().expires_after(kTlsShutdownTime);
      stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->close_now(); });
    } else {
      error_code ignored;
      tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      close_now();
    }
  }

  void close_now() {
    cancel_timer();
    phase_ = Phase::closing;
    tcp().close();
  }

  std::shared_ptr<HttpServer::State> state_;
  Stream stream_;
  std::string remote_;
  ConnectionSlot slot_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<Streaming> streaming_;
  uint64_t stream_ids_ = 0;
  uint64_t live_id_ = 0;
  uint64_t generation_ = 0;
  std::size_t lingered_ = 0;
  Phase phase_ = Phase::waiting;
  bool timed_out_ = false;
  bool first_request_ = true;
};

}  // namespace

void start_http_session(const std::shared_ptr<HttpServer::State>& state,
                        asio::ip::tcp::socket socket, std::string remote_address) {
  if (state->tls) {
    std::make_shared<HttpSession<TlsStream>>(state, TlsStream(std::move(socket), *state->tls),
                                             std::move(remote_address))
        ->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(state, PlainStream(std::move(socket)),
                                               std::move(remote_address))
        ->run();
  }
}

}  // namespace weir::net
