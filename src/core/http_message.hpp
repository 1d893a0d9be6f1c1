#pragma once
// Transport-neutral HTTP request/response: the network layer (src/net, Beast) converts to and
// from these, so routes and their handlers stay plain functions that tests call directly.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace weir {

// A response body produced piece by piece (an export too large to hold): the server sends it with
// HTTP/1.1 chunked transfer encoding (to an HTTP/1.0 client: raw, then closes). One piece is in
// flight at a time: the server calls next() only once the previous piece is written, so a slow
// client slows the producer instead of filling memory. Everything runs on the io thread.
struct BodyStream {
  // The producer answers each next(give) by calling give once, now or later, on the io thread: a
  // piece (at most max_piece_bytes; an empty piece ends the body), or an error, after which the
  // connection is closed without the final chunk (the client sees a truncated body).
  using Give = std::function<void(Result<std::string>)>;
  std::function<void(Give)> next;
  // Called once if the stream stops before its end: the client went away (a write failed), the
  // time limit passed, a piece was too large, or the server stops. give() after it does nothing.
  std::function<void()> cancel;
  std::chrono::seconds time_limit{600};  // the whole body
  std::size_t max_piece_bytes = 1 << 20;
};

struct HttpRequest {
  std::string method;                             // "GET", "POST", ...
  std::string target;                             // raw target, e.g. "/api/datapoints?driver=x"
  std::string path;                               // decoded path without query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // "127.0.0.1"
  bool secure = false;         // arrived over TLS

  std::string_view header(std::string_view name) const {  // name lower-case
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
  std::string_view query_param(std::string_view name) const {
    auto it = query.find(std::string(name));
    return it == query.end() ? std::string_view{} : std::string_view(it->second);
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Set-Cookie, ...)
  // A handler that must wait for slow work done elsewhere (an Argon2id verification on a worker
  // thread) returns later(start): the server calls start(reply) and sends the response given to
  // reply, which must be called once, on the io thread. The other members are then unused.
  using Reply = std::function<void(HttpResponse)>;
  std::function<void(Reply)> deferred;

  // Set: the body is produced by the stream (see BodyStream); `body` is unused.
  std::shared_ptr<BodyStream> stream;

  static HttpResponse streamed(int status, std::string content_type, BodyStream stream) {
    HttpResponse r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.stream = std::make_shared<BodyStream>(std::move(stream));
    return r;
  }

  static HttpResponse later(std::function<void(Reply)> start) {
    HttpResponse r;
    r.deferred = std::move(start);
    return r;
  }

  static HttpResponse json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse text(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
  }
};

}  // namespace weir
