#pragma once
// One background thread with a bounded job queue, for work that must not run on the io_context
// thread (Argon2id password verification: tens of milliseconds and 64 MiB each). Jobs run in
// order; a job hands its result back by posting to the io_context itself.
//
//   WorkerThread verifier("verify", 64);
//   if (!verifier.try_post([...] { auto ok = slow(); asio::post(io, [ok] { use(ok); }); }))
//     refuse("busy");
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace weir {

class WorkerThread {
 public:
  WorkerThread(std::string name, std::size_t max_pending);
  // stop(), then waits for the running job to finish.
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // False when max_pending jobs are already waiting (the caller answers "busy").
  bool try_post(std::function<void()> job);
  std::size_t pending() const;
  // Drops the jobs not started and refuses new ones; does not wait.
  void stop();

 private:
  void run();

  const std::string name_;
  const std::size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace weir
