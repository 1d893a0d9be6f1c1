#pragma once
// Where the security module meets HTTP: the AccessControl every route goes through (session from
// the weir_session cookie or a bearer token, permission check, sliding renewal), the login /
// logout / me routes, the audit query, and the security configuration API for the editor.
// Every control action published on the bus as UserAction is written to the audit log here.
#include <filesystem>
#include <functional>
#include <memory>

#include "api/router.hpp"
#include "bus/bus.hpp"
#include "core/worker_thread.hpp"
#include "security/audit_log.hpp"
#include "security/login.hpp"
#include "security/login_throttle.hpp"
#include "security/mqtt_access.hpp"
#include "security/session_manager.hpp"

namespace weir::security {

struct SecurityGatewayOptions {
  std::filesystem::path config_file;          // security_config.json (created on first run)
  std::filesystem::path data_dir;             // jwt_secret, audit database
  std::optional<std::string> admin_password;  // WEIR_ADMIN_PASSWORD
  bool tls = false;                           // cookies get Secure
  std::chrono::seconds session_lifetime{15 * 60};
};

class SecurityGateway final : public api::AccessControl,
                              public std::enable_shared_from_this<SecurityGateway> {
 public:
  // Loads (or creates) the security configuration and the session secret. On a fresh install,
  // creates the administrator; a generated password is printed once to stdout.
  static Result<std::shared_ptr<SecurityGateway>> open(SecurityGatewayOptions options,
                                                       bus::Bus& bus, const Clock& clock);

  Result<api::Caller> authorize(const HttpRequest& req, std::string_view permission) override;
  // For WebSocket upgrades: the principal's permission names, or 401.
  Result<api::Caller> authenticate(const HttpRequest& req) { return authorize(req, ""); }

  void add_routes(api::Router& router);
  std::shared_ptr<security::MqttAccess> mqtt_access() const { return mqtt_; }
  security::AuditLog& audit() { return *audit_; }
  void record(security::AuditAction action, const std::string& user, const std::string& address,
              const std::string& target, security::AuditResult result, std::string detail);
  // Start-up provisioning (e.g. the demo's device accounts): applies `mutate` to a copy of the
  // running configuration; when it returns ok, validates, saves (atomically) and applies the
  // result.
  Status update_config(const std::function<Status(security::SecurityConfig&)>& mutate);
  // From now on a login's Argon2id verification runs on a worker thread and the answer is posted
  // back with `post` (to the io thread); the HTTP response waits meanwhile. Without this (unit
  // tests) logins verify inline. stop_verifier() drops waiting logins (shutdown).
  using Post = std::function<void(std::function<void()>)>;
  void verify_off_thread(Post post);
  void stop_verifier();

 private:
  HttpResponse login_response(const std::string& username, security::App app,
                              const std::string& address, bool secure, security::LoginOutcome out);
  SecurityGateway(SecurityGatewayOptions options, const Clock& clock);
  Status save_config(const security::SecurityConfig& next);

  SecurityGatewayOptions options_;
  const Clock& clock_;
  std::shared_ptr<const security::SecurityConfig> config_;
  std::unique_ptr<security::SessionManager> sessions_;
  std::unique_ptr<security::LoginThrottle> throttle_;
  std::unique_ptr<security::AuditLog> audit_;
  std::shared_ptr<security::MqttAccess> mqtt_;
  bus::Subscription user_actions_;
  Post post_;
  std::unique_ptr<WorkerThread> verifier_;
};

}  // namespace weir::security
