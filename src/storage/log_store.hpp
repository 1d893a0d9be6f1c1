#pragma once
// What an append-only log (the audit log, the device log) opens: its database brought to its
// schema, the writer thread that owns it, and the retention applied on that thread.
#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "storage/database.hpp"
#include "storage/retention.hpp"
#include "storage/writer.hpp"

namespace weir::storage {

struct LogStoreOptions {
  std::string name;  // the writer thread's name and the prefix of its log lines
  std::chrono::milliseconds flush_interval{200};
  std::size_t max_pending = 10'000;
  bool background_thread = true;  // false: neither periodic flushes nor retention (tests)
  std::vector<RetentionRule> retention;
  std::chrono::milliseconds retention_interval = std::chrono::hours(1);  // 0: never on its own
  const Clock* clock = nullptr;  // retention's "now"; null: the system clock
  Post post;                     // where read answers go
};

struct LogStore {
  std::unique_ptr<Writer> writer;
  std::shared_ptr<Retention> retention;

  static Result<LogStore> open(const std::filesystem::path& path, std::span<const Migration> schema,
                               LogStoreOptions options);
};

}  // namespace weir::storage
