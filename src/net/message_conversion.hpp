#pragma once
// Internal: Beast messages <-> the transport-neutral weir::HttpRequest / HttpResponse, with the
// policy every response gets (security headers, no-store on /api, HEAD without a body).
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

#include "core/http_message.hpp"
#include "net/request_target.hpp"
#include "net/streams.hpp"

namespace weir::net {

// Moves the body out of req; header names are lower-cased.
HttpRequest to_http_request(RequestMessage& req, RequestTarget target, const std::string& remote,
                            bool secure);

void add_security_headers(boost::beast::http::fields& fields, bool secure);

bool is_api_path(std::string_view path);  // "/api" or "/api/..."

struct ResponseContext {
  unsigned version = 11;
  bool keep_alive = true;
  bool head = false;    // keep Content-Length, drop the body
  bool secure = false;  // adds Strict-Transport-Security
  bool api = false;     // adds Cache-Control: no-store unless the handler chose one
};

boost::beast::http::response<boost::beast::http::string_body> to_beast_response(
    HttpResponse res, const ResponseContext& ctx);

// Does a Sec-WebSocket-Protocol offer ("a, b") contain `wanted`?
bool offers_subprotocol(std::string_view offer, std::string_view wanted);

}  // namespace weir::net
