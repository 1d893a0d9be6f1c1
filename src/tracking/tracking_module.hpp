#pragma once
// The `tracking` module (SPEC §6, §13): modules[tracking].config.mode none | bus | file.
//   none: nothing is subscribed; tracking costs nothing on the hot path.
//   bus:  every message crossing a module boundary (raw update, tag update, command, driver
//         command and feedback, alarm transition, alert, user action) becomes an event in a
//         bounded ring (ring_size), queryable at GET /api/tracking and pushed on feed `tracking`.
//   file: the same, and each event as one JSON line in a size-rotated file, written by a writer
//         thread (batches handed over every tick; a full queue drops the batch, counted).
// Permission: view_audit (events name users and their actions).
#include <boost/describe.hpp>
#include <cstdint>
#include <string>

namespace weir::module {
class ModuleRegistry;
}

namespace weir::tracking {

enum class TrackingMode { none, bus, file };
BOOST_DESCRIBE_ENUM(TrackingMode, none, bus, file)

struct TrackingSettings {
  TrackingMode mode = TrackingMode::none;
  std::uint32_t ring_size = 10'000;        // events kept in memory (1 .. 1,000,000)
  std::string file = "tracking.jsonl";     // file mode: in the data directory unless absolute
  std::uint64_t rotate_bytes = 10u << 20;  // file mode: rotate past this size (4 KiB .. 1 GiB)
  std::uint32_t rotate_keep = 5;           // file mode: rotated files kept (0 .. 100)
};
BOOST_DESCRIBE_STRUCT(TrackingSettings, (), (mode, ring_size, file, rotate_bytes, rotate_keep))

}  // namespace weir::tracking

void weir_register_tracking_module(weir::module::ModuleRegistry& registry);
