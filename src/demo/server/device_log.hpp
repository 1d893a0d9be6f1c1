#pragma once
// The demo's SQLite log (SPEC §9): presence changes, sensor readings, play commands, and the
// messages that could not be used. Rows are queued (bounded) by the io thread and written by a
// storage::Writer (the log's own thread, one transaction per flush interval); queries run on that
// thread too and answer through the injected Post, so the network never waits on the disk.
// Retention keeps 30 days and 1,000,000 rows per table unless the options say otherwise.
// WAL mode; integer keys; every row has `time` (ISO 8601 UTC text, as shown) and `time_ms`
// (Unix milliseconds, indexed, for ranges).
//
//   device_presence  (id, device, status, time, time_ms)
//   sensor_readings  (id, device, temperature, humidity, threshold, over_threshold, unit, time,
//   time_ms) play_command_log (id, device, action, payload, user, source, time, time_ms)
//   rejected_messages(id, device, topic, error, payload, time, time_ms)
#include <boost/describe.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "storage/log_store.hpp"
#include "weir_demo/payloads.hpp"

namespace weir::demo {

struct PresenceRow {
  std::int64_t id = 0;
  std::string device;
  std::string status;  // online / offline
  std::string time;
};
BOOST_DESCRIBE_STRUCT(PresenceRow, (), (id, device, status, time))

struct ReadingRow {
  std::int64_t id = 0;
  std::string device;
  double temperature = 0;
  double humidity = 0;
  double threshold = 0;
  bool over_threshold = false;
  std::string unit;
  std::string time;
};
BOOST_DESCRIBE_STRUCT(ReadingRow, (),
                      (id, device, temperature, humidity, threshold, over_threshold, unit, time))

struct CommandRow {
  std::int64_t id = 0;
  std::string device;
  std::string action;   // play / stop / resume / invalid
  std::string payload;  // as published on commands/{device}/play
  std::string user;     // "" when not sent through Weir's API
  std::string source;   // rest / api / mqtt
  std::string time;
};
BOOST_DESCRIBE_STRUCT(CommandRow, (), (id, device, action, payload, user, source, time))

struct RejectedRow {
  std::int64_t id = 0;
  std::string device;
  std::string topic;
  std::string error;
  std::string payload;  // truncated
  std::string time;
};
BOOST_DESCRIBE_STRUCT(RejectedRow, (), (id, device, topic, error, payload, time))

struct LogQuery {
  std::string device;            // "" = every device
  std::optional<WallTime> from;  // inclusive
  std::optional<WallTime> to;    // exclusive
  std::size_t limit = 100;       // clamped to [1, 1000]; newest first
};

struct DeviceLogOptions {
  std::chrono::milliseconds flush_interval{200};
  std::size_t max_pending = 20'000;  // past this, new rows are dropped (and counted)
  bool background_thread = true;     // false: only flush()/queries/destruction write (tests)
  // Retention per table, applied hourly on the log's thread.
  std::chrono::milliseconds max_age = std::chrono::days(30);             // 0: no age limit
  std::uint64_t max_rows = 1'000'000;                                    // 0: no row limit
  std::chrono::milliseconds retention_interval = std::chrono::hours(1);  // 0: never on its own
  const Clock* clock = nullptr;  // retention's "now"; null: the system clock
  storage::Post post;            // where query answers go (the io thread); empty: the log's thread
};

// written, dropped (queue full or the disk kept failing), pending, write_errors.
using DeviceLogStats = storage::WriterStats;

class DeviceLog {
 public:
  template <class Row>
  using Done = std::function<void(Result<std::vector<Row>>)>;

  static Result<std::unique_ptr<DeviceLog>> open(const std::filesystem::path& db_path,
                                                 DeviceLogOptions options = {});
  ~DeviceLog();  // writes what is pending
  DeviceLog(const DeviceLog&) = delete;
  DeviceLog& operator=(const DeviceLog&) = delete;

  // Queue one row. Cheap, thread-safe, never blocks on the disk.
  void presence(std::string device, std::string status, WallTime t);
  void reading(std::string device, const devices::SensorReading& r, WallTime t);
  void command(std::string device, std::string action, std::string payload, std::string user,
               std::string source, WallTime t);
  void rejected(std::string device, std::string topic, std::string error, std::string payload,
                WallTime t);

  // Newest first, answered through the Post; each sees every row queued before it.
  void presence_log(const LogQuery& q, Done<PresenceRow> done);
  void readings(const LogQuery& q, Done<ReadingRow> done);
  void commands(const LogQuery& q, Done<CommandRow> done);
  void rejected_messages(const LogQuery& q, Done<RejectedRow> done);
  void set_post(storage::Post post);  // where answers go from now on

  // Blocking forms, for tests and tools (never on the io thread).
  Status flush();  // writes everything queued, in one transaction
  Result<std::vector<PresenceRow>> presence_log(const LogQuery& q);
  Result<std::vector<ReadingRow>> readings(const LogQuery& q);
  Result<std::vector<CommandRow>> commands(const LogQuery& q);
  Result<std::vector<RejectedRow>> rejected_messages(const LogQuery& q);

  DeviceLogStats stats() const;
  std::uint64_t expired() const;  // rows deleted by retention

 private:
  explicit DeviceLog(storage::LogStore store);
  void push(storage::Writer::Row row);
  template <class Row>
  void query(const LogQuery& q, Done<Row> done);
  template <class Row>
  Result<std::vector<Row>> query_now(const LogQuery& q);

  std::unique_ptr<storage::Writer> writer_;
  std::shared_ptr<storage::Retention> retention_;
};

}  // namespace weir::demo
