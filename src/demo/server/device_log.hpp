#pragma once
// The demo's SQLite log (SPEC §9): presence changes, sensor readings, play commands, and the
// messages that could not be used. Rows are queued (bounded) by the io thread and written by the
// log's own thread in one transaction per flush interval, so the network never waits on the disk.
// WAL mode; integer keys; every row has `time` (ISO 8601 UTC text, as shown) and `time_ms`
// (Unix milliseconds, indexed, for ranges).
//
//   device_presence  (id, device, status, time, time_ms)
//   sensor_readings  (id, device, temperature, humidity, threshold, over_threshold, unit, time,
//   time_ms) play_command_log (id, device, action, payload, user, source, time, time_ms)
//   rejected_messages(id, device, topic, error, payload, time, time_ms)
#include <boost/describe.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "weir_demo/payloads.hpp"

struct sqlite3;

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
};

struct DeviceLogStats {
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;  // queue full or the disk kept failing
  std::uint64_t pending = 0;
  std::uint64_t write_errors = 0;
};

class DeviceLog {
 public:
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

  Status flush();  // writes everything queued, in one transaction

  // Newest first; each flushes first so it sees every row queued before it.
  Result<std::vector<PresenceRow>> presence_log(const LogQuery& q);
  Result<std::vector<ReadingRow>> readings(const LogQuery& q);
  Result<std::vector<CommandRow>> commands(const LogQuery& q);
  Result<std::vector<RejectedRow>> rejected_messages(const LogQuery& q);

  DeviceLogStats stats() const;

 private:
  struct Presence {
    std::string device, status;
    WallTime t;
  };
  struct Reading {
    std::string device;
    devices::SensorReading r;
    WallTime t;
  };
  struct Command {
    std::string device, action, payload, user, source;
    WallTime t;
  };
  struct Rejected {
    std::string device, topic, error, payload;
    WallTime t;
  };
  using Row = std::variant<Presence, Reading, Command, Rejected>;

  DeviceLog(sqlite3* db, DeviceLogOptions options);
  void enqueue(Row row);
  void run();
  Status write_batch(const std::vector<Row>& batch);  // requires db_mu_
  template <class Out, class Fill>
  Result<std::vector<Out>> query(const char* table, const char* columns, const LogQuery& q,
                                 Fill fill);

  DeviceLogOptions options_;
  std::mutex db_mu_;
  sqlite3* db_;  // guarded by db_mu_

  mutable std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<Row> pending_;  // guarded by queue_mu_
  bool stopping_ = false;     // guarded by queue_mu_
  DeviceLogStats stats_;      // guarded by queue_mu_
  std::thread writer_;
};

}  // namespace weir::demo
