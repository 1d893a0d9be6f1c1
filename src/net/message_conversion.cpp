#include "net/message_conversion.hpp"

#include <algorithm>
#include <cctype>

#include "net/security_headers.hpp"

namespace weir::net {

namespace http = boost::beast::http;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The framing of the reply is ours: a handler may not set these (response splitting, desync).
bool is_reserved(std::string_view name) {
  for (std::string_view r :
       {"content-length", "transfer-encoding", "connection", "upgrade", "keep-alive"})
    if (iequals(name, r)) return true;
  return false;
}

bool is_safe_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name)
    if (c <= ' ' || c == ':' || c == 127) return false;
  return value.find_first_of("\r\n", 0) == std::string_view::npos &&
         value.find('\0') == std::string_view::npos;
}

void set_default(http::fields& f, std::string_view name, std::string_view value) {
  if (f.find(name) == f.end()) f.insert(name, value);
}

}  // namespace

HttpRequest to_http_request(RequestMessage& req, RequestTarget target, const std::string& remote,
                            bool secure) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.path = std::move(target.path);
  r.query = std::move(target.query);
  r.headers.reserve(static_cast<std::size_t>(std::distance(req.begin(), req.end())));
  for (const auto& f : req) r.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
  r.body = std::move(req.body());
  r.remote_address = remote;
  r.secure = secure;
  return r;
}

void add_security_headers(http::fields& fields, bool secure) {
  for (const auto& [name, value] : kSecurityHeaders) set_default(fields, name, value);
  if (secure) set_default(fields, kStrictTransportSecurity.first, kStrictTransportSecurity.second);
}

bool is_api_path(std::string_view path) {
  return path == "/api" || path.starts_with("/api/");
}

http::response<http::string_body> to_beast_response(HttpResponse res, const ResponseContext& ctx) {
  http::response<http::string_body> out;
  out.version(ctx.version);
  int status = (res.status >= 200 && res.status <= 599) ? res.status : 500;
  out.result(static_cast<unsigned>(status));
  for (const auto& [name, value] : res.headers)
    if (!is_reserved(name) && is_safe_header(name, value)) out.insert(name, value);
  bool bodiless = status == 204 || status == 304;
  if (!bodiless && !res.content_type.empty() && is_safe_header("content-type", res.content_type))
    set_default(out, "Content-Type", res.content_type);
  add_security_headers(out, ctx.secure);
  if (ctx.api) set_default(out, "Cache-Control", "no-store");
  out.keep_alive(ctx.keep_alive);
  if (!bodiless) {
    out.content_length(res.body.size());
    if (!ctx.head) out.body() = std::move(res.body);
  }
  return out;
}

bool offers_subprotocol(std::string_view offer, std::string_view wanted) {
  std::size_t pos = 0;
  while (pos <= offer.size()) {
    std::size_t comma = offer.find(',', pos);
    if (comma == std::string_view::npos) comma = offer.size();
    std::string_view item = offer.substr(pos, comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == wanted) return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace weir::net
