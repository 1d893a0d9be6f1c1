#pragma once
// How a session token travels over HTTP: an "Authorization: Bearer" header (scripts) or the
// weir_session cookie (browsers: HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure over TLS).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace weir::security {

inline constexpr std::string_view kSessionCookieName = "weir_session";

// "Bearer <token>" (scheme case-insensitive) -> token.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);
// The value of one cookie in a Cookie request header ("a=1; weir_session=xyz").
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);
// The bearer token if there is one, else the weir_session cookie. Views into the arguments.
std::optional<std::string_view> extract_session_token(std::string_view authorization_header,
                                                      std::string_view cookie_header);

// Set-Cookie header value carrying the token.
std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool secure);
// Set-Cookie header value that deletes the cookie (logout).
std::string expired_session_cookie(bool secure);

}  // namespace weir::security
