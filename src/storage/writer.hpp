#pragma once
// One storage thread per database: it owns the connection and does everything that touches the
// file, so the io thread never waits on the disk.
//
//  - Writes: push() queues a row (a small function that binds and steps a cached INSERT). The
//    queue is bounded; when it is full the row is dropped and counted, the caller never blocks.
//    The thread writes the queue in ONE transaction per flush: every flush_interval, sooner when
//    the queue is half full, and before every read.
//  - Reads: read(query, done) runs `query` on the storage thread after the rows queued before it
//    are written (so it sees them), then hands the result to `done` through the injected Post
//    (the io thread in the server: [&ioc](auto f) { boost::asio::post(ioc, std::move(f)); }).
//    Without a Post, `done` runs on the storage thread (unit tests).
//  - Maintenance: every(...) runs a job periodically (retention, see retention.hpp); a job that
//    has more to do says so and is run again after the writes and reads that waited meanwhile.
//  - flush() / read_now() block the caller until the thread has done it: for tests, tools and
//    shutdown, never for the io thread.
//
// Stats (written, dropped, pending, write_errors) are for /metrics.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "storage/database.hpp"

namespace weir::storage {

// Runs a function on the thread that should see the result (boost::asio::post to the io thread).
using Post = std::function<void(std::function<void()>)>;

// Cuts `s` to at most `max_bytes` without leaving half a UTF-8 sequence at the end: queued rows
// keep their text fields bounded.
void clip_utf8(std::string& s, std::size_t max_bytes);

struct WriterOptions {
  std::string name = "storage";      // the thread's name (first 15 characters)
  std::size_t max_pending = 10'000;  // rows waiting; past this new rows are dropped (and counted)
  std::chrono::milliseconds flush_interval{200};  // 0: only flush() and reads write
  std::size_t max_jobs = 1'000;  // reads and flushes waiting; past this a read answers "busy"
  Post post;                     // where read results go; empty: run `done` on the storage thread
};

struct WriterStats {
  std::uint64_t written = 0;       // rows committed
  std::uint64_t dropped = 0;       // rows lost: queue full, or the disk kept failing
  std::uint64_t pending = 0;       // rows waiting now
  std::uint64_t write_errors = 0;  // flushes that failed (their rows are retried)
};

class Writer {
 public:
  // Writes one row inside the flush's transaction. Called on the storage thread; called again
  // (in a later flush) when the transaction failed, so it must only capture the row's data.
  using Row = std::function<Status(Database&)>;
  // A periodic or queued job on the storage thread. A periodic one returns true when it has more
  // to do (it then runs again soon, after what waited meanwhile).
  using Job = std::function<void(Database&)>;
  using Step = std::function<bool(Database&)>;

  Writer(std::unique_ptr<Database> db, WriterOptions options);
  // Answers the reads already queued, writes the rows still pending, stops the thread.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues one row. False when it was dropped (queue full or shutting down). Never blocks.
  bool push(Row row);
  // Where read results are delivered from now on (the io thread is known after construction).
  void set_post(Post post);

  // Runs `query` on the storage thread once the rows queued before it are written, then `done`
  // with its result through the Post. When the job queue is full, `done` gets an "unavailable"
  // error (also through the Post). A query that throws answers an "internal" error.
  template <class T>
  void read(std::function<Result<T>(Database&)> query, std::function<void(Result<T>)> done);

  // Runs `job` on the storage thread once the rows queued before it are written. False when the
  // job queue is full or the writer is stopping.
  bool submit(Job job);
  // Runs `step` every `period`, the first time `first` from now (steady time).
  void every(std::chrono::milliseconds first, std::chrono::milliseconds period, Step step);

  // Blocking: waits until everything queued before the call is written. Not on the io thread.
  Status flush();
  // Blocking: read() that waits for the answer. Not on the io thread.
  template <class T>
  Result<T> read_now(std::function<Result<T>(Database&)> query);

  WriterStats stats() const;
  const std::string& name() const { return options_.name; }

 private:
  struct Periodic {
    std::chrono::steady_clock::time_point due;
    std::chrono::milliseconds period;
    Step step;
  };

  void run();
  Status write_pending();  // storage thread only
  void deliver(std::function<void()> f);
  static Error unavailable(const std::string& name, const char* why);
  bool enqueue(Job job, bool bounded);
  void run_again(Step step);  // queues a periodic job's next step (it had more to do)
  bool on_storage_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  WriterOptions options_;
  std::unique_ptr<Database> db_;  // used on the storage thread only

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Row> rows_;           // guarded by mu_
  std::deque<Job> jobs_;            // guarded by mu_
  std::vector<Periodic> periodic_;  // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  bool rescheduled_ = false;        // guarded by mu_: a deadline may have moved earlier
  WriterStats stats_;               // guarded by mu_ (pending computed)
  bool failing_ = false;            // storage thread only: the last flush failed
  Status last_flush_;               // storage thread only
  std::thread thread_;              // last: starts once the rest is built
};

template <class T>
void Writer::read(std::function<Result<T>(Database&)> query, std::function<void(Result<T>)> done) {
  auto shared_done = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
  const bool queued = submit([this, query = std::move(query), shared_done](Database& db) {
    Result<T> r = Error::make(ErrorKind::internal, "storage", "no answer");
    try {
      r = query(db);
    } catch (const std::exception& e) {
      r = Error::make(ErrorKind::internal, "storage", name() + ": read failed: " + e.what());
    }
    deliver([shared_done, r = std::move(r)]() mutable { (*shared_done)(std::move(r)); });
  });
  if (!queued)
    deliver([shared_done, e = unavailable(name(), "busy: too many reads waiting")]() {
      (*shared_done)(e);
    });
}

template <class T>
Result<T> Writer::read_now(std::function<Result<T>(Database&)> query) {
  if (on_storage_thread())
    return Error::make(ErrorKind::internal, "storage", name() + ": read_now on its own thread");
  auto answer = std::make_shared<std::promise<Result<T>>>();
  auto future = answer->get_future();
  const bool queued = enqueue(
      [&query, answer](Database& db) {
        try {
          answer->set_value(query(db));
        } catch (const std::exception& e) {
          answer->set_value(Error::make(ErrorKind::internal, "storage", e.what()));
        }
      },
      /*bounded=*/false);
  if (!queued) return unavailable(name(), "stopping");
  return future.get();
}

}  // namespace weir::storage
