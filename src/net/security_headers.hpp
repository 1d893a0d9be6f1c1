#pragma once
// Headers every response carries (API, errors, static files, refused and accepted upgrades).
// A handler may override one by setting a header of the same name.
#include <array>
#include <string_view>
#include <utility>

namespace weir::net {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'";

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSecurityHeaders{{
    {"Content-Security-Policy", kContentSecurityPolicy},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
}};

// Only over TLS (a browser ignores it on plain HTTP anyway).
inline constexpr std::pair<std::string_view, std::string_view> kStrictTransportSecurity{
    "Strict-Transport-Security", "max-age=31536000"};

}  // namespace weir::net
