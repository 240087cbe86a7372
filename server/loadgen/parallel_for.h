// A minimal fork-join loop for proctor-loadgen's setup and close phases.
#ifndef PROCTOR_SERVER_LOADGEN_PARALLEL_FOR_H_
#define PROCTOR_SERVER_LOADGEN_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace proctor::loadgen {

// Calls fn(i) for i in [0, n) on up to `threads` threads and returns when all calls returned.
// Once any call returns false, no further indices are handed out. `fn` must be thread-safe.
inline void ParallelFor(size_t n, size_t threads, const std::function<bool(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&] {
    for (size_t i = next++; i < n && !stop; i = next++) {
      if (!fn(i)) stop = true;
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < std::min(threads, n); ++t) pool.emplace_back(worker);
  for (std::thread& thread : pool) thread.join();
}

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_PARALLEL_FOR_H_
