// Time as proctor reads it: wall-clock Unix milliseconds (what is recorded: audit, expiry, file
// names) and monotonic milliseconds (timeouts, backoff, watchdogs: never jumps). One interface,
// the process's real clocks, and a manual clock for tests, so "time jumps" is an ordinary test.
#ifndef PROCTOR_COMMON_CLOCK_H_
#define PROCTOR_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace proctor {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (may jump when the system time is set).
  virtual int64_t NowUnixMs() const = 0;
  // Milliseconds since an arbitrary start; never goes back.
  virtual int64_t SteadyMs() const = 0;

  // The system's clocks. Lives for the whole process; thread-safe.
  static const Clock& Real();
};

// Shorthands for the real clocks.
inline int64_t NowUnixMs() { return Clock::Real().NowUnixMs(); }
inline int64_t SteadyMs() { return Clock::Real().SteadyMs(); }

// A clock that moves only when told. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t unix_ms = 1'700'000'000'000, int64_t steady_ms = 0)
      : unix_ms_(unix_ms), steady_ms_(steady_ms) {}
  int64_t NowUnixMs() const override { return unix_ms_.load(); }
  int64_t SteadyMs() const override { return steady_ms_.load(); }
  // Both clocks move forward by `ms` (>= 0).
  void Advance(int64_t ms) {
    unix_ms_ += ms;
    steady_ms_ += ms;
  }
  // The wall clock alone is set (an NTP correction, a user changing the time); steady time stays.
  void SetUnixMs(int64_t unix_ms) { unix_ms_ = unix_ms; }

 private:
  std::atomic<int64_t> unix_ms_;
  std::atomic<int64_t> steady_ms_;
};

}  // namespace proctor

#endif  // PROCTOR_COMMON_CLOCK_H_
