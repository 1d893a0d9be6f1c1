#include "demo/agent/broker_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace weir::device_agent {
namespace {

Error bad(std::string_view url, const std::string& why) {
  return bad_request("bad_broker_url", "--broker " + std::string(url) + ": " + why);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string BrokerUrl::to_string() const {
  boost::urls::url u;
  u.set_scheme(tls ? "mqtts" : "mqtt");
  u.set_host_address(host);  // brackets an IPv6 address
  u.set_port_number(port);
  return std::string(u.buffer());
}

Result<BrokerUrl> parse_broker_url(std::string_view url) {
  // "host:1883" would read as scheme "host": a URL without "://" is taken as mqtt://.
  const std::string text =
      url.find("://") == std::string_view::npos ? "mqtt://" + std::string(url) : std::string(url);
  const auto malformed = [&](const std::string& detail) {
    return bad(url,
               "expected [mqtt[s]://]host[:port] with a port in 1..65535 and an IPv6 "
               "address in brackets (" +
                   detail + ")");
  };
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return malformed(parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  // Boost.URL 1.81 takes "mqtt://h:x" as host "h", an empty port and the path "x" (and
  // "mqtt://::1:1883" likewise): a path after the authority that does not start with '/' means
  // host:port did not parse.
  if (!u.path().empty() && !u.path().starts_with('/'))
    return malformed("'" + std::string(u.encoded_path()) + "' after the host");

  BrokerUrl b;
  const std::string scheme = lower(u.scheme());
  if (scheme == "mqtt" || scheme == "tcp") {
    b.tls = false;
  } else if (scheme == "mqtts" || scheme == "ssl") {
    b.tls = true;
  } else if (scheme == "ws" || scheme == "wss") {
    return bad(url, "MQTT over WebSocket is not supported by weir-device; use mqtt:// or mqtts://");
  } else {
    return bad(url, "unknown scheme '" + std::string(u.scheme()) + "' (use mqtt:// or mqtts://)");
  }
  // Command lines show in `ps` and shell histories.
  if (u.has_userinfo())
    return bad(
        url, "credentials go in --username and --password (or WEIR_DEVICE_PASSWORD), not the URL");
  if (!u.path().empty() && u.path() != "/") return bad(url, "a broker URL has no path");
  if (u.has_query() || u.has_fragment()) return bad(url, "a broker URL has no query or fragment");

  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      b.host = u.host_address();
      break;
    case boost::urls::host_type::name:
      // Escapes would decode into whatever the resolver is then handed (a NUL cuts it short).
      if (u.encoded_host().find('%') != std::string_view::npos)
        return bad(url, "the host name has %-escapes");
      b.host = u.host_address();
      break;
    default:
      return bad(url, "unsupported host '" + std::string(u.encoded_host()) + "'");
  }
  if (b.host.empty()) return bad(url, "no host");

  b.port = b.tls ? 8883 : 1883;
  if (u.has_port()) {
    if (u.port().empty()) return bad(url, "empty port");
    // port_number() is 0 for a number over 65535 too.
    if (u.port_number() == 0) return bad(url, "port must be 1..65535");
    b.port = u.port_number();
  }
  return b;
}

}  // namespace weir::device_agent
