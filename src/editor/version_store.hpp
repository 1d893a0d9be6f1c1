#pragma once
// The saved versions of one edited file (system_config.json, security_config.json, an SVG
// layout): each save is kept as a copy with its author, time and content hash, newest first, the
// oldest pruned beyond `keep`. The content hash is the version id and the HTTP ETag, so "the
// version you edited" is simply the hash of the text you read. Files live in their own directory
// (under the data directory, mode 0700): <seq>.<id>.body and <seq>.<id>.json (the metadata), each
// written atomically. Runs on the io thread; saves are rare and small.
#include <boost/describe.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace weir::editor {

// 16 hex digits of the SHA-256 of the text.
std::string content_hash(std::string_view text);

// The id from an If-Match header: quotes and a weak prefix (W/) removed; "" when absent.
std::string version_from_if_match(std::string_view header);

struct VersionInfo {
  std::string id;         // content hash
  std::uint64_t seq = 0;  // increasing: 1 is the oldest ever kept
  std::string author;     // the user who saved it; "(on disk)" for a file found changed on disk
  std::string time;       // ISO 8601 UTC
  std::string action;     // "save", "revert", "found", "delete", ...
  std::string note;       // e.g. "revert to 3f2a..."
  std::uint64_t bytes = 0;
};
BOOST_DESCRIBE_STRUCT(VersionInfo, (), (id, seq, author, time, action, note, bytes))

class VersionStore {
 public:
  VersionStore(std::filesystem::path dir, std::size_t keep, const Clock& clock);

  // Loads the index from the directory (created when missing).
  Status open();
  void set_keep(std::size_t keep) { keep_ = keep < 1 ? 1 : keep; }

  // Keeps `text` as the newest version unless it already is (same id): returns its info.
  Result<VersionInfo> record(std::string_view text, std::string author, std::string action,
                             std::string note = {});
  // Newest first.
  const std::vector<VersionInfo>& list() const { return versions_; }
  const VersionInfo* find(std::string_view id) const;
  const VersionInfo* latest() const { return versions_.empty() ? nullptr : &versions_.front(); }
  Result<std::string> read(std::string_view id) const;

 private:
  std::filesystem::path body_path(const VersionInfo& v) const;
  std::filesystem::path meta_path(const VersionInfo& v) const;
  void prune();

  std::filesystem::path dir_;
  std::size_t keep_;
  const Clock& clock_;
  std::vector<VersionInfo> versions_;  // newest first
};

}  // namespace weir::editor
