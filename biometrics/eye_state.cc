#include "biometrics/eye_state.h"

#include <cmath>

namespace proctor::biometrics {
namespace {

double Distance(const PointF& a, const PointF& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Landmarks first..first+5 run around one eye: p1 and p4 are the corners, p2/p3 the upper lid,
// p5/p6 the lower lid.
double OneEye(const Landmarks& l, int first) {
  const PointF* p = &l[first];
  const double width = Distance(p[0], p[3]);
  if (width <= 0) return 0;
  return (Distance(p[1], p[5]) + Distance(p[2], p[4])) / (2.0 * width);
}

}  // namespace

double EyeAspectRatio(const Landmarks& landmarks) {
  return (OneEye(landmarks, 36) + OneEye(landmarks, 42)) / 2.0;
}

bool BlinkDetector::Update(double eye_aspect_ratio, int64_t at_ms) {
  if (!closed_) {
    if (eye_aspect_ratio < options_.closed_below) {
      closed_ = true;
      closed_since_ms_ = at_ms;
    }
    return false;
  }
  if (eye_aspect_ratio <= options_.open_above) return false;
  closed_ = false;
  if (at_ms - closed_since_ms_ > options_.max_closed_ms) return false;
  ++blinks_;
  return true;
}

}  // namespace proctor::biometrics
