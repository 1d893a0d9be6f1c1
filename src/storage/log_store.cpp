#include "storage/log_store.hpp"

namespace weir::storage {

Result<LogStore> LogStore::open(const std::filesystem::path& path,
                                std::span<const Migration> schema, LogStoreOptions options) {
  auto db = Database::open(path);
  if (!db) return db.error();
  if (auto st = (*db)->migrate(schema); !st) return st.error();
  WriterOptions w;
  w.name = options.name;
  w.max_pending = options.max_pending;
  w.flush_interval =
      options.background_thread ? options.flush_interval : std::chrono::milliseconds(0);
  w.post = std::move(options.post);
  LogStore out;
  out.writer = std::make_unique<Writer>(std::move(*db), std::move(w));
  RetentionOptions r;
  r.interval =
      options.background_thread ? options.retention_interval : std::chrono::milliseconds(0);
  out.retention = Retention::schedule(*out.writer, std::move(options.retention),
                                      options.clock ? *options.clock : SystemClock::instance(), r);
  return out;
}

}  // namespace weir::storage
