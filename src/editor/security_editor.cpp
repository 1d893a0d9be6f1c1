#include "editor/security_editor.hpp"

#include <filesystem>

#include "config/system_config.hpp"
#include "editor/config_editor.hpp"
#include "editor/editor_http.hpp"
#include "security/account_password.hpp"
#include "security/mqtt_access.hpp"
#include "security/mqtt_topic_pattern.hpp"

namespace weir::editor {

namespace fs = std::filesystem;
using api::RequestContext;
using security::SecurityConfig;

namespace {

constexpr std::size_t kMaxTopicBytes = 65535;
constexpr std::size_t kMaxNameBytes = 128;

struct UserSummary {
  std::string username;
  std::vector<std::string> groups;
  std::vector<std::string> allowed_apps;
  bool disabled = false;  // no password: cannot log in
  bool password_change_required = false;
  bool may_edit_security = false;
  std::vector<std::string> permissions;  // from the groups
};
BOOST_DESCRIBE_STRUCT(UserSummary, (),
                      (username, groups, allowed_apps, disabled, password_change_required,
                       may_edit_security, permissions))

struct UserList {
  std::vector<UserSummary> items;
};
BOOST_DESCRIBE_STRUCT(UserList, (), (items))

struct NewUserBody {
  std::string username;
  std::string password;
  std::vector<std::string> groups;
  std::vector<std::string> allowed_apps;
  std::optional<bool> password_change_required;  // default true: the user picks their own
};
BOOST_DESCRIBE_STRUCT(NewUserBody, (),
                      (username, password, groups, allowed_apps, password_change_required))

struct ResetPasswordBody {
  std::string password;
};
BOOST_DESCRIBE_STRUCT(ResetPasswordBody, (), (password))

struct EmptyBody {};
BOOST_DESCRIBE_STRUCT(EmptyBody, (), ())

struct SecuritySaveResult {
  std::string version;
  std::string previous_version;
};
BOOST_DESCRIBE_STRUCT(SecuritySaveResult, (), (version, previous_version))

struct AppDescription {
  std::string name;
  std::string description;
};
BOOST_DESCRIBE_STRUCT(AppDescription, (), (name, description))

struct Catalogue {
  std::vector<security::PermissionDescription> permissions;
  std::vector<AppDescription> apps;
};
BOOST_DESCRIBE_STRUCT(Catalogue, (), (permissions, apps))

// A stored version as the editor may see it: every password hash replaced by a mark that only
// says whether it is set and whether it changed ("(set 1a2b3c)": a hash of the hash).
boost::json::value masked(const boost::json::value& doc) {
  boost::json::value out = doc;
  auto mask = [](boost::json::value* list) {
    if (!list || !list->is_array()) return;
    for (auto& e : list->as_array()) {
      if (!e.is_object()) continue;
      auto* h = e.as_object().if_contains("password_hash");
      if (!h || !h->is_string() || h->get_string().empty()) continue;
      *h = "(set " + content_hash(std::string_view(h->get_string())).substr(0, 6) + ")";
    }
  };
  if (!out.is_object()) return out;
  auto& o = out.as_object();
  mask(o.if_contains("users"));
  if (auto* m = o.if_contains("mqtt"); m && m->is_object())
    mask(m->as_object().if_contains("devices"));
  return out;
}

Result<boost::json::value> masked_text(const std::string& text) {
  auto doc = json::parse(text);
  if (!doc) return doc.error();
  return masked(*doc);
}

HttpResponse with_etag(HttpResponse r, const std::string& v) {
  set_etag(r, v);
  return r;
}

Status check_name(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > kMaxNameBytes)
    return bad_request("invalid_name",
                       std::string(field) + ": 1 to " + std::to_string(kMaxNameBytes) + " bytes",
                       std::string(field));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return bad_request("invalid_name", std::string(field) + ": control characters",
                         std::string(field));
  return {};
}

}  // namespace

