#pragma once
// --broker URLs, parsed by Boost.URL: mqtt://host[:port] (also tcp://, or no scheme) and
// mqtts://host[:port] (also ssl://). IPv6 hosts in brackets. Credentials do not belong in the URL
// (they would show in `ps`): refused.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace weir::device_agent {

struct BrokerUrl {
  std::string host;
  std::uint16_t port = 1883;
  bool tls = false;

  std::string to_string() const;
};

Result<BrokerUrl> parse_broker_url(std::string_view url);

}  // namespace weir::device_agent
