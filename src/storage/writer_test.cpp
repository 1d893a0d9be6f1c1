#include "storage/writer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <deque>

#include "storage/statement.hpp"
#include "storage/storage_test_support.hpp"

namespace weir::storage {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Stands in for the io thread: post() queues, the test thread runs what was posted.
class FakeIo {
 public:
  Post post() {
    return [this](std::function<void()> f) {
      {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(f));
      }
      cv_.notify_all();
    };
  }
  // Runs one posted function on this thread; false if none came within 10 s.
  bool run_one() {
    std::function<void()> f;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, 10s, [&] { return !queue_.empty(); })) return false;
      f = std::move(queue_.front());
      queue_.pop_front();
    }
    f();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

int commit_hook(void* counter) {
  ++*static_cast<std::atomic<int>*>(counter);
  return 0;
}

struct Fixture {
  TempDir dir;
  std::atomic<int> commits{0};
  std::unique_ptr<Writer> writer;

  explicit Fixture(WriterOptions o = manual()) {
    auto db = Database::open(dir.file("w.db"));
    EXPECT_TRUE(db) << db.error().message;
    EXPECT_TRUE((*db)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"));
    sqlite3_commit_hook((*db)->handle(), commit_hook, &commits);
    writer = std::make_unique<Writer>(std::move(*db), std::move(o));
  }
  static WriterOptions manual() {
    WriterOptions o;
    o.flush_interval = 0ms;  // only flush() and reads write
    return o;
  }
  static Writer::Row row(std::int64_t v) {
    return [v](Database& db) -> Status {
      auto s = db.prepare("INSERT INTO t(v) VALUES (?)");
      if (!s) return s.error();
      return s->bind(1, v).run();
    };
  }
  static Result<std::int64_t> count(Database& db) {
    auto s = db.prepare("SELECT count(*) FROM t");
    if (!s) return s.error();
    auto r = s->step();
    if (!r) return r.error();
    return s->int64(0);
  }
  std::int64_t rows() {
    auto n = writer->read_now<std::int64_t>(count);
    EXPECT_TRUE(n) << n.error().message;
    return n ? *n : -1;
  }
};

TEST(Writer, OneTransactionPerFlush) {
  Fixture f;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(f.writer->push(Fixture::row(i)));
  EXPECT_EQ(f.writer->stats().pending, 100u);
  ASSERT_TRUE(f.writer->flush());
  EXPECT_EQ(f.commits.load(), 1);
  auto s = f.writer->stats();
  EXPECT_EQ(s.written, 100u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(f.rows(), 100);
  ASSERT_TRUE(f.writer->flush());  // nothing pending: no transaction
  EXPECT_EQ(f.commits.load(), 1);
}

TEST(Writer, TheQueueIsBoundedAndNeverBlocks) {
  WriterOptions o = Fixture::manual();
  o.max_pending = 10;
  Fixture f(o);
  int accepted = 0;
  for (int i = 0; i < 25; ++i) accepted += f.writer->push(Fixture::row(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 10);
  auto s = f.writer->stats();
  EXPECT_EQ(s.pending, 10u);
  EXPECT_EQ(s.dropped, 15u);
  EXPECT_EQ(f.rows(), 10);
}

TEST(Writer, ReadsSeeEarlierRowsAndAnswerThroughPost) {
  FakeIo io;
  WriterOptions o = Fixture::manual();
  o.post = io.post();
  Fixture f(o);
  for (int i = 0; i < 3; ++i) f.writer->push(Fixture::row(i));
  std::optional<std::int64_t> seen;
  std::thread::id answered_on;
  f.writer->read<std::int64_t>(Fixture::count, [&](Result<std::int64_t> n) {
    ASSERT_TRUE(n);
    seen = *n;
    answered_on = std::this_thread::get_id();
  });
  ASSERT_TRUE(io.run_one());
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(answered_on, std::this_thread::get_id());
}

TEST(Writer, WithoutPostTheAnswerComesOnTheStorageThread) {
  Fixture f;
  std::promise<std::thread::id> on;
  f.writer->read<std::int64_t>(
      Fixture::count, [&](Result<std::int64_t>) { on.set_value(std::this_thread::get_id()); });
  auto id = on.get_future();
  ASSERT_EQ(id.wait_for(10s), std::future_status::ready);
  EXPECT_NE(id.get(), std::this_thread::get_id());
}

TEST(Writer, FlushesOnItsOwnEveryInterval) {
  WriterOptions o;
  o.flush_interval = 1ms;
  Fixture f(o);
  // Written without flush() or a read: wait (bounded) for the thread to do it. Twice: the second
  // batch comes while the thread sleeps with nothing pending.
  for (std::uint64_t total : {5u, 10u}) {
    for (int i = 0; i < 5; ++i) f.writer->push(Fixture::row(i));
    for (int i = 0; i < 10'000 && f.writer->stats().written < total; ++i)
      std::this_thread::sleep_for(1ms);
    EXPECT_EQ(f.writer->stats().written, total);
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(f.commits.load(), 2);
}

TEST(Writer, AFailedFlushKeepsItsRowsForTheNextOne) {
  std::atomic<bool> fail{true};
  Fixture f;
  f.writer->push(Fixture::row(1));
  f.writer->push([&fail](Database& db) -> Status {
    if (fail) return db.error("refused by the test");
    return Fixture::row(2)(db);
  });
  auto st = f.writer->flush();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("refused by the test"), std::string::npos);
  auto s = f.writer->stats();
  EXPECT_EQ(s.write_errors, 1u);
  EXPECT_EQ(s.written, 0u);
  EXPECT_EQ(s.pending, 2u);
  EXPECT_EQ(f.commits.load(), 0);  // rolled back: row 1 is not half-written
  fail = false;
  ASSERT_TRUE(f.writer->flush());
  EXPECT_EQ(f.writer->stats().written, 2u);
  EXPECT_EQ(f.rows(), 2);
}

TEST(Writer, AFullJobQueueAnswersBusy) {
  FakeIo io;
  WriterOptions o = Fixture::manual();
  o.max_jobs = 1;
  o.post = io.post();
  Fixture f(o);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(f.writer->submit([&, released](Database&) {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  ASSERT_TRUE(f.writer->submit([](Database&) {}));  // waits: the queue is now full
  std::optional<Error> busy;
  f.writer->read<std::int64_t>(Fixture::count, [&](Result<std::int64_t> r) {
    ASSERT_FALSE(r);
    busy = r.error();
  });
  ASSERT_TRUE(io.run_one());
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->kind, ErrorKind::unavailable);
  release.set_value();
}

TEST(Writer, AThrowingQueryAnswersAnError) {
  FakeIo io;
  WriterOptions o = Fixture::manual();
  o.post = io.post();
  Fixture f(o);
  std::optional<Error> err;
  f.writer->read<int>([](Database&) -> Result<int> { throw std::runtime_error("boom"); },
                      [&](Result<int> r) { err = r.error(); });
  ASSERT_TRUE(io.run_one());
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("boom"), std::string::npos);
}

TEST(Writer, DestructionWritesWhatIsPendingAndAnswersQueuedReads) {
  TempDir dir;
  std::promise<std::int64_t> answer;
  {
    auto db = Database::open(dir.file("d.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"));
    Writer w(std::move(*db), Fixture::manual());
    w.push(Fixture::row(1));
    w.read<std::int64_t>(Fixture::count,
                         [&](Result<std::int64_t> n) { answer.set_value(n ? *n : -1); });
    w.push(Fixture::row(2));
  }
  EXPECT_GE(answer.get_future().get(), 1);  // row 1 at least (row 2 too if it was queued in time)
  auto db = Database::open(dir.file("d.db"));
  EXPECT_EQ(*Fixture::count(**db), 2);
}

TEST(Writer, BlockingCallsOnItsOwnThreadDoNotDeadlock) {
  Fixture f;
  f.writer->push(Fixture::row(1));
  std::promise<std::pair<bool, bool>> out;
  f.writer->submit([&](Database&) {
    const bool flushed = static_cast<bool>(f.writer->flush());
    const bool read = static_cast<bool>(f.writer->read_now<std::int64_t>(Fixture::count));
    out.set_value({flushed, read});
  });
  auto [flushed, read] = out.get_future().get();
  EXPECT_TRUE(flushed);
  EXPECT_FALSE(read);  // refused, not a deadlock
}

TEST(Writer, PeriodicStepsRunUntilDoneAfterWhatWaited) {
  Fixture f;
  std::atomic<int> steps{0};
  std::promise<void> done;
  f.writer->every(0ms, 1h, [&](Database&) {
    if (++steps < 4) return true;
    done.set_value();
    return false;
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(steps.load(), 4);
}

}  // namespace
}  // namespace weir::storage