Result<TopicCheckResult> check_topic(const SecurityConfig& config, const TopicCheckBody& body) {
  if (body.topic.empty() || body.topic.size() > kMaxTopicBytes ||
      body.topic.find('\0') != std::string::npos)
    return bad_request("invalid_topic", "topic: 1 to 65535 bytes, no NUL", "topic");
  if (body.username && body.device)
    return bad_request("one_account", "give username or device, not both", "device");
  for (auto* name : {&body.username, &body.device, &body.client_id})
    if (*name)
      if (auto st = check_name(**name, name == &body.username ? "username"
                                       : name == &body.device ? "device"
                                                              : "client_id");
          !st)
        return st.error();
  security::MqttAccess access(std::make_shared<const SecurityConfig>(config));
  TopicCheckResult out{body.topic, {}};
  auto probe = [&](security::MqttClientKind kind, const std::string& name) {
    TopicAccess a{kind == security::MqttClientKind::device ? "device"
                  : kind == security::MqttClientKind::user ? "user"
                                                           : "anonymous",
                  name, false, false, false};
    security::MqttIdentity probe_id;
    probe_id.kind = kind;
    probe_id.username = name;
    probe_id.client_id = body.client_id.value_or(name.empty() ? "anonymous" : name);
    if (auto id = access.refresh(probe_id)) {
      a.connect = true;
      a.publish = security::MqttAccess::can_publish(*id, body.topic);
      a.subscribe = security::MqttAccess::can_subscribe(*id, body.topic);
    }
    out.items.push_back(std::move(a));
  };
  if (body.device) {
    if (!security::find_mqtt_device(config, *body.device))
      return not_found("unknown_device", "unknown device \"" + *body.device + "\"", "device");
    probe(security::MqttClientKind::device, *body.device);
    return out;
  }
  if (body.username) {
    if (!security::find_user(config, *body.username))
      return not_found("unknown_user", "unknown user \"" + *body.username + "\"", "username");
    probe(security::MqttClientKind::user, *body.username);
    return out;
  }
  if (config.mqtt)
    for (const auto& d : config.mqtt->devices) probe(security::MqttClientKind::device, d.username);
  for (const auto& u : config.users)
    if (!security::find_mqtt_device(config, u.username))
      probe(security::MqttClientKind::user, u.username);
  probe(security::MqttClientKind::anonymous, "");
  return out;
}

SecurityEditor::SecurityEditor(module::ModuleHost& host,
                               std::shared_ptr<security::SecurityGateway> gateway,
                               std::size_t keep_versions)
    : host_(host),
      gateway_(std::move(gateway)),
      versions_(fs::path(host.options.data_dir) / "editor" / "security_config", keep_versions,
                host.clock) {}

std::string SecurityEditor::path() const {
  return (fs::path(host_.options.config_dir) / security::kSecurityConfigFileName).string();
}

Status SecurityEditor::open() {
  if (auto st = versions_.open(); !st) return st;
  if (auto c = current(); !c) return c.error();
  return {};
}

Result<std::pair<std::string, VersionInfo>> SecurityEditor::current() {
  auto text = config::read_text_file(path());
  if (!text) return text.error();
  const auto* latest = versions_.latest();
  if (latest && latest->id == content_hash(*text)) return std::pair{std::move(*text), *latest};
  // Saved outside the editor: a user's own password change, an upgraded hash, provisioning.
  auto v = versions_.record(*text, "(on disk)", "found", "saved outside the editor");
  if (!v) return v.error();
  return std::pair{std::move(*text), std::move(*v)};
}

HttpResponse SecurityEditor::save(const RequestContext& ctx, SecurityConfig next,
                                  const security::SecurityGateway::EditOptions& options,
                                  std::string action, std::string note, bool if_match_required,
                                  int success_status) {
  auto cur = current();
  if (!cur) return api::error_response(cur.error());
  const std::string old_id = cur->second.id;
  if (if_match_required || !ctx.request.header("if-match").empty()) {
    boost::json::object conflict;
    if (auto base = versions_.read(version_from_if_match(ctx.request.header("if-match"))))
      if (auto base_doc = json::parse(*base))
        if (auto cur_doc = json::parse(cur->first))
          conflict["diff"] = json::to_json(diff_json(masked(*base_doc), masked(*cur_doc)));
    if (auto refused = check_if_match(ctx.request, old_id, std::move(conflict))) return *refused;
  }
  auto opts = options;
  if (opts.detail.empty()) opts.detail = action + (note.empty() ? "" : ": " + note);
  if (auto st =
          gateway_->save_edited(std::move(next), ctx.caller.user, ctx.request.remote_address, opts);
      !st)
    return api::error_response(st.error());
  auto text = config::read_text_file(path());
  if (!text) return api::error_response(text.error());
  auto v = versions_.record(*text, ctx.caller.user, action, note);
  if (!v) return api::error_response(v.error());
  boost::json::object body{{"version", v->id}, {"previous_version", old_id}};
  body["config"] = json::to_json(security::redacted_security_config(*gateway_->config()));
  return with_etag(api::json_response(success_status, body), v->id);
}

