#pragma once
// The audit trail: who did what, from where, to what, with which result. Every control action
// and every security event goes through AuditLog::record(); rows land in the SQLite table
// `audit_log` through a storage::Writer (its own thread, one transaction per flush), so the network
// thread never waits on the disk. Queries (view_audit) read by time range, user and action on that
// thread too and answer through the injected Post. Old rows go by retention (400 days and
// 1,000,000 rows unless the options say otherwise).
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

namespace weir::security {

enum class AuditAction {
  login,         // successful login
  login_failed,  // wrong username or password, or app not allowed
  lockout,       // a username or address was locked by the throttle
  logout,
  session_revoked,  // sessions of a user ended by an administrator or a credential change
  access_denied,    // an authenticated request lacked the permission
  command,          // send_command
  write_datapoint,  // manual value
  ack,              // alarm acknowledged
  driver_control,   // connect / disconnect / toggle
  alert_feedback,
  device_control,  // demo devices: play / stop / resume
  config_save,
  security_save,
  password_change,
  restart,
  mqtt_auth_failed,  // MQTT CONNECT refused
  shelve_alarm,      // alarm shelved, unshelved, out of service, back in service
  schedule_control,  // a schedule disabled or enabled
};
BOOST_DESCRIBE_ENUM(AuditAction, login, login_failed, lockout, logout, session_revoked,
                    access_denied, command, write_datapoint, ack, driver_control, alert_feedback,
                    device_control, config_save, security_save, password_change, restart,
                    mqtt_auth_failed, shelve_alarm, schedule_control)

enum class AuditResult { success, failure, denied };
BOOST_DESCRIBE_ENUM(AuditResult, success, failure, denied)

struct AuditEntry {
  WallTime time;
  std::string user;     // "" when unknown (e.g. before login)
  std::string address;  // client address
  AuditAction action = AuditAction::login;
  std::string target;  // what it was about: "WaterTank@PUMP_CMD", an alarm occurrence, a driver
  AuditResult result = AuditResult::success;
  std::string detail;  // free text: value sent, reason refused, ...
};

// One stored row, as the API returns it.
struct AuditRecord {
  std::int64_t id = 0;
  std::string time;  // ISO 8601 UTC
  std::string user;
  std::string address;
  AuditAction action = AuditAction::login;
  std::string target;
  AuditResult result = AuditResult::success;
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(AuditRecord, (), (id, time, user, address, action, target, result, detail))

struct AuditQuery {
  std::optional<WallTime> from;  // inclusive
  std::optional<WallTime> to;    // exclusive
  std::optional<std::string> user;
  std::optional<AuditAction> action;
  std::optional<std::int64_t> before_id;  // paging: rows older than this id
  std::size_t limit = 100;                // clamped to [1, 1000]
};

struct AuditLogOptions {
  std::chrono::milliseconds flush_interval{200};
  std::size_t max_pending = 10'000;  // past this, record() drops the entry (counted in dropped())
  bool background_thread = true;     // false: only flush()/query()/destruction write
  // Retention, applied hourly on the log's thread: older rows go, and the oldest past max_rows.
  std::chrono::milliseconds max_age = std::chrono::days(400);  // 0: no age limit
  std::uint64_t max_rows = 1'000'000;                          // 0: no row limit
  // The file is kept below this: past it the oldest rows go, at the same hourly pass (freed pages
  // are reused, so the file stops growing). 0: no size limit.
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds retention_interval = std::chrono::hours(1);  // 0: never on its own
  const Clock* clock = nullptr;  // retention's "now"; null: the system clock
  storage::Post post;            // where query answers go (the io thread); empty: the log's thread
};

// One step of the size limit (on the log's thread): when the rows take more than max_bytes,
// deletes the oldest (at most batch_rows) so that about 90 % of max_bytes remain. Returns the rows
// deleted; call again while it deletes.
Result<std::uint64_t> trim_audit_to_size(storage::Database& db, std::uint64_t max_bytes,
                                         std::size_t batch_rows);

class AuditLog {
 public:
  using Records = Result<std::vector<AuditRecord>>;

  // Opens (creating if needed) the database and the table.
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& db_path,
                                                AuditLogOptions options = {});
  ~AuditLog();  // writes what is pending
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues one entry (strings are truncated to bounded lengths). Cheap; thread-safe; never blocks.
  void record(AuditEntry entry);
  // Where query answers go from now on (the server passes a post to its io_context).
  void set_post(storage::Post post);
  // Newest first, answered through the Post; sees every entry recorded before it.
  void query(const AuditQuery& q, std::function<void(Records)> done);

  // Blocking forms, for tests and tools (never on the io thread).
  Status flush();  // writes everything queued, in one transaction
  Records query(const AuditQuery& q);
  Result<std::size_t> prune_before(WallTime before);  // deletes rows older than `before`

  std::size_t dropped() const;  // entries lost: queue full, or the disk kept failing
  storage::WriterStats stats() const;
  std::uint64_t expired() const;  // rows deleted by retention

 private:
  explicit AuditLog(storage::LogStore store);

  std::unique_ptr<storage::Writer> writer_;
  std::shared_ptr<storage::Retention> retention_;
};

}  // namespace weir::security
