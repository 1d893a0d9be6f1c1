#include "net/static_files.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>

namespace weir::net {

namespace fs = std::filesystem;

namespace {

bool is_within(const fs::path& dir, const fs::path& p) {
  auto [dir_end, p_it] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return dir_end == dir.end();
}

std::string_view last_segment(std::string_view rel) {
  auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

}  // namespace

std::string_view content_type_for(std::string_view ext) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  std::string lower(ext);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes)
    if (e == lower) return type;
  return "application/octet-stream";
}

bool etag_matches(std::string_view header, std::string_view etag) {
  auto strip_weak = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
  etag = strip_weak(etag);
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(pos, comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*" || (!item.empty() && strip_weak(item) == etag)) return true;
    pos = comma + 1;
  }
  return false;
}

Result<StaticFiles> StaticFiles::open(
    const std::string& root, const std::vector<std::pair<std::string, std::string>>& mounts,
    const std::string& home) {
  StaticFiles out;
  if (root.empty()) return out;
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical_root, ec))
    return Error::make(ErrorKind::unprocessable, "static_root",
                       fmt::format("static root {}: not a readable directory", root));

  auto add = [&](std::string prefix, const std::string& subdir, bool spa,
                 bool immutable) -> Status {
    if (prefix.empty() || prefix.front() != '/')
      return Error::make(
          ErrorKind::unprocessable, "static_mount",
          fmt::format("static mount '{}': the URL prefix must start with '/'", prefix));
    if (prefix.back() != '/') prefix += '/';
    fs::path rel(subdir);
    if (rel.is_absolute() ||
        std::any_of(rel.begin(), rel.end(), [](const fs::path& s) { return s == ".."; }))
      return Error::make(
          ErrorKind::unprocessable, "static_mount",
          fmt::format("static mount '{}': '{}' must be a subdirectory of the static root", prefix,
                      subdir));
    std::error_code dir_ec;
    fs::path dir = fs::canonical(canonical_root / rel, dir_ec);
    if (dir_ec || !fs::is_directory(dir, dir_ec)) return {};  // app not built: nothing to serve
    out.mounts_.push_back(Mount{std::move(prefix), std::move(dir), spa, immutable});
    return {};
  };
  for (const auto& [prefix, subdir] : mounts) {
    auto st = add(prefix, subdir, /*spa=*/true, /*immutable=*/false);
    if (!st) return st.error();
  }
  bool has_assets = std::any_of(out.mounts_.begin(), out.mounts_.end(),
                                [](const Mount& m) { return m.prefix == "/assets/"; });
  if (!has_assets) {
    auto st = add("/assets/", "assets", /*spa=*/false, /*immutable=*/true);
    if (!st) return st.error();
  }
  std::stable_sort(out.mounts_.begin(), out.mounts_.end(), [](const Mount& a, const Mount& b) {
    return a.prefix.size() > b.prefix.size();
  });
  if (std::any_of(out.mounts_.begin(), out.mounts_.end(),
                  [&](const Mount& m) { return !home.empty() && m.prefix == home; }))
    out.home_ = home;
  return out;
}

bool StaticFiles::lookup_file(const Mount& m, const fs::path& candidate, StaticFile& out) const {
  std::error_code ec;
  fs::path real = fs::canonical(candidate, ec);  // resolves every symlink on the way
  if (ec || !is_within(m.dir, real)) return false;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out.path = std::move(real);
  out.size = static_cast<std::uint64_t>(st.st_size);
  auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                  static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  out.etag = fmt::format("\"{:x}-{:x}\"", out.size, mtime_ns);
  out.content_type = std::string(content_type_for(out.path.extension().native()));
  out.cache_control = m.immutable ? "public, max-age=31536000, immutable" : "no-cache";
  return true;
}

StaticLookup StaticFiles::resolve(std::string_view path) const {
  StaticLookup result;
  if (path == "/" && !home_.empty()) {
    result.kind = StaticLookup::Kind::redirect;
    result.location = home_;
    result.temporary = true;
    return result;
  }
  for (const Mount& m : mounts_) {
    std::string_view bare(m.prefix.data(), m.prefix.size() - 1);  // "/scada"
    if (path == bare && !bare.empty()) {
      result.kind = StaticLookup::Kind::redirect;
      result.location = m.prefix;
      return result;
    }
    if (!path.starts_with(m.prefix)) continue;
    std::string_view rel = path.substr(m.prefix.size());

    // Build the candidate one segment at a time: an empty segment ("//") is skipped, so a
    // segment can never turn the path absolute; dot-files (.env, .git) are never served.
    fs::path candidate = m.dir;
    std::size_t start = 0;
    while (start < rel.size()) {
      std::size_t end = rel.find('/', start);
      if (end == std::string_view::npos) end = rel.size();
      std::string_view seg = rel.substr(start, end - start);
      if (seg.starts_with('.')) return result;  // includes "." and ".."
      if (!seg.empty()) candidate /= std::string(seg);
      start = end + 1;
    }

    std::error_code ec;
    if (fs::is_directory(candidate, ec)) {
      if (!rel.empty() && rel.back() != '/') {
        result.kind = StaticLookup::Kind::redirect;
        result.location = std::string(path) + "/";
        return result;
      }
      candidate /= "index.html";
    }
    if (lookup_file(m, candidate, result.file)) {
      result.kind = StaticLookup::Kind::file;
      return result;
    }
    // Single-page apps route on the client: /scada/alarms is the app's index.html.
    if (m.spa_fallback && last_segment(rel).find('.') == std::string_view::npos &&
        lookup_file(m, m.dir / "index.html", result.file)) {
      result.kind = StaticLookup::Kind::file;
      return result;
    }
    return result;  // under this mount but nothing there: the handler answers (404)
  }
  return result;
}

}  // namespace weir::net
