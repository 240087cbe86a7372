#include "biometrics/head_pose.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace proctor::biometrics {
namespace {

// A generic face in millimetres, in camera-style axes (x to the image's right, y down, z away
// from the camera), so that a frontal face has the identity rotation. Index pairs the iBUG
// landmark with its 3-D position.
struct ModelPoint {
  int landmark;
  cv::Point3d position;
};
const ModelPoint kModel[] = {
    {30, {0.0, 0.0, 0.0}},         // nose tip
    {8, {0.0, 63.6, 12.5}},        // chin
    {36, {-43.3, -32.7, 26.0}},    // outer corner of the eye on the image's left
    {45, {43.3, -32.7, 26.0}},     // outer corner of the eye on the image's right
    {48, {-28.9, 28.9, 24.1}},     // mouth corner, image left
    {54, {28.9, 28.9, 24.1}},      // mouth corner, image right
};

constexpr double kRadToDeg = 180.0 / M_PI;

}  // namespace

absl::StatusOr<HeadPose> EstimateHeadPose(const Landmarks& landmarks, int image_width,
                                          int image_height) {
  if (image_width <= 0 || image_height <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("head pose needs the image size, got ", image_width, "x", image_height));
  }
  std::vector<cv::Point3d> object_points;
  std::vector<cv::Point2d> image_points;
  for (const ModelPoint& m : kModel) {
    object_points.push_back(m.position);
    image_points.emplace_back(landmarks[m.landmark].x, landmarks[m.landmark].y);
  }
  const double focal = image_width;
  const cv::Matx33d camera(focal, 0, image_width / 2.0, 0, focal, image_height / 2.0, 0, 0, 1);
  // Start from "frontal, about half a metre away" so the iterative solver converges to the
  // face-forward solution rather than its mirror image behind the camera.
  cv::Vec3d rvec(0, 0, 0);
  cv::Vec3d tvec(0, 0, 500);
  bool solved = false;
  try {
    solved = cv::solvePnP(object_points, image_points, camera, cv::noArray(), rvec, tvec,
                          /*useExtrinsicGuess=*/true, cv::SOLVEPNP_ITERATIVE);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("head pose solver failed: ", e.what()));
  }
  if (!solved) return absl::InternalError("head pose solver did not converge");
  cv::Matx33d r;
  cv::Rodrigues(rvec, r);
  // r = Rz(roll) * Ry(yaw) * Rx(pitch) in camera axes. A face turning towards the image's right
  // rotates about +y by a negative angle in these axes, hence the sign flips below.
  HeadPose pose;
  pose.yaw_deg = -std::asin(std::clamp(-r(2, 0), -1.0, 1.0)) * kRadToDeg;
  pose.pitch_deg = -std::atan2(r(2, 1), r(2, 2)) * kRadToDeg;
  pose.roll_deg = std::atan2(r(1, 0), r(0, 0)) * kRadToDeg;
  return pose;
}

}  // namespace proctor::biometrics
