// Follows one face from frame to frame with dlib's correlation tracker (discriminative scale
// space tracking: a correlation filter over HOG features for the position, a second one over a
// scale pyramid for the size). A few milliseconds per frame instead of a whole-frame HOG
// detection, but it sees only the face it was started on: it cannot tell that a second face
// has appeared, and on an empty scene it keeps answering a box. Its confidence — the
// correlation peak-to-side-lobe ratio — is what says whether the box still holds what it
// started on; a caller detects again when it drops, and on a schedule for new faces.
#ifndef PROCTOR_BIOMETRICS_FACE_TRACKER_H_
#define PROCTOR_BIOMETRICS_FACE_TRACKER_H_

#include <memory>
#include <optional>

#include "biometrics/image.h"

namespace proctor::biometrics {

// Where the followed face is in a new frame.
struct TrackedFace {
  Rect box;  // in the frame's coordinates; may reach past its border
  // Peak-to-side-lobe ratio of the position filter's response, >= 0 in practice: about 20-60
  // while it follows a face well, under ~8 once it lost it (the scene changed, the face left
  // or was covered).
  double confidence = 0;
};

// Not thread-safe (the tracker is its state). Frames given to Update must have the size of the
// one given to Start.
class FaceTracker {
 public:
  FaceTracker();
  ~FaceTracker();
  FaceTracker(const FaceTracker&) = delete;
  FaceTracker& operator=(const FaceTracker&) = delete;

  // Forgets any face followed so far and starts following the one in `box` of `image` (a
  // detector's box). `box` must be non-empty and `image` consistent; otherwise the tracker is
  // left stopped.
  void Start(const Image& image, const Rect& box);
  // The face in `image`, the frame after the last Start or Update. nullopt when not tracking,
  // or `image` is empty, inconsistent, or not the size of the frame tracking started on.
  std::optional<TrackedFace> Update(const Image& image);
  // Stops following (the face left, or several are in view).
  void Stop();
  bool tracking() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_TRACKER_H_
