#pragma once
// The config editor's server side: system_config.json read with its version, saved with
// If-Match (validated first exactly like `weir --check-config`; a refused file changes nothing),
// written atomically, kept as a version and applied by the module reload; a dry run, the kept
// versions, a structural diff between any two and a revert. Every save is audited.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/dto.hpp"
#include "editor/config_changes.hpp"
#include "editor/json_diff.hpp"
#include "editor/version_store.hpp"
#include "module/module.hpp"

namespace weir::editor {

// The checks of `weir --check-config` on a text: parsing (src/config) and every module's check.
struct ConfigValidation {
  std::vector<api::ConfigIssueDto> issues;     // errors and warnings, each with its JSON path
  std::optional<boost::json::value> document;  // the parsed JSON, when it is JSON at all
  bool ok = false;                             // no error: it may be saved
};
ConfigValidation validate_system_config(std::string_view text,
                                        const module::ModuleRegistry& registry);

struct ConfigDocument {
  std::string version;
  boost::json::value document;
};
BOOST_DESCRIBE_STRUCT(ConfigDocument, (), (version, document))

struct ConfigSaveResult {
  bool applied = false;
  std::string version;                      // the version now current
  std::string previous_version;             // the version it replaced
  std::vector<api::ConfigIssueDto> issues;  // warnings (or errors when refused)
  std::vector<SectionChanges> changes;      // what changed, by name
};
BOOST_DESCRIBE_STRUCT(ConfigSaveResult, (), (applied, version, previous_version, issues, changes))

struct ConfigDryRun {
  bool valid = false;
  std::string base_version;                 // compared with the current file
  std::vector<api::ConfigIssueDto> issues;  // as a save would report them
  std::vector<SectionChanges> changes;      // drivers, datapoints, rules... added/removed/changed
  JsonDiff diff;                            // every JSON path that differs
};
BOOST_DESCRIBE_STRUCT(ConfigDryRun, (), (valid, base_version, issues, changes, diff))

struct VersionList {
  std::string current;
  std::vector<VersionInfo> items;  // newest first
};
BOOST_DESCRIBE_STRUCT(VersionList, (), (current, items))

struct VersionDocument {
  VersionInfo version;
  boost::json::value document;
};
BOOST_DESCRIBE_STRUCT(VersionDocument, (), (version, document))

struct VersionDiff {
  std::string from;
  std::string to;
  std::vector<SectionChanges> changes;
  JsonDiff diff;
};
BOOST_DESCRIBE_STRUCT(VersionDiff, (), (from, to, changes, diff))

class ConfigEditor {
 public:
  ConfigEditor(module::ModuleHost& host, std::size_t keep_versions);
  Status open();
  void set_keep(std::size_t keep) { versions_.set_keep(keep); }
  void add_routes(api::Router& router);

 private:
  std::string path() const;
  // The file as it is now, recorded as a version when it changed outside the editor.
  Result<std::pair<std::string, VersionInfo>> current();
  HttpResponse save(const api::RequestContext& ctx, const std::string& text, std::string action,
                    std::string note);

  module::ModuleHost& host_;
  VersionStore versions_;
};

}  // namespace weir::editor
