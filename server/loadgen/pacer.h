// Pacer: runs callbacks at given times on one timer thread, so paced streams never sleep on
// gRPC's callback threads. Thread-safe.
#ifndef PROCTOR_SERVER_LOADGEN_PACER_H_
#define PROCTOR_SERVER_LOADGEN_PACER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace proctor::loadgen {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  Pacer() : thread_([this] { Run(); }) {}
  // Drops callbacks not yet due.
  ~Pacer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Runs `fn` on the timer thread at `due` (at once when due is past).
  void At(Clock::time_point due, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push({due, std::move(fn)});
    }
    cv_.notify_all();
  }

 private:
  struct Item {
    Clock::time_point due;
    std::function<void()> fn;
    bool operator>(const Item& other) const { return due > other.due; }
  };
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      if (queue_.top().due > Clock::now()) {
        cv_.wait_until(lock, queue_.top().due);
        continue;
      }
      std::function<void()> fn = queue_.top().fn;
      queue_.pop();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;  // guarded by mu_
  bool stopping_ = false;                                                   // guarded by mu_
  std::thread thread_;
};

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_PACER_H_
