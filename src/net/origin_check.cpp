#include "net/origin_check.hpp"

#include <algorithm>
#include <cctype>

namespace weir::net {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view without_default_port(std::string_view authority, std::string_view port) {
  if (authority.size() > port.size() && authority.ends_with(port))
    authority.remove_suffix(port.size());
  return authority;
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  for (const auto& a : allowed)
    if (iequal(origin, a)) return true;
  // Same origin: "http://host[:port]" against the Host header ("null" and paths never match).
  std::string_view authority;
  std::string_view default_port;
  auto scheme = [&](std::string_view s) {
    return origin.size() > s.size() && iequal(origin.substr(0, s.size()), s);
  };
  if (scheme("http://")) {
    authority = origin.substr(7);
    default_port = ":80";
  } else if (scheme("https://")) {
    authority = origin.substr(8);
    default_port = ":443";
  } else {
    return false;
  }
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) return false;
  return !host.empty() && iequal(without_default_port(authority, default_port),
                                 without_default_port(host, default_port));
}

}  // namespace weir::net
