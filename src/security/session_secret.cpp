#include "security/session_secret.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "security/password.hpp"

namespace weir::security {
namespace {

Error fail(const std::filesystem::path& p, const std::string& why) {
  return Error::make(ErrorKind::internal, "session_secret", p.string() + ": " + why);
}

std::string errno_text() {
  return std::strerror(errno);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<SessionSecret> create(const std::filesystem::path& path) {
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0) return fail(path, "cannot create: " + errno_text());
  SessionSecret s;
  s.key = random_bytes(kSessionSecretBytes);
  s.created = true;
  auto text = to_hex(s.key) + "\n";
  if (::write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(f.fd) != 0)
    return fail(path, "cannot write: " + errno_text());
  return s;
}

}  // namespace

Result<SessionSecret> load_or_create_session_secret(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return fail(data_dir, "cannot create the data directory: " + ec.message());
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
  }
  auto path = data_dir / kSessionSecretFile;

  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return create(path);
    return fail(path, "cannot open: " + errno_text());
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail(path, "cannot stat: " + errno_text());
  if (!S_ISREG(st.st_mode)) return fail(path, "not a regular file");
  if (st.st_uid != ::geteuid()) return fail(path, "owned by another user; refusing to use it");

  SessionSecret s;
  if ((st.st_mode & 077) != 0) {
    if (::fchmod(f.fd, 0600) != 0)
      return fail(path, "readable by others and cannot chmod: " + errno_text());
    s.warning = path.string() +
                " was readable by other users; permissions set to 0600 (consider deleting "
                "it to rotate the key: every session will then end)";
  }
  char buf[1024];
  auto n = ::read(f.fd, buf, sizeof buf);
  if (n < 0) return fail(path, "cannot read: " + errno_text());
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.size() % 2 != 0 || text.size() / 2 < kSessionSecretBytes)
    return fail(path, "expected at least 64 hex digits");
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return fail(path, "expected hex digits only");
    s.key.push_back(static_cast<char>(hi * 16 + lo));
  }
  sodium_memzero(buf, sizeof buf);
  return s;
}

}  // namespace weir::security
