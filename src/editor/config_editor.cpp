#include "editor/config_editor.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/user_action.hpp"
#include "config/system_config.hpp"
#include "editor/editor_http.hpp"
#include "module/config_reloader.hpp"
#include "module/module_registry.hpp"

namespace weir::editor {

namespace fs = std::filesystem;
using api::RequestContext;

namespace {

constexpr std::string_view kFile = "system_config.json";

api::ConfigIssueDto dto_of(const config::ConfigIssue& i) {
  return {i.file, i.path, i.message, i.error};
}

HttpResponse json_with_etag(int status, const boost::json::value& body, const std::string& v) {
  auto r = api::json_response(status, body);
  set_etag(r, v);
  return r;
}

}  // namespace

ConfigValidation validate_system_config(std::string_view text,
                                        const module::ModuleRegistry& registry) {
  ConfigValidation out;
  if (auto doc = json::parse(text)) out.document = std::move(*doc);
  auto loaded = config::parse_system_config(text, std::string(kFile));
  for (const auto& i : loaded.issues) out.issues.push_back(dto_of(i));
  if (!loaded.config) return out;
  auto plan = module::plan_modules(registry, *loaded.config);
  for (const auto& i : plan.issues) out.issues.push_back(dto_of(i));
  out.ok = plan.ok();
  for (const auto& i : out.issues) out.ok = out.ok && !i.error;
  return out;
}

ConfigEditor::ConfigEditor(module::ModuleHost& host, std::size_t keep_versions)
    : host_(host),
      versions_(fs::path(host.options.data_dir) / "editor" / "system_config", keep_versions,
                host.clock) {}

std::string ConfigEditor::path() const {
  return (fs::path(host_.options.config_dir) / kFile).string();
}

Status ConfigEditor::open() {
  if (auto st = versions_.open(); !st) return st;
  if (auto c = current(); !c) return c.error();
  return {};
}

Result<std::pair<std::string, VersionInfo>> ConfigEditor::current() {
  auto text = config::read_text_file(path());
  if (!text) return text.error();
  const auto* latest = versions_.latest();
  if (latest && latest->id == content_hash(*text)) return std::pair{std::move(*text), *latest};
  auto v = versions_.record(*text, "(on disk)", "found", "the file as found on disk");
  if (!v) return v.error();
  return std::pair{std::move(*text), std::move(*v)};
}

HttpResponse ConfigEditor::save(const RequestContext& ctx, const std::string& text,
                                std::string action, std::string note) {
  auto cur = current();
  if (!cur) return api::error_response(cur.error());
  const auto& [old_text, old_version] = *cur;
  auto validation = validate_system_config(text, host_.registry);
  if (!validation.document)  // not JSON at all: the parse error with its line and column
    if (auto doc = json::parse(text); !doc) return api::error_response(doc.error());
  auto old_doc = json::parse(old_text);
  // Stale or missing If-Match: nothing else happens.
  {
    boost::json::object conflict;
    if (old_doc) {
      if (auto base = versions_.read(version_from_if_match(ctx.request.header("if-match"))))
        if (auto base_doc = json::parse(*base))
          conflict["diff"] = json::to_json(diff_json(*base_doc, *old_doc));
      conflict["proposed_diff"] = json::to_json(diff_json(*old_doc, *validation.document));
    }
    if (auto refused = check_if_match(ctx.request, old_version.id, std::move(conflict)))
      return *refused;
  }
  auto audit = [&](bool ok, const std::string& detail) {
    api::publish_user_action(host_.bus, host_.clock, ctx, "config_save", std::string(kFile), ok,
                             detail);
  };
  ConfigSaveResult result;
  result.previous_version = old_version.id;
  result.version = old_version.id;
  result.issues = validation.issues;
  if (!validation.ok) {
    std::string first = "configuration refused";
    std::string field;
    for (const auto& i : validation.issues)
      if (i.error) {
        first = i.file + ": " + (i.path.empty() ? "" : i.path + ": ") + i.message;
        field = i.path;
        break;
      }
    audit(false, action + " refused: " + first);
    auto body = json::to_json(result).as_object();
    return error_with(unprocessable("invalid_config", first, field), std::move(body));
  }
  if (old_doc) result.changes = summarize_changes(*old_doc, *validation.document);
  auto* reloader = host_.services.find<module::ConfigReloader>();
  if (!reloader)
    return api::error_response(
        Error::make(ErrorKind::unavailable, "no_reload", "configuration reload is not available"));
  if (auto st = config::write_file_atomically(path(), text, 0); !st) {
    audit(false, action + ": " + st.error().message);
    return api::error_response(st.error());
  }
  auto reloaded = reloader->reload();
  if (!reloaded.applied) {
    // Checked above, so a module refused to apply it: put the previous file back and re-apply.
    spdlog::error("saved configuration not applied; restoring version {}", old_version.id);
    (void)config::write_file_atomically(path(), old_text, 0);
    (void)reloader->reload();
    result.issues = reloaded.issues;
    audit(false, action + ": not applied by the modules; previous version restored");
    return error_with(unprocessable("not_applied",
                                    "the modules did not apply the configuration; the previous "
                                    "version is back in place"),
                      json::to_json(result).as_object());
  }
  auto v = versions_.record(text, ctx.caller.user, action, note);
  if (!v) return api::error_response(v.error());
  result.applied = true;
  result.version = v->id;
  result.issues = reloaded.issues;
  audit(true, action + " version " + v->id + " (was " + old_version.id + ")" +
                  (note.empty() ? "" : ": " + note));
  return json_with_etag(200, json::to_json(result), v->id);
}

void ConfigEditor::add_routes(api::Router& router) {
  router.add({"GET",
              "/api/config",
              "view_config",
              false,
              "config",
              "The current system_config.json with its version (also the ETag: send it back as "
              "If-Match when saving)",
              {},
              api::schema_of<ConfigDocument>(),
              "application/json",
              200,
              {},
              {},
              [this](const RequestContext&) {
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                auto doc = json::parse(cur->first);
                if (!doc) return api::error_response(doc.error());
                return json_with_etag(200, json::to_json(ConfigDocument{cur->second.id, *doc}),
                                      cur->second.id);
              }});

  router.add(
      {"PUT",
       "/api/config",
       "edit_config",
       false,
       "config",
       "Save system_config.json (the whole document as the body) with If-Match: checked "
       "like weir --check-config (a refused file changes nothing: 422 with every issue and "
       "its JSON path), written atomically, kept as a version and applied by the module "
       "reload without a restart. 428 without If-Match; 409 with the current version and "
       "the diffs when another save came first.",
       api::schema_of<boost::json::value>(),
       api::schema_of<ConfigSaveResult>(),
       "application/json",
       200,
       {},
       {400, 409, 422, 428},
       [this](const RequestContext& ctx) { return save(ctx, ctx.request.body, "save", ""); }});

  router.add({"POST",
              "/api/config/dry-run",
              "view_config",
              false,
              "config",
              "What saving this document would change (drivers, datapoints, rules and the other "
              "sections added, removed or changed; every JSON path) and its validation issues; "
              "nothing is written",
              api::schema_of<boost::json::value>(),
              api::schema_of<ConfigDryRun>(),
              "application/json",
              200,
              {},
              {400},
              [this](const RequestContext& ctx) {
                if (ctx.request.body.empty())
                  return api::error_response(
                      bad_request("missing_body", "the proposed system_config.json is the body"));
                auto doc = json::parse(ctx.request.body);
                if (!doc) return api::error_response(doc.error());
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                auto old_doc = json::parse(cur->first);
                if (!old_doc) return api::error_response(old_doc.error());
                auto validation = validate_system_config(ctx.request.body, host_.registry);
                ConfigDryRun out;
                out.valid = validation.ok;
                out.base_version = cur->second.id;
                out.issues = std::move(validation.issues);
                out.changes = summarize_changes(*old_doc, *doc);
                out.diff = diff_json(*old_doc, *doc);
                return api::dto_response(200, out);
              }});

  router.add({"GET",
              "/api/config/versions",
              "view_config",
              false,
              "config",
              "The kept versions of system_config.json, newest first (author, time, action)",
              {},
              api::schema_of<VersionList>(),
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
              "/api/config/versions/{id}",
              "view_config",
              false,
              "config",
              "One kept version of system_config.json",
              {},
              api::schema_of<VersionDocument>(),
              "application/json",
              200,
              {},
              {404},
              [this](const RequestContext& ctx) {
                const std::string id(ctx.param("id"));
                auto text = versions_.read(id);
                if (!text) return api::error_response(text.error());
                auto doc = json::parse(*text);
                if (!doc) return api::error_response(doc.error());
                return api::dto_response(200, VersionDocument{*versions_.find(id), *doc});
              }});

  router.add({"GET",
              "/api/config/diff",
              "view_config",
              false,
              "config",
              "Structural diff between two kept versions: the sections' entries and every JSON "
              "path added, removed or changed",
              {},
              api::schema_of<VersionDiff>(),
              "application/json",
              200,
              {{"from", "version id", true}, {"to", "version id (default: the current version)"}},
              {400, 404},
              [this](const RequestContext& ctx) {
                auto cur = current();
                if (!cur) return api::error_response(cur.error());
                auto pair = read_version_pair(ctx.request, versions_, cur->second.id,
                                              [](const std::string& t) { return json::parse(t); });
                if (!pair) return api::error_response(pair.error());
                const auto& docs = pair->docs;
                return api::dto_response(
                    200, VersionDiff{pair->from, pair->to, summarize_changes(docs[0], docs[1]),
                                     diff_json(docs[0], docs[1])});
              }});

  router.add({"POST",
              "/api/config/versions/{id}/revert",
              "edit_config",
              false,
              "config",
              "Save a kept version again as the current system_config.json (If-Match, checks, "
              "reload and audit as for PUT /api/config)",
              {},
              api::schema_of<ConfigSaveResult>(),
              "application/json",
              200,
              {},
              {404, 409, 422, 428},
              [this](const RequestContext& ctx) {
                const std::string id(ctx.param("id"));
                auto text = versions_.read(id);
                if (!text) return api::error_response(text.error());
                return save(ctx, *text, "revert", "revert to " + id);
              }});
}

}  // namespace weir::editor
