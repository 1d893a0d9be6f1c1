#include "stream/stream_status.hpp"

#include <charconv>

namespace weir::stream {

std::optional<ProbeTarget> probe_target(const std::string& url) {
  ProbeTarget t;
  if (!url.empty() && url.front() == '/') {
    t.path = url;
    return t;
  }
  std::string rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    t.port = 80;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    t.tls = true;
    t.port = 443;
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::string authority = rest.substr(0, slash);
  t.path = rest.substr(slash);
  if (const auto colon = authority.find(':'); colon != std::string::npos) {
    const std::string p = authority.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535)
      return std::nullopt;
    t.port = static_cast<std::uint16_t>(port);
    authority.resize(colon);
  }
  if (authority.empty()) return std::nullopt;
  t.host = authority;
  return t;
}

std::vector<std::size_t> ProbeSchedule::due(MonoTime now) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < slots_.size() && in_flight_ < max_; ++i) {
    auto& s = slots_[i];
    if (s.in_flight || (s.next && now < *s.next)) continue;
    s.in_flight = true;
    ++in_flight_;
    out.push_back(i);
  }
  return out;
}

bool ProbeSchedule::finish(std::size_t i, const ProbeResult& r, WallTime wall, MonoTime now) {
  if (i >= slots_.size() || !slots_[i].in_flight) return false;
  auto& s = slots_[i];
  s.in_flight = false;
  --in_flight_;
  s.next = now + refresh_;
  s.checked = wall;
  const auto status = r.reachable ? Reachability::reachable : Reachability::unreachable;
  const bool changed = status != s.status || r.detail != s.detail;
  s.status = status;
  s.detail = r.detail;
  return changed;
}

}  // namespace weir::stream
