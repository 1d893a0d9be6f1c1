#pragma once
// The per-install key that signs session tokens: 32 random bytes kept hex-encoded in
// <data-dir>/jwt_secret, mode 0600, created on first start.
#include <filesystem>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace weir::security {

inline constexpr const char* kSessionSecretFile = "jwt_secret";
inline constexpr std::size_t kSessionSecretBytes = 32;

struct SessionSecret {
  std::string key;                     // raw bytes
  bool created = false;                // generated now (every earlier session is void)
  std::optional<std::string> warning;  // e.g. permissions were too wide and have been tightened
};

// Creates the data dir (0700) and the file (0600, O_EXCL) when missing. An existing file must be
// a regular file owned by this user holding at least 32 bytes as hex; group/other permissions
// are removed with a warning for the log. Errors: ErrorKind::internal with the path and reason.
Result<SessionSecret> load_or_create_session_secret(const std::filesystem::path& data_dir);

}  // namespace weir::security