void SecurityEditor::add_routes(api::Router& router) {
  using api::schema_of;
  router.add({"GET",
              "/api/security/config",
              "edit_security",
              false,
              "security",
              "The security configuration (password hashes are never returned: \"\" stands for "
              "the current one). Its version is the ETag: send it as If-Match when saving.",
              {},
              schema_of<SecurityConfig>(),
              "application/json",
              200,
              {},
              {},
              [this](const RequestContext&) {
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                return with_etag(
                    api::dto_response(200, security::redacted_security_config(*gateway_->config())),
                    cur->second.id);
              }});

  router.add(
      {"PUT",
       "/api/security/config",
       "edit_security",
       false,
       "security",
       "Save the security configuration with If-Match (428 without, 409 with the current version "
       "and a diff when stale) and apply it at once; kept as a version. An empty password_hash "
       "keeps the current one. Users removed, or whose password, groups or apps change, lose "
       "their sessions and MQTT connections. Refused (422) when invalid or when no user able to "
       "edit security would be left. Answers {version, previous_version, config}.",
       schema_of<SecurityConfig>(),
       {},
       "application/json",
       200,
       {},
       {400, 409, 422, 428},
       [this](const RequestContext& ctx) {
         auto parsed = security::parse_security_config(ctx.request.body, "request body");
         if (!parsed) return api::error_response(parsed.error());
         return save(ctx, std::move(*parsed), {}, "save", "", true);
       }});

  router.add({"GET",
              "/api/security/config/versions",
              "edit_security",
              false,
              "security",
              "The kept versions of security_config.json, newest first",
              {},
              schema_of<VersionList>(),
              "application/json",
              200,
              {},
              {},
              [this](const RequestContext&) {
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                return api::dto_response(200, VersionList{cur->second.id, versions_.list()});
              }});

  router.add({"GET",
              "/api/security/config/versions/{id}",
              "edit_security",
              false,
              "security",
              "One kept version of security_config.json (each password hash shown as \"(set "
              "xxxxxx)\")",
              {},
              schema_of<VersionDocument>(),
              "application/json",
              200,
              {},
              {404},
              [this](const RequestContext& ctx) {
                const std::string id(ctx.param("id"));
                auto text = versions_.read(id);
                if (!text) return api::error_response(text.error());
                auto doc = masked_text(*text);
                if (!doc) return api::error_response(doc.error());
                return api::dto_response(200, VersionDocument{*versions_.find(id), *doc});
              }});

  router.add({"GET",
              "/api/security/config/diff",
              "edit_security",
              false,
              "security",
              "Structural diff between two kept versions of security_config.json (password "
              "hashes masked)",
              {},
              schema_of<VersionDiff>(),
              "application/json",
              200,
              {{"from", "version id", true}, {"to", "version id (default: the current version)"}},
              {400, 404},
              [this](const RequestContext& ctx) {
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                auto pair = read_version_pair(ctx.request, versions_, cur->second.id, masked_text);
                if (!pair) return api::error_response(pair.error());
                return api::dto_response(
                    200,
                    VersionDiff{pair->from, pair->to, {}, diff_json(pair->docs[0], pair->docs[1])});
              }});

  router.add(
      {"POST",
       "/api/security/config/versions/{id}/revert",
       "edit_security",
       false,
       "security",
       "Save a kept version again (If-Match; the same checks, revocations and audit as "
       "PUT /api/security/config; its password hashes come back with it)",
       {},
       {},
       "application/json",
       200,
       {},
       {404, 409, 422, 428},
       [this](const RequestContext& ctx) {
         const std::string id(ctx.param("id"));
         auto text = versions_.read(id);
         if (!text) return api::error_response(text.error());
         auto parsed = security::parse_security_config(*text);
         if (!parsed) return api::error_response(parsed.error());
         return save(ctx, std::move(*parsed), {false, {}}, "revert", "revert to " + id, true);
       }});

  router.add({"GET",
              "/api/security/users",
              "edit_security",
              false,
              "security",
              "Every user with groups, apps, resulting permissions, whether disabled, whether a "
              "password change is pending and whether they may edit security",
              {},
              schema_of<UserList>(),
              "application/json",
              200,
              {},
              {},
              [this](const RequestContext&) {
                auto cfg = gateway_->config();
                UserList out;
                for (const auto& u : cfg->users) {
                  UserSummary s{u.username,
                                u.groups,
                                u.allowed_apps,
                                u.password_hash.empty(),
                                u.password_change_required.value_or(false),
                                security::may_edit_security(*cfg, u),
                                {}};
                  for (auto p : security::permissions_of(*cfg, u).list())
                    s.permissions.emplace_back(security::to_string(p));
                  out.items.push_back(std::move(s));
                }
                return api::dto_response(200, out);
              }});

  router.add(
      {"POST",
       "/api/security/users",
       "edit_security",
       false,
       "security",
       "Create a user {username, password, groups, allowed_apps, password_change_required "
       "(default true)}; password rules apply. If-Match is checked when sent.",
       schema_of<NewUserBody>(),
       {},
       "application/json",
       201,
       {},
       {400, 409, 422},
       [this](const RequestContext& ctx) {
         auto body = strict_body<NewUserBody>(ctx.request, {"username", "password"});
         if (!body) return api::error_response(body.error());
         if (auto st = check_name(body->username, "username"); !st)
           return api::error_response(st.error());
         SecurityConfig next = *gateway_->config();
         if (security::find_user(next, body->username))
           return api::error_response(Error::make(ErrorKind::conflict, "user_exists",
                                                  "user \"" + body->username + "\" exists",
                                                  "username"));
         next.users.push_back(security::User{body->username, "", body->groups, body->allowed_apps,
                                             body->password_change_required.value_or(true)});
         if (!*next.users.back().password_change_required)
           next.users.back().password_change_required.reset();
         if (auto st = security::set_user_password(next, body->username, body->password); !st)
           return api::error_response(Error::make(ErrorKind::unprocessable, st.error().code,
                                                  st.error().message, "password"));
         if (body->password_change_required.value_or(true))
           security::find_user(next, body->username)->password_change_required = true;
         return save(ctx, std::move(next), {false, {}}, "create_user", body->username, false, 201);
       }});

  router.add({"POST",
              "/api/security/users/{name}/disable",
              "edit_security",
              false,
              "security",
              "Disable a user: the password is removed (no login until a reset-password), its "
              "sessions and MQTT connections end. Refused for the last user able to edit "
              "security.",
              {},
              {},
              "application/json",
              200,
              {},
              {404, 409, 422},
              [this](const RequestContext& ctx) {
                const std::string name(ctx.param("name"));
                if (!ctx.request.body.empty())
                  if (auto b = strict_body<EmptyBody>(ctx.request, {}); !b)
                    return api::error_response(b.error());
                SecurityConfig next = *gateway_->config();
                auto* u = security::find_user(next, name);
                if (!u)
                  return api::error_response(
                      not_found("unknown_user", "unknown user \"" + name + "\"", "name"));
                u->password_hash.clear();
                u->password_change_required.reset();
                return save(ctx, std::move(next), {false, {}}, "disable_user", name, false);
              }});

  router.add({"POST",
              "/api/security/users/{name}/reset-password",
              "edit_security",
              false,
              "security",
              "Give a user a new password {password} (rules apply) that must be changed at the "
              "next login; the user's sessions and MQTT connections end at once",
              schema_of<ResetPasswordBody>(),
              {},
              "application/json",
              200,
              {},
              {400, 404, 409, 422},
              [this](const RequestContext& ctx) {
                const std::string name(ctx.param("name"));
                auto body = strict_body<ResetPasswordBody>(ctx.request, {"password"});
                if (!body) return api::error_response(body.error());
                SecurityConfig next = *gateway_->config();
                if (!security::find_user(next, name))
                  return api::error_response(
                      not_found("unknown_user", "unknown user \"" + name + "\"", "name"));
                if (auto st = security::set_user_password(next, name, body->password); !st)
                  return api::error_response(Error::make(ErrorKind::unprocessable, st.error().code,
                                                         st.error().message, "password"));
                security::find_user(next, name)->password_change_required = true;
                return save(ctx, std::move(next), {false, {}}, "reset_password", name, false);
              }});

  router.add({"GET",
              "/api/security/catalogue",
              "edit_security",
              false,
              "security",
              "Every permission with what it allows (and the Python platform names it replaces), "
              "and every app a user may be allowed",
              {},
              schema_of<Catalogue>(),
              "application/json",
              200,
              {},
              {},
              [](const RequestContext&) {
                Catalogue c{security::describe_permissions(),
                            {{"scada", "The operator app (/scada)"},
                             {"config_editor", "The config editor (/config-editor)"},
                             {"security_editor", "The security editor (/security-editor)"}}};
                return api::dto_response(200, c);
              }});

  router.add({"POST",
              "/api/security/check-topic",
              "edit_security",
              false,
              "security",
              "Who may publish / subscribe to a topic under the running configuration: one "
              "account (username or device) or, without one, every device, every user and "
              "anonymous clients",
              schema_of<TopicCheckBody>(),
              schema_of<TopicCheckResult>(),
              "application/json",
              200,
              {},
              {400, 404},
              [this](const RequestContext& ctx) {
                auto body = strict_body<TopicCheckBody>(ctx.request, {"topic"});
                if (!body) return api::error_response(body.error());
                auto r = check_topic(*gateway_->config(), *body);
                if (!r) return api::error_response(r.error());
                return api::dto_response(200, *r);
              }});
}

}  // namespace weir::editor
