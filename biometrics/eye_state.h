// Eye openness from landmarks (the eye aspect ratio of Soukupová & Čech, 2016) and a blink
// detector over a stream of it.
#ifndef PROCTOR_BIOMETRICS_EYE_STATE_H_
#define PROCTOR_BIOMETRICS_EYE_STATE_H_

#include <cstdint>

#include "biometrics/face_types.h"

namespace proctor::biometrics {

// Mean eye aspect ratio of both eyes: about 0.25-0.35 open, below ~0.2 closed. 0 when the
// landmarks are degenerate. Thread-safe.
double EyeAspectRatio(const Landmarks& landmarks);

struct BlinkDetectorOptions {
  // EAR below this counts as closed; default 0.21.
  double closed_below = 0.21;
  // EAR above this counts as open again (hysteresis); default 0.25.
  double open_above = 0.25;
  // Longest closure that is still a blink, ms; default 500.
  int64_t max_closed_ms = 500;
};

// Counts blinks in a time-ordered stream of (EAR, media time) samples. Not thread-safe.
class BlinkDetector {
 public:
  explicit BlinkDetector(const BlinkDetectorOptions& options = {}) : options_(options) {}

  // Feeds one sample; returns true when it completes a blink (open -> closed -> open within
  // max_closed_ms).
  bool Update(double eye_aspect_ratio, int64_t at_ms);
  int blinks() const { return blinks_; }

 private:
  BlinkDetectorOptions options_;
  bool closed_ = false;
  int64_t closed_since_ms_ = 0;
  int blinks_ = 0;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_EYE_STATE_H_
