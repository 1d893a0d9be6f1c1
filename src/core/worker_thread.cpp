#include "core/worker_thread.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace weir {

WorkerThread::WorkerThread(std::string name, std::size_t max_pending)
    : name_(std::move(name)), max_pending_(max_pending), thread_([this] { run(); }) {}

WorkerThread::~WorkerThread() {
  stop();
  thread_.join();
}

void WorkerThread::stop() {
  std::deque<std::function<void()>> dropped;  // destroyed outside the lock
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  cv_.notify_all();
}

bool WorkerThread::try_post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

std::size_t WorkerThread::pending() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void WorkerThread::run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("worker {}: job failed: {}", name_, e.what());
    }
  }
}

}  // namespace weir
