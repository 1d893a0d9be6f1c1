#include "editor/version_store.hpp"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "config/system_config.hpp"
#include "core/json.hpp"

namespace weir::editor {

namespace fs = std::filesystem;

std::string content_hash(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

std::string version_from_if_match(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.starts_with("W/")) h.remove_prefix(2);
  if (h.size() >= 2 && h.front() == '"' && h.back() == '"') h = h.substr(1, h.size() - 2);
  return std::string(h);
}

VersionStore::VersionStore(fs::path dir, std::size_t keep, const Clock& clock)
    : dir_(std::move(dir)), keep_(keep < 1 ? 1 : keep), clock_(clock) {}

fs::path VersionStore::body_path(const VersionInfo& v) const {
  char seq[24];
  std::snprintf(seq, sizeof seq, "%010llu", static_cast<unsigned long long>(v.seq));
  return dir_ / (std::string(seq) + "." + v.id + ".body");
}

fs::path VersionStore::meta_path(const VersionInfo& v) const {
  auto p = body_path(v);
  p.replace_extension(".json");
  return p;
}

Status VersionStore::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    return Error::make(ErrorKind::internal, "versions_dir",
                       "cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  versions_.clear();
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto text = config::read_text_file(entry.path().string(), 64 * 1024);
    if (!text) continue;
    auto v = json::decode<VersionInfo>(*text);
    if (!v || v->id.size() != 16) continue;  // a stray or half-written file: not a version
    if (!fs::exists(body_path(*v), ec)) continue;
    versions_.push_back(std::move(*v));
  }
  std::sort(versions_.begin(), versions_.end(),
            [](const auto& a, const auto& b) { return a.seq > b.seq; });
  prune();
  return {};
}

Result<VersionInfo> VersionStore::record(std::string_view text, std::string author,
                                         std::string action, std::string note) {
  const std::string id = content_hash(text);
  if (!versions_.empty() && versions_.front().id == id) return versions_.front();
  VersionInfo v;
  v.id = id;
  v.seq = versions_.empty() ? 1 : versions_.front().seq + 1;
  v.author = std::move(author);
  v.time = to_iso8601(clock_.now());
  v.action = std::move(action);
  v.note = std::move(note);
  v.bytes = text.size();
  if (auto st = config::write_file_atomically(body_path(v).string(), text, 0); !st)
    return st.error();
  if (auto st = config::write_file_atomically(meta_path(v).string(), json::to_string(v), 0); !st)
    return st.error();
  versions_.insert(versions_.begin(), v);
  prune();
  return v;
}

const VersionInfo* VersionStore::find(std::string_view id) const {
  for (const auto& v : versions_)
    if (v.id == id) return &v;
  return nullptr;
}

Result<std::string> VersionStore::read(std::string_view id) const {
  const auto* v = find(id);
  if (!v) return not_found("unknown_version", "no kept version \"" + std::string(id) + "\"", "id");
  return config::read_text_file(body_path(*v).string());
}

void VersionStore::prune() {
  std::error_code ec;
  while (versions_.size() > keep_) {
    fs::remove(body_path(versions_.back()), ec);
    fs::remove(meta_path(versions_.back()), ec);
    versions_.pop_back();
  }
}

}  // namespace weir::editor
