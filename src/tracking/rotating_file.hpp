#pragma once
// A JSON-lines file that rotates by size: when the next batch would take `path` past
// `rotate_bytes`, path → path.1 → path.2 ... and the oldest beyond `keep` is removed. Plain
// blocking file I/O: it runs on the tracking writer thread, never on the io thread.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"

namespace weir::tracking {

struct RotationSettings {
  std::filesystem::path path;
  std::uint64_t rotate_bytes = 10u << 20;
  std::uint32_t keep = 5;  // rotated files kept besides the current one
};

class RotatingFile {
 public:
  explicit RotatingFile(RotationSettings s) : s_(std::move(s)) {}
  ~RotatingFile() { close(); }
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends whole lines (each ending in '\n'); rotates first when they would not fit.
  Status append(std::string_view lines);
  std::uint64_t rotations() const { return rotations_; }

 private:
  Status open();
  void close();
  void rotate();

  RotationSettings s_;
  std::FILE* f_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t rotations_ = 0;
};

}  // namespace weir::tracking
