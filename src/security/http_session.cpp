#include "security/http_session.hpp"

#include "security/session_token_transport.hpp"

namespace weir::security {

Result<VerifiedSession> authenticate_request(const HttpRequest& request,
                                             const SessionManager& sessions,
                                             const SecurityConfig& config) {
  auto token = extract_session_token(request.header("authorization"), request.header("cookie"));
  if (!token) return Error::make(ErrorKind::unauthorized, "no_session", "login required");
  return sessions.verify(config, *token);
}

std::string set_cookie_for(const IssuedSession& session, const HttpRequest& request) {
  return session_cookie(session.token, session.max_age(), request.secure);
}

}  // namespace weir::security
