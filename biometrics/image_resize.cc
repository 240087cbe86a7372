#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "biometrics/image.h"

namespace proctor::biometrics {

Image ResizeImage(const Image& image, int width, int height) {
  Image out = Image::Blank(width, height);
  if (image.empty() || out.empty()) return out;
  // OpenCV takes a non-const pointer for the source header; it only reads through it.
  const cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat dst(height, width, CV_8UC3, out.rgb.data());
  const bool shrinking = width < image.width || height < image.height;
  cv::resize(src, dst, dst.size(), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace proctor::biometrics
