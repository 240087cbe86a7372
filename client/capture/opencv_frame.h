// Adapter-internal helpers shared by the OpenCV-backed sources (camera, video file). Only
// adapter .cc files include this header: it is where OpenCV types meet proctor's own.
#ifndef PROCTOR_CLIENT_CAPTURE_OPENCV_FRAME_H_
#define PROCTOR_CLIENT_CAPTURE_OPENCV_FRAME_H_

#include <opencv2/core.hpp>

#include "absl/status/statusor.h"
#include "biometrics/image.h"

namespace proctor::client::internal {

// Converts an 8-bit BGR (3 channels), BGRA (4) or grey (1) frame to an RGB Image.
// INVALID_ARGUMENT for an empty frame or another pixel type. Thread-safe.
absl::StatusOr<biometrics::Image> MatToImage(const cv::Mat& frame);

}  // namespace proctor::client::internal

#endif  // PROCTOR_CLIENT_CAPTURE_OPENCV_FRAME_H_
