#include "security/session_token_transport.hpp"

#include <cassert>
#include <cctype>

namespace weir::security {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Token characters (base64url and dots): nothing that could break a header.
bool token_chars(std::string_view t) {
  for (unsigned char c : t)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::string attributes(long long max_age, bool secure) {
  std::string s = "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Strict";
  if (secure) s += "; Secure";
  return s;
}

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization_header) {
  auto h = trim(authorization_header);
  constexpr std::string_view scheme = "bearer";
  if (h.size() <= scheme.size() || !iequals(h.substr(0, scheme.size()), scheme) ||
      (h[scheme.size()] != ' ' && h[scheme.size()] != '\t'))
    return std::nullopt;
  auto token = trim(h.substr(scheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string_view> cookie_value(std::string_view cookie_header,
                                             std::string_view name) {
  while (!cookie_header.empty()) {
    auto semi = cookie_header.find(';');
    auto pair = trim(cookie_header.substr(0, semi));
    cookie_header =
        semi == std::string_view::npos ? std::string_view{} : cookie_header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (value.empty()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> extract_session_token(std::string_view authorization_header,
                                                      std::string_view cookie_header) {
  if (auto t = bearer_token(authorization_header)) return t;
  return cookie_value(cookie_header, kSessionCookieName);
}

std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool secure) {
  assert(token_chars(token) && "session tokens are base64url");
  if (!token_chars(token)) token = {};
  return std::string(kSessionCookieName) + "=" + std::string(token) +
         attributes(max_age.count(), secure);
}

std::string expired_session_cookie(bool secure) {
  return std::string(kSessionCookieName) + "=" + attributes(0, secure);
}

}  // namespace weir::security
