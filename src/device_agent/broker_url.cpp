#include "device_agent/broker_url.hpp"

#include <charconv>

namespace weir::device_agent {
namespace {

Error bad(std::string_view url, const std::string& why) {
  return bad_request("bad_broker_url", "--broker " + std::string(url) + ": " + why);
}

}  // namespace

std::string BrokerUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "mqtts://" : "mqtt://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<BrokerUrl> parse_broker_url(std::string_view url) {
  BrokerUrl b;
  std::string_view rest = url;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, sep);
    rest.remove_prefix(sep + 3);
    if (scheme == "mqtt" || scheme == "tcp") {
      b.tls = false;
    } else if (scheme == "mqtts" || scheme == "ssl") {
      b.tls = true;
    } else if (scheme == "ws" || scheme == "wss") {
      return bad(url,
                 "MQTT over WebSocket is not supported by weir-device; use mqtt:// or mqtts://");
    } else {
      return bad(url, "unknown scheme '" + std::string(scheme) + "' (use mqtt:// or mqtts://)");
    }
  }
  b.port = b.tls ? 8883 : 1883;
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos)
    return bad(
        url, "credentials go in --username and --password (or WEIR_DEVICE_PASSWORD), not the URL");
  if (rest.find('/') != std::string_view::npos) return bad(url, "a broker URL has no path");
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad(url, "unterminated IPv6 address");
    b.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad(url, "expected ':port' after the IPv6 address");
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon)
      return bad(url, "put IPv6 addresses in brackets: mqtt://[::1]:1883");
    b.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) return bad(url, "empty port");
  }
  if (b.host.empty()) return bad(url, "no host");
  if (!port_text.empty()) {
    unsigned v = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || v == 0 || v > 65535)
      return bad(url, "port must be 1..65535");
    b.port = static_cast<std::uint16_t>(v);
  }
  return b;
}

}  // namespace weir::device_agent
