#pragma once
// Transport-neutral HTTP request/response: the network layer (src/net, Beast) converts to and
// from these, so routes and their handlers stay plain functions that tests call directly.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // raw target, e.g. "/api/datapoints?driver=x"
  std::string path;                            // decoded path without query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;                  // "127.0.0.1"
  bool secure = false;                         // arrived over TLS

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
