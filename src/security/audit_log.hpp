#pragma once
// The audit trail: who did what, from where, to what, with which result. Every control action
// and every security event goes through AuditLog::record(); rows land in the SQLite table
// `audit_log` in batched transactions written by the log's own thread, so the network thread
// never waits on the disk. Queries (view_audit) read by time range, user and action.
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
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

struct sqlite3;

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
};
BOOST_DESCRIBE_ENUM(AuditAction, login, login_failed, lockout, logout, session_revoked,
                    access_denied, command, write_datapoint, ack, driver_control, alert_feedback,
                    device_control, config_save, security_save, password_change, restart,
                    mqtt_auth_failed)

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
  std::size_t max_pending = 10'000;  // past this, record() writes on the caller's thread
  bool background_thread = true;     // false: only flush()/query()/destruction write
};

class AuditLog {
 public:
  // Opens (creating if needed) the database and the table.
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& db_path,
                                                AuditLogOptions options = {});
  ~AuditLog();  // writes what is pending
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues one entry (strings are truncated to bounded lengths). Cheap; thread-safe.
  void record(AuditEntry entry);
  // Writes everything queued in one transaction.
  Status flush();
  // Newest first. Flushes first, so a query sees every entry recorded before it.
  Result<std::vector<AuditRecord>> query(const AuditQuery& q);
  // Retention: deletes rows older than `before`; returns how many.
  Result<std::size_t> prune_before(WallTime before);

  std::size_t dropped() const;  // entries lost because the disk kept failing

 private:
  AuditLog(sqlite3* db, AuditLogOptions options);
  void run();
  Status write_batch(std::vector<AuditEntry>& batch);  // requires db_mu_

  AuditLogOptions options_;
  std::mutex db_mu_;
  sqlite3* db_;  // guarded by db_mu_

  mutable std::mutex queue_mu_;
  std::condition_variable wake_;
  std::vector<AuditEntry> pending_;  // guarded by queue_mu_
  bool stopping_ = false;            // guarded by queue_mu_
  std::size_t dropped_ = 0;          // guarded by queue_mu_
  std::thread writer_;
};

}  // namespace weir::security
