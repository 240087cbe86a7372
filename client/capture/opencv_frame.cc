#include "client/capture/opencv_frame.h"

#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"

namespace proctor::client::internal {

absl::StatusOr<biometrics::Image> MatToImage(const cv::Mat& frame) {
  if (frame.empty() || frame.depth() != CV_8U) {
    return absl::InvalidArgumentError("empty frame or a pixel type other than 8-bit");
  }
  int code = 0;
  switch (frame.channels()) {
    case 1:
      code = cv::COLOR_GRAY2RGB;
      break;
    case 3:
      code = cv::COLOR_BGR2RGB;
      break;
    case 4:
      code = cv::COLOR_BGRA2RGB;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("frame with ", frame.channels(), " channels"));
  }
  biometrics::Image image = biometrics::Image::Blank(frame.cols, frame.rows);
  try {
    // Convert straight into the Image's buffer: no intermediate copy.
    cv::Mat out(frame.rows, frame.cols, CV_8UC3, image.rgb.data());
    cv::cvtColor(frame, out, code);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("converting a frame: ", e.what()));
  }
  return image;
}

}  // namespace proctor::client::internal
