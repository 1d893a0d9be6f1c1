#pragma once
// Where the security module meets HTTP: the AccessControl every route goes through (session from
// the weir_session cookie or a bearer token, permission check, sliding renewal), the login /
// logout / me routes, the audit query, and the security configuration API for the editor.
// Every control action published on the bus as UserAction is written to the audit log here.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/router.hpp"
#include "bus/bus.hpp"
#include "core/worker_thread.hpp"
#include "security/audit_flood_guard.hpp"
#include "security/audit_log.hpp"
#include "security/login.hpp"
#include "security/login_throttle.hpp"
#include "security/mqtt_access.hpp"
#include "security/session_manager.hpp"

namespace weir::security {

// What ended or changed, for everything that holds a connection open on a past decision (the
// /ws feeds, MQTT connections): each re-checks itself against it.
struct Revocation {
  enum class Scope {
    session,        // one login ended (logout): sockets opened with that session
    user,           // the user's password, groups or apps changed, or the user was removed
    configuration,  // security_config.json saved: re-evaluate every open socket
  };
  Scope scope = Scope::configuration;
  std::string username;    // session, user
  std::string session_id;  // session: the token's jti
};

struct SecurityGatewayOptions {
  std::filesystem::path config_file;          // security_config.json (created on first run)
  std::filesystem::path data_dir;             // jwt_secret, audit database
  std::optional<std::string> admin_password;  // WEIR_ADMIN_PASSWORD
  bool tls = false;                           // cookies get Secure
  std::chrono::seconds session_lifetime{15 * 60};
  std::chrono::seconds session_absolute_lifetime{12 * 60 * 60};  // renewals never pass it
  AuditLogOptions audit;                                         // retention of audit.db
};

// Password hashes never leave the server: the editor sees "" and sends "" to keep a hash.
security::SecurityConfig redacted_security_config(const security::SecurityConfig& c);
// A user who can open the security editor and save: a password (login not disabled), the
// edit_security permission and the security_editor app.
bool may_edit_security(const security::SecurityConfig& c, const security::User& u);

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
  // The one throttle of every password check (HTTP login, password change, MQTT CONNECT).
  security::LoginThrottle& throttle() { return *throttle_; }
  // A password verified against a legacy (or weaker Argon2id) hash: store its replacement, for a
  // user or an MQTT device. A user whose legacy hash is replaced must change the password
  // (User::password_change_required).
  void store_upgraded_hash(const std::string& username, const std::string& hash);
  // The user's sessions may do nothing but change the password (and log out, read /me).
  bool password_change_required(std::string_view username) const;
  // The permission names the user has now; nullopt when the user is gone or may use nothing but
  // the password change (for open sockets re-checking themselves).
  std::optional<std::vector<std::string>> current_permissions(std::string_view username) const;
  std::shared_ptr<security::MqttAccess> mqtt_access() const { return mqtt_; }
  security::AuditLog& audit() { return *audit_; }
  std::uint64_t audit_left_out() const { return flood_guard_.left_out_total(); }
  void record(security::AuditAction action, const std::string& user, const std::string& address,
              const std::string& target, security::AuditResult result, std::string detail);
  // The running security configuration (with password hashes: never send it as is).
  std::shared_ptr<const security::SecurityConfig> config() const { return config_; }
  // The security editor's save: `next` replaces the running configuration. With
  // keep_empty_hashes, an empty password_hash keeps the user's (device's) current one (the
  // editor never sees hashes); an unset password_change_required keeps the current flag.
  // Refused (unprocessable, with the JSON path) when invalid or when no user able to edit
  // security would be left. Users removed or whose password, groups, apps or forced change
  // changed lose their sessions and MQTT connections (revocation listeners). Audited as
  // security_save with `detail`.
  struct EditOptions {
    bool keep_empty_hashes = true;
    std::string detail;
  };
  Status save_edited(security::SecurityConfig next, const std::string& actor,
                     const std::string& address, const EditOptions& options);
  Status save_edited(security::SecurityConfig next, const std::string& actor,
                     const std::string& address) {
    return save_edited(std::move(next), actor, address, EditOptions{});
  }
  // Start-up provisioning (e.g. the demo's device accounts): applies `mutate` to a copy of the
  // running configuration; when it returns ok, validates, saves (atomically) and applies the
  // result.
  Status update_config(const std::function<Status(security::SecurityConfig&)>& mutate);
  // From now on a login's Argon2id verification runs on a worker thread and the answer is posted
  // back with `post` (to the io thread); the HTTP response waits meanwhile. Without this (unit
  // tests) logins verify inline. stop_verifier() drops waiting logins (shutdown).
  using Post = std::function<void(std::function<void()>)>;
  void verify_off_thread(Post post);

  // Listeners run on the io thread, after the change is in effect (the new configuration is
  // current, revoked tokens no longer verify). The id removes the listener.
  using RevocationListener = std::function<void(const Revocation&)>;
  std::size_t add_revocation_listener(RevocationListener listener);
  void remove_revocation_listener(std::size_t id);
  void stop_verifier();

 private:
  HttpResponse login_response(const std::string& username, security::App app,
                              const std::string& address, bool secure, security::LoginOutcome out);
  // A new session for a user who just proved the password: cookie + SessionInfo with the token.
  HttpResponse session_response(const std::string& username, security::App app, bool secure);
  // Runs `slow` (Argon2id) on the verification worker, inline without one, and answers with
  // done(result) back on the io thread; when the worker's queue is full, `dropped` runs and the
  // answer is 503 busy.
  template <class T>
  HttpResponse off_thread(std::function<T()> slow,
                          std::function<HttpResponse(SecurityGateway&, T)> done,
                          std::function<void(SecurityGateway&)> dropped);
  HttpResponse change_own_password(const api::RequestContext& ctx);
  SecurityGateway(SecurityGatewayOptions options, const Clock& clock);
  Status save_config(const security::SecurityConfig& next);
  void revoke_user(const std::string& username);
  void notify(const Revocation& r);

  SecurityGatewayOptions options_;
  const Clock& clock_;
  std::shared_ptr<const security::SecurityConfig> config_;
  std::unique_ptr<security::SessionManager> sessions_;
  std::unique_ptr<security::LoginThrottle> throttle_;
  std::unique_ptr<security::AuditLog> audit_;
  security::AuditFloodGuard flood_guard_;  // io thread only
  std::shared_ptr<security::MqttAccess> mqtt_;
  bus::Subscription user_actions_;
  Post post_;
  std::unique_ptr<WorkerThread> verifier_;
  std::vector<std::pair<std::size_t, RevocationListener>> revocation_listeners_;
  std::size_t next_listener_id_ = 1;
};

}  // namespace weir::security
