// Decides which frames of a stream to hand to analysis at a given rate (internal to capture).
#ifndef PROCTOR_CLIENT_CAPTURE_SAMPLING_CLOCK_H_
#define PROCTOR_CLIENT_CAPTURE_SAMPLING_CLOCK_H_

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"

namespace proctor::client::internal {

// INVALID_ARGUMENT unless 0 < fps <= 1000 (frame_source.cc).
absl::Status ValidateSampleFps(double fps);

// Takes the first frame, then the first frame at or after each multiple of 1000 / fps ms
// (half a millisecond of slack for rounded timestamps). Frames must be fed in time order.
// Not thread-safe.
class SamplingClock {
 public:
  explicit SamplingClock(double fps) : interval_ms_(1000.0 / fps) {}

  // A new rate from the next frame taken on (the frame already due stays due).
  void SetFps(double fps) { interval_ms_ = 1000.0 / fps; }

  // True when the frame at `at_ms` is to be analysed.
  bool Take(double at_ms) {
    if (at_ms + 0.5 < due_ms_) return false;
    // The next due time is the next point of the absolute grid (multiples of the interval),
    // not "this frame + interval": the rate holds on average when frame times fall between
    // grid points, a long gap causes no burst, and a rate change keeps times on the new grid.
    due_ms_ = interval_ms_ * (std::floor((at_ms + 0.5) / interval_ms_) + 1.0);
    return true;
  }

 private:
  double interval_ms_;
  double due_ms_ = 0;
};

}  // namespace proctor::client::internal

#endif  // PROCTOR_CLIENT_CAPTURE_SAMPLING_CLOCK_H_
