#pragma once
// Which pages may open a WebSocket here (cross-site WebSocket hijacking: a browser sends the
// session cookie with an upgrade from any page, and tells which page in Origin). Allowed: no
// Origin (non-browser clients), the server's own origin (Origin's host[:port] equals Host), and
// the configured list (WEIR_ALLOWED_ORIGINS, exact "scheme://host[:port]", case-insensitive).
#include <string>
#include <string_view>
#include <vector>

namespace weir::net {

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

}  // namespace weir::net
