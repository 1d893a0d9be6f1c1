#include "net/request_target.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace weir::net {

namespace {

bool has_dot_dot_segment(std::string_view path) {
  // Split the *decoded* path: "/a/..%2fb" decodes to "/a/../b" and must be refused too.
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Result<RequestTarget> parse_request_target(std::string_view target) {
  if (target.empty() || (target.front() != '/' && target.find("://") == std::string_view::npos))
    return bad_request("bad_target", "request target must be a path");
  auto parsed = boost::urls::parse_uri_reference(target);
  if (!parsed)
    return bad_request("bad_target", "malformed request target: " + parsed.error().message());
  const boost::urls::url_view& url = *parsed;

  RequestTarget out;
  out.path = url.path();
  if (out.path.empty()) out.path = "/";
  if (out.path.front() != '/') return bad_request("bad_target", "request path must start with '/'");
  if (out.path.find('\0') != std::string::npos)
    return bad_request("bad_path", "request path contains a NUL byte");
  if (has_dot_dot_segment(out.path))
    return bad_request("bad_path", "request path contains a '..' segment");

  if (url.has_query()) {
    for (auto param : url.params(boost::urls::encoding_opts(/*space_as_plus=*/true))) {
      if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
      out.query.emplace(param.key, param.has_value ? param.value : std::string());
    }
  }
  return out;
}

}  // namespace weir::net
