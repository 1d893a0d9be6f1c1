#include "editor/svg_editor.hpp"

#include <filesystem>

#include "api/user_action.hpp"
#include "config/system_config.hpp"
#include "editor/config_editor.hpp"
#include "editor/editor_http.hpp"
#include "module/config_reloader.hpp"
#include "svg/svg_library.hpp"

namespace weir::editor {

namespace fs = std::filesystem;
using api::RequestContext;

namespace {

constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxStores = 1024;  // at most this many layouts get versions

struct SvgSaveResult {
  std::string name;
  std::string version;
  std::optional<std::string> previous_version;
  std::uint64_t bytes = 0;  // sanitised
  std::uint64_t removed_elements = 0;
  std::uint64_t removed_attributes = 0;
  std::uint64_t bindings = 0;
  std::uint64_t commands = 0;
};
BOOST_DESCRIBE_STRUCT(SvgSaveResult, (),
                      (name, version, previous_version, bytes, removed_elements, removed_attributes,
                       bindings, commands))

}  // namespace

Status check_svg_name(std::string_view name) {
  auto refuse = [&](const std::string& why) -> Status {
    return bad_request("invalid_name", "name: " + why, "name");
  };
  if (name.empty()) return refuse("empty");
  if (name.size() > kMaxNameBytes)
    return refuse("longer than " + std::to_string(kMaxNameBytes) + " bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return refuse("control characters (or NUL) are not allowed");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos)
    return refuse("a file name, not a path: no slash or backslash");
  if (name.find("..") != std::string_view::npos) return refuse("\"..\" is not allowed");
  if (name.front() == '.') return refuse("hidden files (a leading dot) are not allowed");
  if (!name.ends_with(".svg") || name.size() == 4) return refuse("only .svg files");
  if (!svg::valid_svg_name(name))
    return refuse("only letters, digits, '.', '_' and '-' are allowed");
  return {};
}

SvgEditor::SvgEditor(module::ModuleHost& host, std::size_t keep_versions, std::size_t max_bytes)
    : host_(host), keep_(keep_versions), max_bytes_(max_bytes) {}

void SvgEditor::configure(const config::SystemConfig& config, std::size_t keep_versions,
                          std::size_t max_bytes) {
  keep_ = keep_versions;
  max_bytes_ = max_bytes;
  svg_dir_ = "svg";
  if (const auto* m = config.module("svg"))
    if (const auto* d = m->config.if_contains("dir"); d && d->is_string())
      svg_dir_ = std::string(d->get_string());
  for (auto& [name, s] : stores_) s->set_keep(keep_);
}

fs::path SvgEditor::dir() const {
  return fs::path(host_.options.config_dir) / svg_dir_;
}

Result<VersionStore*> SvgEditor::store(const std::string& name) {
  if (auto it = stores_.find(name); it != stores_.end()) return it->second.get();
  if (stores_.size() >= kMaxStores)
    return Error::make(ErrorKind::too_large, "too_many_layouts",
                       "at most " + std::to_string(kMaxStores) + " layouts are versioned");
  auto s = std::make_unique<VersionStore>(
      fs::path(host_.options.data_dir) / "editor" / "svg" / name, keep_, host_.clock);
  if (auto st = s->open(); !st) return st.error();
  auto* p = s.get();
  stores_.emplace(name, std::move(s));
  return p;
}

HttpResponse SvgEditor::write(const RequestContext& ctx, const std::string& name,
                              std::string_view text, std::string action, std::string note) {
  auto audit = [&](bool ok, const std::string& detail) {
    api::publish_user_action(host_.bus, host_.clock, ctx, "config_save", "svg/" + name, ok, detail);
  };
  if (text.size() > max_bytes_)
    return api::error_response(Error::make(
        ErrorKind::too_large, "too_large",
        "body: an SVG layout is at most " + std::to_string(max_bytes_) + " bytes", "body"));
  const fs::path file = dir() / name;
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  std::optional<std::string> previous;
  if (exists) {
    auto old = config::read_text_file(file.string());
    if (!old) return api::error_response(old.error());
    previous = content_hash(*old);
    if (auto refused = check_if_match(ctx.request, *previous)) return *refused;
  } else if (auto h = ctx.request.header("if-match"); !h.empty() && h != "*") {
    return error_with(Error::make(ErrorKind::conflict, "version_conflict",
                                  "the layout was deleted since you read it", "If-Match"),
                      {});
  }
  svg::SvgLimits limits;
  limits.max_bytes = max_bytes_;
  auto clean = svg::sanitize_svg(text, limits);
  if (!clean) {
    audit(false, action + " refused: " + clean.error().message);
    return api::error_response(Error::make(ErrorKind::unprocessable, "invalid_svg",
                                           "body: " + clean.error().message, "body"));
  }
  auto s = store(name);
  if (!s) return api::error_response(s.error());
  fs::create_directories(dir(), ec);
  if (previous && !(*s)->find(*previous))  // keep what was there before the first upload
    if (auto old = config::read_text_file(file.string()))
      (void)(*s)->record(*old, "(on disk)", "found", "the file as found on disk");
  if (auto st = config::write_file_atomically(file.string(), clean->text, 0); !st) {
    audit(false, action + ": " + st.error().message);
    return api::error_response(st.error());
  }
  auto v = (*s)->record(clean->text, ctx.caller.user, action, note);
  if (!v) return api::error_response(v.error());
  if (auto* r = host_.services.find<module::ConfigReloader>()) (void)r->reload();
  audit(true, action + " version " + v->id);
  SvgSaveResult out{name,
                    v->id,
                    previous,
                    clean->text.size(),
                    clean->removed_elements,
                    clean->removed_attributes,
                    clean->bindings.size(),
                    clean->commands.size()};
  auto resp = api::dto_response(exists ? 200 : 201, out);
  set_etag(resp, v->id);
  return resp;
}

void SvgEditor::add_routes(api::Router& router) {
  router.add({"PUT",
              "/api/svg/{name}",
              "edit_config",
              false,
              "svg",
              "Upload an SVG layout (the SVG as the body, at most the editor's max_svg_bytes): "
              "the name must be a plain NAME.svg; the text is sanitised as it is served and the "
              "sanitised text is stored and versioned. Replacing needs If-Match (the version); "
              "201 when created.",
              {},
              api::schema_of<SvgSaveResult>(),
              "application/json",
              200,
              {},
              {400, 409, 413, 422, 428},
              [this](const RequestContext& ctx) {
                const std::string name(ctx.param("name"));
                if (auto st = check_svg_name(name); !st) return api::error_response(st.error());
                if (ctx.request.body.empty())
                  return api::error_response(
                      bad_request("missing_body", "body: the SVG document is required", "body"));
                return write(ctx, name, ctx.request.body, "save", "");
              }});

  router.add(
      {"DELETE",
       "/api/svg/{name}",
       "edit_config",
       false,
       "svg",
       "Delete an SVG layout (If-Match required); its versions are kept for a revert",
       {},
       {},
       "application/json",
       200,
       {},
       {400, 404, 409, 428},
       [this](const RequestContext& ctx) {
         const std::string name(ctx.param("name"));
         if (auto st = check_svg_name(name); !st) return api::error_response(st.error());
         const fs::path file = dir() / name;
         auto old = config::read_text_file(file.string());
         std::error_code ec;
         if (!fs::exists(file, ec))
           return api::error_response(
               not_found("unknown_svg", "no layout \"" + name + "\"", "name"));
         if (!old) return api::error_response(old.error());
         const std::string current = content_hash(*old);
         if (auto refused = check_if_match(ctx.request, current)) return *refused;
         auto s = store(name);
         if (!s) return api::error_response(s.error());
         (void)(*s)->record(*old, ctx.caller.user, "delete", "content before delete");
         fs::remove(file, ec);
         const bool ok = !ec;
         api::publish_user_action(host_.bus, host_.clock, ctx, "config_save", "svg/" + name, ok,
                                  ok ? "delete (was " + current + ")" : ec.message());
         if (!ok)
           return api::error_response(
               Error::make(ErrorKind::internal, "delete_failed", "cannot delete: " + ec.message()));
         if (auto* r = host_.services.find<module::ConfigReloader>()) (void)r->reload();
         return api::json_response(200, boost::json::object{{"deleted", true}, {"name", name}});
       }});

  router.add({"GET",
              "/api/svg/{name}/versions",
              "view_config",
              false,
              "svg",
              "The kept versions of an SVG layout, newest first, and the current version (\"\" "
              "when the file does not exist)",
              {},
              api::schema_of<VersionList>(),
              "application/json",
              200,
              {},
              {400},
              [this](const RequestContext& ctx) {
                const std::string name(ctx.param("name"));
                if (auto st = check_svg_name(name); !st) return api::error_response(st.error());
                auto s = store(name);
                if (!s) return api::error_response(s.error());
                VersionList out;
                if (auto text = config::read_text_file((dir() / name).string())) {
                  out.current = content_hash(*text);
                  if (!(*s)->find(out.current))
                    (void)(*s)->record(*text, "(on disk)", "found", "the file as found on disk");
                }
                out.items = (*s)->list();
                auto r = api::dto_response(200, out);
                if (!out.current.empty()) set_etag(r, out.current);
                return r;
              }});

  router.add({"POST",
              "/api/svg/{name}/versions/{id}/revert",
              "edit_config",
              false,
              "svg",
              "Write a kept version of the layout again (If-Match when the file exists)",
              {},
              api::schema_of<SvgSaveResult>(),
              "application/json",
              200,
              {},
              {400, 404, 409, 428},
              [this](const RequestContext& ctx) {
                const std::string name(ctx.param("name"));
                if (auto st = check_svg_name(name); !st) return api::error_response(st.error());
                auto s = store(name);
                if (!s) return api::error_response(s.error());
                const std::string id(ctx.param("id"));
                auto text = (*s)->read(id);
                if (!text) return api::error_response(text.error());
                return write(ctx, name, *text, "revert", "revert to " + id);
              }});
}

}  // namespace weir::editor
