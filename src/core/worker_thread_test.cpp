#include "core/worker_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace weir {
namespace {

TEST(WorkerThread, RunsJobsInOrderOffTheCallingThread) {
  WorkerThread w("test", 16);
  std::vector<int> seen;
  std::promise<void> done;
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{true};
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(w.try_post([&, i] {
      if (std::this_thread::get_id() == caller) other_thread = false;
      seen.push_back(i);
      if (i == 4) done.set_value();
    }));
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(other_thread);
}

TEST(WorkerThread, RefusesBeyondMaxPending) {
  WorkerThread w("test", 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(w.try_post([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the first job runs (and blocks): the queue is empty again
  EXPECT_TRUE(w.try_post([] {}));
  EXPECT_TRUE(w.try_post([] {}));
  EXPECT_FALSE(w.try_post([] {}));  // two waiting: full
  EXPECT_EQ(w.pending(), 2u);
  release.set_value();
}

TEST(WorkerThread, StopDropsJobsNotStarted) {
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::promise<void> started;
  {
    WorkerThread w("test", 100);
    auto gate = release.get_future().share();
    ASSERT_TRUE(w.try_post([&, gate] {
      started.set_value();
      gate.wait();
      ++ran;
    }));
    started.get_future().wait();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.try_post([&] { ++ran; }));
    w.stop();
    EXPECT_EQ(w.pending(), 0u);
    EXPECT_FALSE(w.try_post([&] { ++ran; }));
    release.set_value();
  }  // joins after the running job
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace weir
