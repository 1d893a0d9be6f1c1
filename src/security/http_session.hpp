#pragma once
// Glue for the HTTP layer over the transport-neutral weir::HttpRequest (core/http_message.hpp):
// find the token (bearer header first, then the weir_session cookie) and verify it.
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/http_message.hpp"
#include "security/session_manager.hpp"

namespace weir::security {

// unauthorized("no_session") when the request carries no token; otherwise SessionManager::verify.
Result<VerifiedSession> authenticate_request(const HttpRequest& request,
                                             const SessionManager& sessions,
                                             const SecurityConfig& config);

// Set-Cookie value for a freshly issued (or renewed) session; Secure when the request came over
// TLS.
std::string set_cookie_for(const IssuedSession& session, const HttpRequest& request);

}  // namespace weir::security
