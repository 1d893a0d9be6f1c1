#pragma once
// SVG layouts uploaded from the config editor: PUT /api/svg/{name} (the SVG as the body),
// DELETE, versions and revert. A name is checked before anything touches the disk (no path:
// no slash, backslash, "..", NUL or control character, no hidden file, only ".svg", the
// characters valid_svg_name allows); the body is bounded and sanitised by the same sanitiser
// that serves the layouts, and the sanitised text is what is written, so what is stored is what
// is served. Replacing or deleting needs If-Match (the ETag of GET /api/svg/{name}/versions
// current). After a write the configuration is reloaded so the svg module serves it at once.
#include <string>

#include "editor/version_store.hpp"
#include "module/module.hpp"

namespace weir::editor {

// bad_request naming the rule the name breaks, field "name".
Status check_svg_name(std::string_view name);

class SvgEditor {
 public:
  SvgEditor(module::ModuleHost& host, std::size_t keep_versions, std::size_t max_bytes);
  void configure(const config::SystemConfig& config, std::size_t keep_versions,
                 std::size_t max_bytes);
  void add_routes(api::Router& router);

 private:
  std::filesystem::path dir() const;
  Result<VersionStore*> store(const std::string& name);
  HttpResponse write(const api::RequestContext& ctx, const std::string& name, std::string_view text,
                     std::string action, std::string note);

  module::ModuleHost& host_;
  std::string svg_dir_ = "svg";  // the svg module's `dir` (relative to the config directory)
  std::size_t keep_;
  std::size_t max_bytes_;
  std::map<std::string, std::unique_ptr<VersionStore>> stores_;  // by file name
};

}  // namespace weir::editor
