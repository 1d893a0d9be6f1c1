#pragma once
// Static web apps: maps a decoded URL path under a mount prefix to a regular file inside the
// mount's directory, never outside it (the canonical path of the file, symlinks resolved, must
// stay under the canonical mount directory). No Beast here: the server turns the answer into a
// response, tests call resolve() directly.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace weir::net {

struct StaticFile {
  std::filesystem::path path;  // canonical
  std::uint64_t size = 0;
  std::string etag;  // strong validator from size and modification time, quoted
  std::string content_type;
  std::string cache_control;
};

struct StaticLookup {
  enum class Kind {
    not_mine,  // not under a mount, or no such file: the request goes on to the handler
    redirect,  // a directory without its trailing slash: 301 to `location`
    file,
  };
  Kind kind = Kind::not_mine;
  std::string location;
  bool temporary = false;  // "/" -> the home app: 302, so a later change of home is picked up
  StaticFile file;
};

class StaticFiles {
 public:
  StaticFiles() = default;  // serves nothing

  // mounts: URL prefix ("/scada/") -> subdirectory of root. A mount whose directory does not
  // exist is skipped (the app may not be built); "/assets/" -> root/assets is added when present.
  // home: a mount prefix ("/scada/") that "/" redirects to, when that mount is served.
  static Result<StaticFiles> open(const std::string& root,
                                  const std::vector<std::pair<std::string, std::string>>& mounts,
                                  const std::string& home = {});

  // path: decoded and already checked by parse_request_target (no "..", no NUL).
  StaticLookup resolve(std::string_view path) const;

  bool empty() const { return mounts_.empty(); }

 private:
  struct Mount {
    std::string prefix;         // always ends with '/'
    std::filesystem::path dir;  // canonical
    bool spa_fallback = true;   // extension-less unknown paths get the mount's index.html
    bool immutable = false;     // content-hashed bundles: cache for a year
  };
  bool lookup_file(const Mount& m, const std::filesystem::path& candidate, StaticFile& out) const;

  std::vector<Mount> mounts_;  // longest prefix first
  std::string home_;           // "" = "/" is not ours
};

std::string_view content_type_for(std::string_view extension);  // ".js" -> "text/javascript; ..."

// If-None-Match semantics (weak comparison, "*" matches anything).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace weir::net
