#pragma once
// Retention: per table a maximum age and a maximum row count. Applied on the storage thread
// (Retention::schedule on a Writer) in bounded DELETE batches, each its own transaction, so writes
// and reads interleave with a large clean-up instead of waiting for it.
//
//   storage::Retention::schedule(writer, {{"audit_log", "time_ms", std::chrono::days(400),
//                                          1'000'000}}, clock);
//
// A table needs a rowid (INTEGER PRIMARY KEY id: rows are removed oldest id first) and, for the
// age limit, a column of Unix milliseconds (indexed, or every pass scans the table).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "storage/database.hpp"

namespace weir::storage {

class Writer;

struct RetentionRule {
  std::string table;
  std::string time_column = "time_ms";   // Unix milliseconds
  std::chrono::milliseconds max_age{0};  // 0: no age limit
  std::uint64_t max_rows = 0;            // 0: no row limit
};

struct RetentionOptions {
  std::chrono::milliseconds interval = std::chrono::hours(1);      // between passes; 0: none
  std::chrono::milliseconds first_pass = std::chrono::minutes(1);  // after schedule(), at most
                                                                   // interval
  std::size_t batch_rows = 5'000;  // rows per DELETE (one transaction each)
};

class Retention {
 public:
  Retention(std::vector<RetentionRule> rules, const Clock& clock, std::size_t batch_rows = 5'000);

  // One bounded step of a pass (a pass starts with the first step, or the first after the last
  // one finished): at most batch_rows rows per rule. True while more is left to delete.
  Result<bool> step(Database& db);
  // Whole passes until nothing is left to delete (tests, tools); returns the rows deleted.
  Result<std::uint64_t> run(Database& db);

  std::uint64_t deleted() const { return deleted_.load(); }  // in total, any thread

  // Runs passes on the writer's thread every options.interval. The returned object (shared with
  // the writer) reports what it deleted.
  static std::shared_ptr<Retention> schedule(Writer& writer, std::vector<RetentionRule> rules,
                                             const Clock& clock, RetentionOptions options = {});

 private:
  struct Cutoff {
    std::optional<std::int64_t> before_ms;  // delete rows with time < this
    std::optional<std::int64_t> up_to_id;   // delete rows with rowid <= this
  };
  Result<Cutoff> cutoff(Database& db, const RetentionRule& rule) const;

  std::vector<RetentionRule> rules_;
  const Clock& clock_;
  std::size_t batch_rows_;
  std::vector<Cutoff> pass_;  // cutoffs of the pass under way; empty between passes
  std::atomic<std::uint64_t> deleted_{0};
};

}  // namespace weir::storage
