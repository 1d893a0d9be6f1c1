#pragma once
// Parsing of an HTTP request target (Boost.URL): the decoded path the router and the static files
// see, and the decoded query. Refuses what must never reach a file system or a route: dot-dot
// segments (even percent-encoded), NUL bytes, and anything that is not a path.
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::net {

struct RequestTarget {
  std::string path;                               // decoded, starts with '/'
  std::multimap<std::string, std::string> query;  // decoded ('+' is a space)
};

// Accepts origin-form ("/a/b?x=1") and absolute-form ("http://host/a/b?x=1") targets.
Result<RequestTarget> parse_request_target(std::string_view target);

}  // namespace weir::net
