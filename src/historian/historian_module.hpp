#pragma once
// The historian module (registered as "historian"): every accepted tag update that its logging
// policy keeps, and events (alarm requests, command feedback, driver status, device presence,
// user actions), stored in data/<file> (SqliteHistoryStore, off the io thread), queried under
// /api/history (permission view_history).
//
// Settings (modules[historian].config), every one optional:
//   {"backend": "sqlite", "file": "history.db", "flush_interval_ms": 1000, "max_queue": 200000,
//    "chunk_values": 1024, "chunk_seconds": 3600, "record_events": true,
//    "raw_max_age_days": 365, "rollup_1m_max_age_days": 730,
//    "rollup_1h_max_age_days": 0, "events_max_age_days": 365, "max_size_mb": 0,
//    "retention_interval_ms": 3600000, "export_page_rows": 5000,
//    "tags": [{"datapoints": "WaterTank@TANK", "deadband": 0.5},
//             {"datapoints": "WaterTank@*", "deadband_percent": 1, "min_interval_ms": 1000,
//              "max_interval_ms": 60000},
//             {"datapoints": "Noisy@*", "record": false}]}
// A datapoint takes the first tags[] entry that names it ("Driver@TAG", "Driver@*" or "*");
// without one, every change is stored. Ages of 0 and a size of 0 mean no limit.
//
// backend "postgresql" (PgHistoryStore, PostgreSQL 15): the libpq connection string is read from
// the environment variable named by "connection_env" (default WEIR_HISTORIAN_PG; never a password
// in this file), e.g. WEIR_HISTORIAN_PG="host=db1 dbname=weir user=weir" with the password in
// ~/.pgpass or PGPASSWORD. "partition_seconds" (default 86400) is the width of the time
// partitions of the value chunks and events; "node" (default: the host name) names this weir
// among the writers of the database: at start it finishes the open buckets of its own earlier
// runs that were killed (give two weirs on one host different names); "file" is not used.
#include <cstdint>
#include <string>
#include <vector>

#include "module/module_registry.hpp"

namespace weir::historian {

struct HistorianTagSettings {
  std::string datapoints;
  bool record = true;
  double deadband = 0;
  double deadband_percent = 0;  // of the datapoint type's max - min
  std::uint32_t min_interval_ms = 0;
  std::uint32_t max_interval_ms = 0;
};
BOOST_DESCRIBE_STRUCT(HistorianTagSettings, (),
                      (datapoints, record, deadband, deadband_percent, min_interval_ms,
                       max_interval_ms))

struct HistorianSettings {
  std::string backend = "sqlite";
  std::string file = "history.db";
  std::uint32_t flush_interval_ms = 1000;
  std::uint32_t max_queue = 200'000;
  std::uint32_t chunk_values = 1024;
  std::uint32_t chunk_seconds = 3600;
  bool record_events = true;
  double raw_max_age_days = 365;
  double rollup_1m_max_age_days = 730;
  double rollup_1h_max_age_days = 0;
  double events_max_age_days = 365;
  double max_size_mb = 0;
  std::uint32_t retention_interval_ms = 3'600'000;
  std::uint32_t export_page_rows = 5'000;  // values read per piece of a streamed CSV export
  double open_pages_mb = 64;  // memory for the tags' open rollup pages (0: none kept past a commit)
  std::vector<HistorianTagSettings> tags;
  std::string connection_env = "WEIR_HISTORIAN_PG";  // postgresql: where the connection string is
  std::uint32_t partition_seconds = 86'400;          // postgresql: time partition width
  std::string node;  // postgresql: this weir's name among the database's writers; "": host name
};
BOOST_DESCRIBE_STRUCT(HistorianSettings, (),
                      (backend, file, flush_interval_ms, max_queue, chunk_values, chunk_seconds,
                       record_events, raw_max_age_days, rollup_1m_max_age_days,
                       rollup_1h_max_age_days, events_max_age_days, max_size_mb,
                       retention_interval_ms, export_page_rows, open_pages_mb, tags, connection_env,
                       partition_seconds, node))

// Does a tags[].datapoints pattern name this datapoint id?
bool pattern_matches(std::string_view pattern, std::string_view id);

}  // namespace weir::historian

void weir_register_historian_module(weir::module::ModuleRegistry& registry);
