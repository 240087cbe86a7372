// Head orientation from the 68 landmarks (OpenCV solvePnP against a generic 3-D face).
#ifndef PROCTOR_BIOMETRICS_HEAD_POSE_H_
#define PROCTOR_BIOMETRICS_HEAD_POSE_H_

#include "absl/status/statusor.h"
#include "biometrics/face_types.h"

namespace proctor::biometrics {

// Angles in degrees; all 0 for a face looking straight into the camera.
struct HeadPose {
  // Turn left/right, -90 to 90: positive when the face turns towards the image's right side
  // (the learner's left on an unmirrored webcam).
  double yaw_deg = 0;
  // Nod, -90 to 90: positive when the face tilts up.
  double pitch_deg = 0;
  // In-plane tilt, -180 to 180: positive when the face rotates clockwise in the image.
  double roll_deg = 0;
};

// Accuracy: a generic 6-point face model is used, so absolute angles carry a per-person bias
// (pitch reads about -10 to -15 degrees on frontal portrait photos); callers that judge
// "looking away" should compare against the learner's own neutral pose at session start.
// Yaw is mirror-symmetric within a few degrees while |roll| < 20 degrees.
//
// Estimates the pose of the face with `landmarks` in an image of the given size, assuming a
// camera with a focal length of about the image width and no lens distortion (a webcam).
// INVALID_ARGUMENT for a non-positive image size; INTERNAL when the solver fails (degenerate
// landmarks). Thread-safe.
absl::StatusOr<HeadPose> EstimateHeadPose(const Landmarks& landmarks, int image_width,
                                          int image_height);

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_HEAD_POSE_H_
