#include "security/security_gateway.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>

#include "config/system_config.hpp"
#include "model/messages.hpp"
#include "security/account_password.hpp"
#include "security/admin_bootstrap.hpp"
#include "security/login.hpp"
#include "security/session_secret.hpp"
#include "security/session_token_transport.hpp"

namespace weir::security {

using namespace api;

struct SessionInfo {
  std::string user;
  std::vector<std::string> groups;
  std::vector<std::string> permissions;
  std::vector<std::string> apps;
  std::optional<std::string> app;
  std::optional<std::string> token;  // on login only: for scripts (Authorization: Bearer)
  std::optional<std::string> expires_at;
  bool password_change_required = false;
};
BOOST_DESCRIBE_STRUCT(SessionInfo, (),
                      (user, groups, permissions, apps, app, token, expires_at,
                       password_change_required))

struct AuditList {
  std::vector<AuditRecord> items;
};
BOOST_DESCRIBE_STRUCT(AuditList, (), (items))

struct PasswordBody {
  std::string password;
};
BOOST_DESCRIBE_STRUCT(PasswordBody, (), (password))

struct ValidationResult {
  bool valid = false;
  std::optional<std::string> error;
  std::optional<std::string> field;
};
BOOST_DESCRIBE_STRUCT(ValidationResult, (), (valid, error, field))

struct PermissionList {
  std::vector<PermissionDescription> items;
};
BOOST_DESCRIBE_STRUCT(PermissionList, (), (items))

namespace {

SessionInfo session_info(const Principal& p) {
  SessionInfo s;
  s.user = p.username;
  s.groups = p.groups;
  for (const auto& info : permission_catalogue())
    if (p.can(info.permission)) s.permissions.emplace_back(to_string(info.permission));
  for (App a : p.allowed_apps()) s.apps.emplace_back(to_string(a));
  if (p.app) s.app = std::string(to_string(*p.app));
  return s;
}

// What a session that must change its password may still do.
bool allowed_before_password_change(const HttpRequest& req) {
  return (req.method == "GET" && req.path == "/api/auth/me") ||
         (req.method == "POST" &&
          (req.path == "/api/auth/logout" || req.path == "/api/auth/password"));
}

constexpr std::size_t kMaxPasswordBytes = 1024;

Error no_session() {
  return Error::make(ErrorKind::unauthorized, "unauthorized",
                     "a session is required: log in at /api/auth/login");
}

std::optional<AuditAction> audit_action_of(std::string_view a) {
  if (a == "command") return AuditAction::command;
  if (a == "write_datapoint") return AuditAction::write_datapoint;
  if (a == "driver_control") return AuditAction::driver_control;
  if (a == "config_reload" || a == "config_save") return AuditAction::config_save;
  if (a == "device_control") return AuditAction::device_control;
  if (a == "ack") return AuditAction::ack;
  if (a == "alert_feedback") return AuditAction::alert_feedback;
  if (a == "shelve_alarm") return AuditAction::shelve_alarm;
  if (a == "schedule_control") return AuditAction::schedule_control;
  return std::nullopt;
}

}  // namespace

SecurityConfig redacted_security_config(const SecurityConfig& c) {
  SecurityConfig out = c;
  for (auto& u : out.users) u.password_hash.clear();
  if (out.mqtt)
    for (auto& d : out.mqtt->devices) d.password_hash.clear();
  return out;
}

bool may_edit_security(const SecurityConfig& c, const User& u) {
  if (u.password_hash.empty()) return false;
  if (!permissions_of(c, u).has(Permission::edit_security)) return false;
  for (const auto& a : u.allowed_apps)
    if (parse_app(a) == App::security_editor) return true;
  return false;
}

SecurityGateway::SecurityGateway(SecurityGatewayOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Result<std::shared_ptr<SecurityGateway>> SecurityGateway::open(SecurityGatewayOptions options,
                                                               bus::Bus& bus, const Clock& clock) {
  std::shared_ptr<SecurityGateway> g(new SecurityGateway(std::move(options), clock));
  SecurityConfig cfg;
  std::error_code ec;
  if (std::filesystem::exists(g->options_.config_file, ec)) {
    auto loaded = load_security_config_file(g->options_.config_file);
    if (!loaded) return loaded.error();
    cfg = std::move(*loaded);
  }
  auto boot = ensure_admin(cfg, g->options_.admin_password);
  if (!boot) return boot.error();
  if (boot->created) {
    if (auto st = g->save_config(cfg); !st) return st.error();
    if (boot->generated_password) {
      // Printed once, to the terminal only; never logged or stored in clear.
      std::cout
          << "\n==> Weir created the administrator account.\n    user:     admin\n    password: "
          << *boot->generated_password
          << "\n    (shown once: keep it; change it in the security editor)\n\n"
          << std::flush;
    } else {
      spdlog::info("administrator 'admin' created with the password from WEIR_ADMIN_PASSWORD");
    }
  }
  g->config_ = std::make_shared<const SecurityConfig>(std::move(cfg));
  auto secret = load_or_create_session_secret(g->options_.data_dir);
  if (!secret) return secret.error();
  if (secret->warning) spdlog::warn("{}", *secret->warning);
  security::SessionOptions session_options;
  session_options.lifetime = g->options_.session_lifetime;
  session_options.absolute_lifetime = g->options_.session_absolute_lifetime;
  g->sessions_ = std::make_unique<SessionManager>(secret->key, clock, session_options);
  g->throttle_ = std::make_unique<LoginThrottle>(clock);
  auto audit = AuditLog::open(g->options_.data_dir / "audit.db", g->options_.audit);
  if (!audit) return audit.error();
  g->audit_ = std::move(*audit);
  g->mqtt_ = std::make_shared<MqttAccess>(g->config_);
  std::weak_ptr<SecurityGateway> weak = g;
  g->user_actions_ = bus.subscribe<model::UserAction>([weak](const model::UserAction& a) {
    auto self = weak.lock();
    if (!self) return;
    if (auto action = audit_action_of(a.action))
      self->record(*action, a.user, a.address, a.target,
                   a.ok ? AuditResult::success : AuditResult::failure, a.detail);
  });
  return g;
}

void SecurityGateway::record(AuditAction action, const std::string& user,
                             const std::string& address, const std::string& target,
                             AuditResult result, std::string detail) {
  if (action == AuditAction::login_failed || action == AuditAction::mqtt_auth_failed ||
      action == AuditAction::access_denied) {
    // A flood of refusals (anonymous CONNECTs, password guessing) writes a bounded number of
    // rows. Keyed by action and user, whatever the address: a flood may come from many.
    const std::string name(json::enum_name(action));
    auto d = flood_guard_.admit(name + '\x1f' + user, name, clock_.mono());
    if (!d.write) return;
    if (d.left_out_before > 0)
      detail += " (+" + std::to_string(d.left_out_before) + " similar not recorded)";
  }
  audit_->record(
      AuditEntry{clock_.now(), user, address, action, target, result, std::move(detail)});
}

Status SecurityGateway::update_config(
    const std::function<Status(security::SecurityConfig&)>& mutate) {
  SecurityConfig next = *config_;
  if (auto st = mutate(next); !st) return st;
  if (serialize_security_config(next) == serialize_security_config(*config_)) return {};
  return save_config(next);
}

void SecurityGateway::store_upgraded_hash(const std::string& username, const std::string& hash) {
  auto st = update_config([&](SecurityConfig& c) -> Status {
    if (auto* u = find_user(c, username)) {
      if (classify_hash(u->password_hash) == HashKind::legacy_sha256)
        u->password_change_required = true;
      u->password_hash = hash;
      return {};
    }
    if (c.mqtt)
      for (auto& d : c.mqtt->devices)
        if (d.username == username) {
          d.password_hash = hash;
          return {};
        }
    return not_found("unknown_user", "no account \"" + username + "\"");
  });
  if (!st)
    spdlog::error("cannot store the upgraded password hash of {}: {}", username,
                  st.error().message);
  else
    spdlog::info("account {}: password hash upgraded to today's Argon2id", username);
}

bool SecurityGateway::password_change_required(std::string_view username) const {
  const auto* u = find_user(*config_, username);
  return u && u->password_change_required.value_or(false);
}

std::optional<std::vector<std::string>> SecurityGateway::current_permissions(
    std::string_view username) const {
  auto p = principal_for(*config_, username);
  if (!p || password_change_required(username)) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& info : permission_catalogue())
    if (p->can(info.permission)) out.emplace_back(to_string(info.permission));
  return out;
}

Status SecurityGateway::save_config(const SecurityConfig& next) {
  if (auto st = validate_security_config(next); !st) return st;
  std::error_code ec;
  std::filesystem::create_directories(options_.config_file.parent_path(), ec);
  auto st =
      config::write_file_atomically(options_.config_file.string(), serialize_security_config(next));
  if (!st) return st;
  ::chmod(options_.config_file.c_str(), 0600);
  config_ = std::make_shared<const SecurityConfig>(next);
  if (mqtt_) mqtt_->set_config(config_);
  notify(Revocation{Revocation::Scope::configuration, {}, {}});
  return {};
}

Status SecurityGateway::save_edited(SecurityConfig next, const std::string& actor,
                                    const std::string& address, const EditOptions& options) {
  std::vector<std::string> revoked;  // after the save: listeners see the new config
  for (const auto& old : config_->users)
    if (!find_user(next, old.username)) revoked.push_back(old.username);
  for (std::size_t i = 0; i < next.users.size(); ++i) {
    auto& u = next.users[i];
    const User* old = find_user(*config_, u.username);
    if (u.password_hash.empty() && options.keep_empty_hashes) {
      if (!old)
        return unprocessable("password_required",
                             "users[" + std::to_string(i) + "].password_hash: new user \"" +
                                 u.username +
                                 "\" needs a password: create it with POST /api/security/users, "
                                 "or give a password_hash",
                             "users[" + std::to_string(i) + "].password_hash");
      u.password_hash = old->password_hash;
    }
    // The editor may not know the flag: an unset one keeps the user's current state.
    if (old && !u.password_change_required && old->password_hash == u.password_hash)
      u.password_change_required = old->password_change_required;
    if (old && (old->password_hash != u.password_hash || old->groups != u.groups ||
                old->allowed_apps != u.allowed_apps ||
                (u.password_change_required.value_or(false) &&
                 !old->password_change_required.value_or(false))))
      revoked.push_back(u.username);
  }
  if (next.mqtt && options.keep_empty_hashes)
    for (auto& d : next.mqtt->devices)
      if (d.password_hash.empty())
        if (const auto* old = find_mqtt_device(*config_, d.username))
          d.password_hash = old->password_hash;
  Status st;
  if (auto valid = validate_security_config(next); !valid) {
    st = unprocessable(valid.error().code, valid.error().message, valid.error().field);
  } else {
    const auto editors = [](const SecurityConfig& c) {
      std::size_t n = 0;
      for (const auto& u : c.users) n += may_edit_security(c, u) ? 1 : 0;
      return n;
    };
    if (editors(*config_) > 0 && editors(next) == 0)
      st = unprocessable("last_security_editor",
                         "refused: no user would be left able to edit security (a user with a "
                         "password, the edit_security permission and the security_editor app)",
                         "users");
  }
  if (st) st = save_config(next);
  if (st)
    for (const auto& name : revoked) revoke_user(name);
  record(AuditAction::security_save, actor, address, "security_config.json",
         st ? AuditResult::success : AuditResult::failure,
         st ? options.detail : st.error().message);
  if (!st)
    return Error::make(ErrorKind::unprocessable, st.error().code, st.error().message,
                       st.error().field);
  return {};
}

void SecurityGateway::revoke_user(const std::string& username) {
  sessions_->revoke_user(username);
  notify(Revocation{Revocation::Scope::user, username, {}});
}

std::size_t SecurityGateway::add_revocation_listener(RevocationListener listener) {
  revocation_listeners_.emplace_back(next_listener_id_, std::move(listener));
  return next_listener_id_++;
}

void SecurityGateway::remove_revocation_listener(std::size_t id) {
  std::erase_if(revocation_listeners_, [id](const auto& l) { return l.first == id; });
}

void SecurityGateway::notify(const Revocation& r) {
  // A listener may remove itself (or another) while we iterate: walk a copy.
  auto listeners = revocation_listeners_;
  for (const auto& [id, fn] : listeners) fn(r);
}

Result<Caller> SecurityGateway::authorize(const HttpRequest& req, std::string_view permission) {
  auto token = extract_session_token(req.header("authorization"), req.header("cookie"));
  if (!token) return no_session();
  auto v = sessions_->verify(*config_, *token);
  if (!v) return v.error();
  Caller c;
  c.user = v->principal.username;
  c.address = req.remote_address;
  c.session_id = v->claims.jti;
  if (password_change_required(c.user) && !allowed_before_password_change(req))
    return Error::make(ErrorKind::forbidden, "password_change_required",
                       "the password of \"" + c.user +
                           "\" must be changed first: POST /api/auth/password with "
                           "current_password and new_password");
  for (const auto& info : permission_catalogue())
    if (v->principal.can(info.permission)) c.permissions.emplace_back(to_string(info.permission));
  if (!permission.empty()) {
    auto p = parse_permission(permission);
    if (!p || !v->principal.can(*p)) {
      record(AuditAction::access_denied, c.user, c.address, req.method + " " + req.path,
             AuditResult::denied, "needs " + std::string(permission));
      return Error::make(ErrorKind::forbidden, "permission_required",
                         "this needs the permission \"" + std::string(permission) + "\"");
    }
  }
  // Sliding renewal for browsers: a fresh cookie when less than half the lifetime remains.
  const bool from_cookie = !bearer_token(req.header("authorization"));
  if (from_cookie)
    if (auto fresh = sessions_->renew_if_due(*config_, v->claims))
      c.response_headers.emplace_back(
          "Set-Cookie", session_cookie(fresh->token, fresh->max_age(), req.secure || options_.tls));
  return c;
}

void SecurityGateway::verify_off_thread(Post post) {
  post_ = std::move(post);
  if (!verifier_) verifier_ = std::make_unique<WorkerThread>("login-verify", 64);
}

void SecurityGateway::stop_verifier() {
  if (verifier_) verifier_->stop();
}

template <class T>
HttpResponse SecurityGateway::off_thread(std::function<T()> slow,
                                         std::function<HttpResponse(SecurityGateway&, T)> done,
                                         std::function<void(SecurityGateway&)> dropped) {
  if (!verifier_) return done(*this, slow());
  return HttpResponse::later([weak = weak_from_this(), slow = std::move(slow),
                              done = std::move(done),
                              dropped = std::move(dropped)](HttpResponse::Reply reply) {
    auto self = weak.lock();
    if (!self)
      return reply(
          error_response(Error::make(ErrorKind::unavailable, "shutting_down", "shutting down")));
    auto job = [weak, post = self->post_, slow, done, reply]() {
      auto result = std::make_shared<T>(slow());  // the slow part; touches nothing shared
      post([weak, done, reply, result]() {
        if (auto gw = weak.lock()) reply(done(*gw, std::move(*result)));
      });
    };
    if (!self->verifier_->try_post(std::move(job))) {
      dropped(*self);
      auto busy = error_response(Error::make(ErrorKind::unavailable, "busy",
                                             "too many passwords being verified; try again"));
      busy.headers.emplace_back("Retry-After", "1");
      reply(std::move(busy));
    }
  });
}

HttpResponse SecurityGateway::login_response(const std::string& username, App app,
                                             const std::string& addr, bool secure,
                                             LoginOutcome out) {
  if (!out.ok()) {
    record(AuditAction::login_failed, username, addr, std::string(to_string(app)),
           AuditResult::failure,
           out.status == LoginStatus::throttled
               ? "throttled"
               : (out.status == LoginStatus::app_not_allowed ? "app not allowed"
                                                             : "invalid credentials"));
    if (out.lockout_started)
      record(AuditAction::lockout, username, addr, username, AuditResult::denied,
             "locked for " + std::to_string(out.retry_after.count()) + " s");
    auto resp = error_response(out.error());
    if (out.retry_after.count() > 0)
      resp.headers.emplace_back("Retry-After", std::to_string(out.retry_after.count()));
    return resp;
  }
  if (out.upgraded_hash) store_upgraded_hash(username, *out.upgraded_hash);
  if (out.password_change_required && !password_change_required(username)) {
    // The password breaks today's rules: the session may only change it.
    auto st = update_config([&](SecurityConfig& c) -> Status {
      if (auto* u = find_user(c, username)) u->password_change_required = true;
      return {};
    });
    if (!st) return error_response(st.error());
  }
  record(AuditAction::login, username, addr, std::string(to_string(app)), AuditResult::success,
         out.upgraded_hash ? "legacy hash upgraded" : "");
  return session_response(username, app, secure);
}

HttpResponse SecurityGateway::session_response(const std::string& username, App app, bool secure) {
  auto issued = sessions_->issue(*config_, username, app);
  if (!issued) return error_response(issued.error());
  auto principal = principal_for(*config_, username);
  if (!principal) return error_response(principal.error());
  SessionInfo info = session_info(*principal);
  info.app = std::string(to_string(app));
  info.token = issued->token;
  info.expires_at = to_iso8601(issued->claims.expires_at);
  info.password_change_required = password_change_required(username);
  auto resp = dto_response(200, info);
  resp.headers.emplace_back(
      "Set-Cookie", session_cookie(issued->token, issued->max_age(), secure || options_.tls));
  return resp;
}

HttpResponse SecurityGateway::change_own_password(const RequestContext& ctx) {
  auto body = parse_body<OwnPasswordBody>(ctx.request);
  if (!body) return error_response(body.error());
  if (body->current_password.size() > kMaxPasswordBytes ||
      body->new_password.size() > kMaxPasswordBytes)
    return error_response(bad_request("too_long", "password too long"));
  const std::string user = ctx.caller.user;
  const std::string addr = ctx.request.remote_address;
  const bool secure = ctx.request.secure;
  auto token =
      extract_session_token(ctx.request.header("authorization"), ctx.request.header("cookie"));
  if (!token) return error_response(no_session());
  auto session = sessions_->verify(*config_, *token);
  if (!session) return error_response(session.error());
  const App app = session->claims.app;
  if (auto st = check_password_rules(user, body->new_password); !st)
    return error_response(
        Error::make(ErrorKind::unprocessable, st.error().code, st.error().message, "new_password"));
  if (body->new_password == body->current_password)
    return error_response(unprocessable(
        "same_password", "the new password must differ from the current one", "new_password"));
  const auto* u = find_user(*config_, user);
  if (!u) return error_response(no_session());
  const std::string stored = u->password_hash;
  // The current password is a password check like a login: same throttle, same worker.
  if (auto st = throttle_->reserve(user, addr); st.locked()) {
    LoginOutcome refused;
    refused.status = LoginStatus::throttled;
    refused.retry_after = st.retry_after;
    auto resp = error_response(refused.error());
    resp.headers.emplace_back("Retry-After", std::to_string(st.retry_after.count()));
    return resp;
  }
  struct Verified {
    bool ok = false;
    Result<std::string> hash = std::string();
  };
  return off_thread<Verified>(
      [current = body->current_password, next = body->new_password, stored]() {
        Verified v;
        v.ok = verify_password(current, stored).ok;
        if (v.ok) v.hash = hash_password(next);
        return v;
      },
      [user, addr, secure, app, stored](SecurityGateway& gw, Verified v) {
        const auto* now_user = find_user(*gw.config_, user);
        const bool ok = v.ok && now_user && now_user->password_hash == stored;
        if (!ok) {
          auto failure = gw.throttle_->settle_failure(user, addr);
          gw.record(AuditAction::password_change, user, addr, user, AuditResult::failure,
                    "wrong current password");
          if (failure.lockout_started)
            gw.record(AuditAction::lockout, user, addr, user, AuditResult::denied,
                      "locked for " + std::to_string(failure.state.retry_after.count()) + " s");
          return error_response(Error::make(ErrorKind::unauthorized, "invalid_credentials",
                                            "the current password is wrong", "current_password"));
        }
        if (auto st = gw.throttle_->settle_success(user, addr); st.locked()) {
          auto resp =
              error_response(Error::make(ErrorKind::too_many, "too_many_attempts",
                                         "too many failed attempts; retry in " +
                                             std::to_string(st.retry_after.count()) + " s"));
          resp.headers.emplace_back("Retry-After", std::to_string(st.retry_after.count()));
          return resp;
        }
        if (!v.hash) return error_response(v.hash.error());
        auto st = gw.update_config([&](SecurityConfig& c) -> Status {
          auto* u = find_user(c, user);
          if (!u) return not_found("unknown_user", "unknown user");
          u->password_hash = *v.hash;
          u->password_change_required.reset();
          return {};
        });
        if (!st) return error_response(st.error());
        gw.revoke_user(user);  // every other session (and open /ws) of the user ends
        gw.record(AuditAction::password_change, user, addr, user, AuditResult::success,
                  "own password");
        return gw.session_response(user, app, secure);
      },
      [user, addr](SecurityGateway& gw) { gw.throttle_->release(user, addr); });
}

void SecurityGateway::add_routes(Router& router) {
  router.add(
      {"POST",
       "/api/auth/login",
       "",
       true,
       "auth",
       "Log in with username, password and app; sets the weir_session cookie and returns the token "
       "for scripts",
       schema_of<LoginBody>(),
       schema_of<SessionInfo>(),
       "application/json",
       200,
       {},
       {400, 401, 403, 429},
       [this](const RequestContext& ctx) {
         auto body = parse_body<LoginBody>(ctx.request);
         if (!body) return error_response(body.error());
         if (body->username.size() > 128 || body->password.size() > 1024)
           return error_response(bad_request("too_long", "username or password too long"));
         App app = App::scada;
         if (body->app) {
           auto a = parse_app(*body->app);
           if (!a)
             return error_response(
                 bad_request("unknown_app", "unknown app \"" + *body->app + "\"", "app"));
           app = *a;
         }
         const std::string addr = ctx.request.remote_address;
         const bool secure = ctx.request.secure;
         const std::string username = body->username, password = body->password;
         std::optional<std::string> stored;
         if (auto refused =
                 begin_login(*config_, *throttle_, {username, password, app, addr}, stored))
           return login_response(username, app, addr, secure, std::move(*refused));
         // Argon2id on the worker; the answer comes back to the io thread.
         return off_thread<PasswordVerification>(
             [password, stored] { return verify_login(password, stored); },
             [username, password, app, addr, secure, stored](SecurityGateway& gw,
                                                             PasswordVerification v) {
               auto out = finish_login(*gw.config_, *gw.throttle_, {username, password, app, addr},
                                       stored, std::move(v));
               return gw.login_response(username, app, addr, secure, std::move(out));
             },
             [username, addr](SecurityGateway& gw) { gw.throttle_->release(username, addr); });
       }});

  router.add(
      {"POST",
       "/api/auth/logout",
       "",
       true,
       "auth",
       "End this session (the token is revoked) and clear the cookie",
       {},
       {},
       "application/json",
       200,
       {},
       {},
       [this](const RequestContext& ctx) {
         auto token = extract_session_token(ctx.request.header("authorization"),
                                            ctx.request.header("cookie"));
         if (token)
           if (auto v = sessions_->verify(*config_, *token)) {
             sessions_->revoke(v->claims);
             notify(Revocation{Revocation::Scope::session, v->claims.subject, v->claims.jti});
             record(AuditAction::logout, v->claims.subject, ctx.request.remote_address, "",
                    AuditResult::success, "");
           }
         auto resp = HttpResponse::json(200, R"({"logged_out":true})");
         resp.headers.emplace_back("Set-Cookie",
                                   expired_session_cookie(ctx.request.secure || options_.tls));
         return resp;
       }});

  router.add({"GET",
              "/api/auth/me",
              "",
              false,
              "auth",
              "Who this session belongs to, with its permissions and apps",
              {},
              schema_of<SessionInfo>(),
              "application/json",
              200,
              {},
              {},
              [this](const RequestContext& ctx) {
                auto p = principal_for(*config_, ctx.caller.user);
                if (!p) return error_response(p.error());
                return dto_response(200, session_info(*p));
              }});

  router.add({"POST",
              "/api/auth/password",
              "",
              false,
              "auth",
              "Change this session's own password (current_password, new_password; password rules "
              "apply). The user's other sessions end; the answer carries a new session. A session "
              "whose password must change can do nothing else (but /api/auth/me and logout).",
              schema_of<OwnPasswordBody>(),
              schema_of<SessionInfo>(),
              "application/json",
              200,
              {},
              {400, 422, 429},
              [this](const RequestContext& ctx) { return change_own_password(ctx); }});

  router.add({"GET",
              "/api/audit",
              "view_audit",
              false,
              "audit",
              "Audit records, newest first",
              {},
              schema_of<AuditList>(),
              "application/json",
              200,
              {{"user", "only this user"},
               {"action", "only this action (login, command, driver_control, ...)"},
               {"from", "ISO 8601 start (inclusive)"},
               {"to", "ISO 8601 end (exclusive)"},
               {"limit", "1..1000, default 100"},
               {"before_id", "paging: records older than this id"}},
              {400},
              [this](const RequestContext& ctx) {
                AuditQuery q;
                const auto& r = ctx.request;
                if (auto u = r.query_param("user"); !u.empty()) q.user = std::string(u);
                if (auto a = r.query_param("action"); !a.empty()) {
                  AuditAction act;
                  if (!json::enum_from_name(a, act))
                    return error_response(bad_request(
                        "unknown_action", "unknown action \"" + std::string(a) + "\"", "action"));
                  q.action = act;
                }
                for (auto [name, slot] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
                  auto v = r.query_param(name);
                  if (v.empty()) continue;
                  WallTime t;
                  if (!parse_iso8601(std::string(v), t))
                    return error_response(
                        bad_request("bad_time", std::string(name) + ": expected ISO 8601", name));
                  *slot = t;
                }
                try {
                  if (auto l = r.query_param("limit"); !l.empty())
                    q.limit = std::stoul(std::string(l));
                  if (auto b = r.query_param("before_id"); !b.empty())
                    q.before_id = std::stoll(std::string(b));
                } catch (const std::exception&) {
                  return error_response(
                      bad_request("bad_number", "limit and before_id are integers"));
                }
                // Read on the audit log's thread; the rows come back through its Post.
                return HttpResponse::later([this, q](HttpResponse::Reply reply) {
                  audit_->query(q, [reply](AuditLog::Records rows) {
                    if (!rows) return reply(error_response(rows.error()));
                    reply(dto_response(200, AuditList{std::move(*rows)}));
                  });
                });
              }});

  router.add({"GET",
              "/api/security/permissions",
              "",
              false,
              "security",
              "Every permission with what it allows and the Python platform names it replaces",
              {},
              schema_of<PermissionList>(),
              "application/json",
              200,
              {},
              {},
              [](const RequestContext&) {
                return dto_response(200, PermissionList{describe_permissions()});
              }});

  router.add({"POST",
              "/api/security/config/validate",
              "edit_security",
              false,
              "security",
              "Validate a security configuration without saving it",
              schema_of<SecurityConfig>(),
              schema_of<ValidationResult>(),
              "application/json",
              200,
              {},
              {400},
              [](const RequestContext& ctx) {
                auto parsed = parse_security_config(ctx.request.body, "request body");
                ValidationResult v;
                if (!parsed) {
                  v.error = parsed.error().message;
                  if (!parsed.error().field.empty()) v.field = parsed.error().field;
                } else if (auto st = validate_security_config(*parsed); !st) {
                  v.error = st.error().message;
                } else {
                  v.valid = true;
                }
                return dto_response(200, v);
              }});

  router.add({"POST",
              "/api/security/users/{name}/password",
              "edit_security",
              false,
              "security",
              "Set a user's password (password rules apply; the user's sessions end)",
              schema_of<PasswordBody>(),
              {},
              "application/json",
              200,
              {},
              {400, 404, 422},
              [this](const RequestContext& ctx) {
                auto body = parse_body<PasswordBody>(ctx.request);
                if (!body) return error_response(body.error());
                const std::string name(ctx.param("name"));
                SecurityConfig next = *config_;
                if (!find_user(next, name))
                  return error_response(not_found("unknown_user", "unknown user \"" + name + "\""));
                auto st = set_user_password(next, name, body->password);
                if (!st)
                  return error_response(Error::make(ErrorKind::unprocessable, st.error().code,
                                                    st.error().message, "password"));
                st = save_config(next);
                if (!st) return error_response(st.error());
                revoke_user(name);
                record(AuditAction::password_change, ctx.caller.user, ctx.request.remote_address,
                       name, AuditResult::success, "");
                return HttpResponse::json(200, R"({"changed":true})");
              }});
}

}  // namespace weir::security
