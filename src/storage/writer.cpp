#include "storage/writer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "storage/statement.hpp"

namespace weir::storage {

using SteadyClock = std::chrono::steady_clock;

void clip_utf8(std::string& s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  s.resize(max_bytes);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
}

Writer::Writer(std::unique_ptr<Database> db, WriterOptions options)
    : options_(std::move(options)), db_(std::move(db)), thread_([this] { run(); }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Error Writer::unavailable(const std::string& name, const char* why) {
  return Error::make(ErrorKind::unavailable, "storage_busy", name + ": " + why);
}

bool Writer::push(Row row) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || rows_.size() >= options_.max_pending) {
      ++stats_.dropped;
      return false;
    }
    rows_.push_back(std::move(row));
    // The thread sleeps without a flush deadline while nothing is pending: tell it there is one
    // now, and again when the queue is half full (write early rather than drop).
    if (rows_.size() == 1) rescheduled_ = true;
    wake = rows_.size() == 1 || rows_.size() == std::max<std::size_t>(options_.max_pending / 2, 1);
  }
  if (wake) wake_.notify_one();
  return true;
}

void Writer::set_post(Post post) {
  std::lock_guard lock(mu_);
  options_.post = std::move(post);
}

void Writer::deliver(std::function<void()> f) {
  Post post;
  {
    std::lock_guard lock(mu_);
    post = options_.post;
  }
  if (post)
    post(std::move(f));
  else
    f();
}

bool Writer::submit(Job job) {
  return enqueue(std::move(job), /*bounded=*/true);
}

bool Writer::enqueue(Job job, bool bounded) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (bounded && jobs_.size() >= options_.max_jobs)) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void Writer::every(std::chrono::milliseconds first, std::chrono::milliseconds period, Step step) {
  {
    std::lock_guard lock(mu_);
    periodic_.push_back(Periodic{SteadyClock::now() + first, period, std::move(step)});
    rescheduled_ = true;
  }
  wake_.notify_one();
}

void Writer::run_again(Step step) {
  enqueue(
      [this, step](Database& db) mutable {
        if (step(db)) run_again(std::move(step));
      },
      /*bounded=*/false);
}

Status Writer::flush() {
  if (on_storage_thread()) return write_pending();
  auto done = std::make_shared<std::promise<Status>>();
  auto future = done->get_future();
  // The job runs right after the rows queued before it were written: report how that went.
  if (!enqueue([this, done](Database&) { done->set_value(last_flush_); }, /*bounded=*/false))
    return unavailable(name(), "stopping");
  return future.get();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  WriterStats s = stats_;
  s.pending = rows_.size();
  return s;
}

Status Writer::write_pending() {
  std::vector<Row> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(rows_);
  }
  if (batch.empty()) return {};
  Status st = [&]() -> Status {
    try {
      auto tx = Transaction::begin(*db_);
      if (!tx) return tx.error();
      for (auto& row : batch)
        if (auto s = row(*db_); !s) return s;  // ~Transaction rolls back
      return tx->commit();
    } catch (const std::exception& e) {
      return Error::make(ErrorKind::internal, "storage", name() + ": write failed: " + e.what());
    }
  }();
  std::size_t lost = 0;
  {
    std::lock_guard lock(mu_);
    if (st) {
      stats_.written += batch.size();
    } else {
      ++stats_.write_errors;
      // Keep the rows for the next attempt, newest first, within the queue's bound.
      const std::size_t room =
          options_.max_pending > rows_.size() ? options_.max_pending - rows_.size() : 0;
      const std::size_t keep = std::min(room, batch.size());
      lost = batch.size() - keep;
      stats_.dropped += lost;
      rows_.insert(rows_.begin(),
                   std::make_move_iterator(batch.end() - static_cast<std::ptrdiff_t>(keep)),
                   std::make_move_iterator(batch.end()));
    }
  }
  // Say it once when writes start failing and once when they work again, not every flush.
  if (!st && !failing_)
    spdlog::error("{}: cannot write ({} rows kept for a retry, {} dropped): {}", name(),
                  batch.size() - lost, lost, st.error().message);
  else if (st && failing_)
    spdlog::info("{}: writing again", name());
  failing_ = !st;
  return st;
}

void Writer::run() {
  pthread_setname_np(pthread_self(), options_.name.substr(0, 15).c_str());
  const auto interval = options_.flush_interval;
  const bool timed = interval.count() > 0;
  const std::size_t high_water = std::max<std::size_t>(options_.max_pending / 2, 1);
  auto next_flush = SteadyClock::now();  // the first row after a quiet spell is written at once

  auto run_job = [&](Job& job) {
    try {
      job(*db_);
    } catch (const std::exception& e) {
      spdlog::error("{}: job failed: {}", name(), e.what());
    }
  };

  std::unique_lock lock(mu_);
  for (;;) {
    auto deadline = SteadyClock::time_point::max();
    if (timed && !rows_.empty()) deadline = next_flush;
    for (const auto& p : periodic_) deadline = std::min(deadline, p.due);
    auto ready = [&] {
      return stopping_ || !jobs_.empty() || rescheduled_ || (timed && rows_.size() >= high_water);
    };
    if (deadline == SteadyClock::time_point::max())
      wake_.wait(lock, ready);
    else
      wake_.wait_until(lock, deadline, ready);
    rescheduled_ = false;  // the deadline is computed again below or at the next turn

    if (!jobs_.empty()) {  // reads and flushes first; each sees the rows queued before it
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      last_flush_ = write_pending();
      run_job(job);
      job = nullptr;  // destroyed outside the lock
      lock.lock();
      continue;
    }
    if (stopping_) break;

    const auto now = SteadyClock::now();
    auto due = std::find_if(periodic_.begin(), periodic_.end(),
                            [&](const Periodic& p) { return p.due <= now; });
    if (due != periodic_.end()) {
      due->due = now + due->period;
      Step step = due->step;
      lock.unlock();
      last_flush_ = write_pending();
      bool more = false;
      try {
        more = step(*db_);
      } catch (const std::exception& e) {
        spdlog::error("{}: periodic job failed: {}", name(), e.what());
      }
      if (more) run_again(std::move(step));  // after whatever waited meanwhile
      lock.lock();
      continue;
    }
    if (timed && !rows_.empty() && (now >= next_flush || rows_.size() >= high_water)) {
      lock.unlock();
      last_flush_ = write_pending();
      lock.lock();
      next_flush = SteadyClock::now() + interval;
    }
  }
  lock.unlock();
  last_flush_ = write_pending();
}

}  // namespace weir::storage
