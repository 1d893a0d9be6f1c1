#include "tracking/rotating_file.hpp"

#include <cerrno>
#include <cstring>

namespace weir::tracking {

namespace fs = std::filesystem;

namespace {
fs::path numbered(const fs::path& p, std::uint32_t n) {
  return fs::path(p.string() + "." + std::to_string(n));
}
}  // namespace

Status RotatingFile::open() {
  std::error_code ec;
  if (s_.path.has_parent_path()) fs::create_directories(s_.path.parent_path(), ec);
  f_ = std::fopen(s_.path.c_str(), "ab");
  if (!f_)
    return Error::make(ErrorKind::internal, "tracking_file",
                       "cannot open " + s_.path.string() + ": " + std::strerror(errno));
  size_ = fs::file_size(s_.path, ec);
  if (ec) size_ = 0;
  return {};
}

void RotatingFile::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
}

void RotatingFile::rotate() {
  close();
  std::error_code ec;
  if (s_.keep == 0) {
    fs::remove(s_.path, ec);
  } else {
    fs::remove(numbered(s_.path, s_.keep), ec);
    for (std::uint32_t n = s_.keep; n > 1; --n)
      fs::rename(numbered(s_.path, n - 1), numbered(s_.path, n), ec);
    fs::rename(s_.path, numbered(s_.path, 1), ec);
  }
  size_ = 0;
  ++rotations_;
}

Status RotatingFile::append(std::string_view lines) {
  if (lines.empty()) return {};
  if (!f_)
    if (auto st = open(); !st) return st;
  if (size_ > 0 && size_ + lines.size() > s_.rotate_bytes) {
    rotate();
    if (auto st = open(); !st) return st;
  }
  if (std::fwrite(lines.data(), 1, lines.size(), f_) != lines.size() || std::fflush(f_) != 0)
    return Error::make(ErrorKind::internal, "tracking_file",
                       "cannot write " + s_.path.string() + ": " + std::strerror(errno));
  size_ += lines.size();
  return {};
}

}  // namespace weir::tracking
