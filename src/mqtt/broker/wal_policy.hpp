#pragma once
// When the persistence's WAL is checkpointed, and by whom (sqlite_persistence.cpp does the I/O).
// Pure: sizes in, a decision out.
//
// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 frames: it copies the
// WAL into the database file and fsyncs both, and the acknowledgements held for that commit wait
// for the disk (the soak's p99.9, bench/README.md "MQTT soak"). So the writer has none:
//  - from `soft_frames` a checkpointer thread, on its own connection, runs PASSIVE passes (the
//    big copy and the fsyncs; it blocks no one and no one waits for it);
//  - a passive checkpointer never catches a writer that never pauses, and only a WAL that is
//    wholly copied when a write transaction begins restarts from its first frame. So from
//    `hard_frames` the writer itself, after a commit has answered, copies what the checkpointer
//    has not yet copied (the frames written since its last pass began: a small catch-up), and
//    the next transaction restarts the WAL. The checkpointer starts no pass while a catch-up is
//    wanted (the two would contend for SQLite's checkpoint lock).
// The WAL therefore stays near `hard_frames` plus what the commits during one pass write, and
// never passes twice `hard_frames` plus one commit (wal_must_wait_for_pass). Once a pass (or a
// catch-up) has copied all of it, the writer restarts it in a transaction of its own while the
// next commit waits for its turn anyway (wal_restart_due), not inside that commit.
#include <cstdint>

namespace weir::mqtt {

struct WalLimits {
  std::uint32_t soft_frames = 1'000;  // ~4 MB of 4 KiB pages: the background checkpointer starts
  std::uint32_t hard_frames = 4'000;  // ~16 MB: the writer catches up between two commits
};

enum class WalStep {
  none,        // nothing to copy, or too little to bother
  background,  // the checkpointer should run a pass (the writer does not wait for it)
  catch_up,    // the writer copies the rest itself now, between two commits
};

// After a commit that left the WAL `frames` long, of which `copied` are already in the database
// file (the last pass's answer, this WAL cycle; a stale larger value counts as none).
constexpr WalStep wal_step_after_commit(const WalLimits& l, std::uint32_t frames,
                                        std::uint32_t copied) {
  if (copied > frames) copied = 0;
  if (frames >= l.hard_frames && frames > 0) return WalStep::catch_up;
  if (frames >= l.soft_frames && frames > copied) return WalStep::background;
  return WalStep::none;
}

// A catch-up put off because a pass holds SQLite's checkpoint lock is tried again after the
// next commit; once the WAL is twice its hard size the writer waits for the pass instead (the
// WAL's bound: twice the hard size plus one commit; in a healthy system never reached).
constexpr bool wal_must_wait_for_pass(const WalLimits& l, std::uint32_t frames) {
  return frames >= 2 * std::uint64_t{l.hard_frames};
}

// Whether the writer should restart the WAL now, in a transaction of its own between two
// commits: SQLite restarts a WAL that is wholly copied (`copied == frames`, this cycle) at the
// next write transaction, which first writes and fsyncs the new WAL header; in a commit, its
// acknowledgements would wait for that fsync. Restarted apart, the commits only append.
constexpr bool wal_restart_due(std::uint32_t frames, std::uint32_t copied) {
  return frames > 0 && copied == frames;
}

// Whether the checkpointer should start a pass now: the WAL is past the soft size, has frames
// not yet copied, and the writer is not waiting to catch up.
constexpr bool wal_background_pass(const WalLimits& l, std::uint32_t frames, std::uint32_t copied,
                                   bool catch_up_wanted) {
  if (catch_up_wanted) return false;
  if (copied > frames) copied = 0;
  return frames >= l.soft_frames && frames > copied;
}

}  // namespace weir::mqtt
