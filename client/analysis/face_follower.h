// FaceFollower: the faces in each frame the monitor analyses fully, found either by a full
// detection (HOG over the whole frame, ~30 ms at 640x480) or more cheaply between detections:
//   - one face in view: a correlation tracker follows it and its landmarks are placed in the
//     tracked box (~10 ms);
//   - nobody, or several people: when the picture has not changed since the detection (the
//     same empty room, the same people sitting still), that detection's faces stand (~1 ms).
// What a tracker cannot see — someone joining — changes the picture outside the followed face,
// so a full detection runs again
//   - when the scene changed outside the followed face since the last detection (its 16 px
//     cells, compared on a small area-averaged copy of the frame, away from the face): someone
//     entering is seen on the first frame they are in, as without tracking;
//   - on a schedule, at the first frame in each redetect_interval_ms of media time (an absolute
//     grid), whatever the picture says;
//   - when the caller asks (the monitor does before each identity check, so descriptors are
//     computed from a detector's box, as without tracking);
//   - when the tracker's confidence falls below min_confidence (the face left, was covered,
//     replaced or turned) or its box left the frame: on that same frame.
// With track off every call is a full detection: the behaviour before tracking existed.
//
// Internal to client/analysis. Not thread-safe; one per monitor.
#ifndef PROCTOR_CLIENT_ANALYSIS_FACE_FOLLOWER_H_
#define PROCTOR_CLIENT_ANALYSIS_FACE_FOLLOWER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/face_tracker.h"
#include "biometrics/image.h"

namespace proctor::client {

struct FaceFollowerOptions {
  // Follow the faces between full detections. Default on.
  bool track = true;
  // A full detection at least this often, ms of media time, > 0, default 2000.
  int64_t redetect_interval_ms = 2000;
  // Detect again when the tracker's peak-to-side-lobe ratio falls below this, >= 0, default 12
  // (see biometrics/face_tracker.h for what it reads while following and once lost).
  double min_confidence = 12.0;
  // The scene has changed when a 16x16 px cell's mean moved by more than this in any colour
  // channel, levels 0-255, default 12: far above sensor noise averaged over 256 pixels (a
  // fraction of a level), far below a face or a person entering the cell.
  int max_cell_change = 12;
  // Full detection runs on the frame scaled by this, (0, 1], default 1; boxes and landmarks are
  // mapped back. The tracker and the landmarks of a followed face use the full frame.
  double detect_scale = 1.0;
};

// What Find saw in one frame.
struct FoundFaces {
  enum class How {
    kDetected,   // a full detection
    kTracked,    // the one face, followed by the tracker
    kUnchanged,  // nobody or several people, the picture as at the last detection: its faces
  };
  std::vector<biometrics::FaceAnalysis> faces;  // in the frame's coordinates, most confident first
  How how = How::kDetected;
  double track_confidence = 0;  // the tracker's, when kTracked
};

class FaceFollower {
 public:
  // `presence` (no descriptors needed) must outlive the follower; the follower is its only user
  // meanwhile. Options must be valid (the monitor checks its own).
  FaceFollower(biometrics::FaceAnalyzer* presence, const FaceFollowerOptions& options);

  // The faces in `image` at media time `at_ms` (calls in time order, frames of one size).
  // `detect` forces a full detection. Errors only for an empty or inconsistent image.
  absl::StatusOr<FoundFaces> Find(const biometrics::Image& image, int64_t at_ms, bool detect);

  // Frames so far by full detection, by tracking, and left as they were.
  int64_t detections() const { return detections_; }
  int64_t tracked() const { return tracked_; }
  int64_t unchanged() const { return unchanged_; }

 private:
  bool DetectionDue(int64_t at_ms) const;
  // Whether `thumb` differs from the last detection's anywhere but around the followed face
  // (at its box then and at `face_now`).
  bool SceneChanged(const biometrics::Image& thumb, const std::optional<biometrics::Rect>& face_now,
                    double cell_px) const;
  absl::StatusOr<FoundFaces> Detect(const biometrics::Image& image, biometrics::Image thumb,
                                    int64_t at_ms);
  absl::StatusOr<std::vector<biometrics::FaceAnalysis>> DetectScaled(
      const biometrics::Image& image);

  biometrics::FaceAnalyzer* const presence_;
  const FaceFollowerOptions options_;
  biometrics::FaceTracker tracker_;
  std::vector<biometrics::FaceAnalysis> detected_;  // the last detection's faces
  biometrics::Image detected_thumb_;                // and its frame, area-averaged
  double next_detect_ms_ = 0;  // the scheduled detection is due at the first frame from here
  int64_t detections_ = 0;
  int64_t tracked_ = 0;
  int64_t unchanged_ = 0;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_FACE_FOLLOWER_H_
