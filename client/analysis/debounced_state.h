// One debounced on/off state (face absent, several faces, looking away): it begins once it has
// been observed for debounce_ms and ends once its absence has been observed for debounce_ms,
// so one odd frame changes nothing. Internal to client/analysis.
#ifndef PROCTOR_CLIENT_ANALYSIS_DEBOUNCED_STATE_H_
#define PROCTOR_CLIENT_ANALYSIS_DEBOUNCED_STATE_H_

#include <cstdint>
#include <optional>

namespace proctor::client {

class DebouncedState {
 public:
  enum class Change { kNone, kBegan, kEnded };

  explicit DebouncedState(int64_t debounce_ms) : debounce_ms_(debounce_ms) {}

  // Feeds whether the state holds in the frame at `at_ms` (time-ordered). kBegan: it has now
  // held for debounce_ms since since_ms(); kEnded: it has now not held for debounce_ms since
  // since_ms().
  Change Observe(bool holds, int64_t at_ms) {
    if (holds != active_) {
      if (!since_) since_ = at_ms;
      if (at_ms - *since_ < debounce_ms_) return Change::kNone;
      active_ = holds;
      changed_since_ = *since_;
      since_.reset();
      return active_ ? Change::kBegan : Change::kEnded;
    }
    since_.reset();
    return Change::kNone;
  }
  // Forces the state off (Finish); true when it was on.
  bool Close() {
    const bool was = active_;
    active_ = false;
    since_.reset();
    return was;
  }

  bool active() const { return active_; }
  // Media time of the first frame of the run that caused the last change.
  int64_t since_ms() const { return changed_since_; }

 private:
  int64_t debounce_ms_;
  bool active_ = false;
  std::optional<int64_t> since_;  // first frame disagreeing with active_, while that lasts
  int64_t changed_since_ = 0;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_DEBOUNCED_STATE_H_
