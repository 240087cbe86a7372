#include "biometrics/face_quality.h"

#include <algorithm>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace proctor::biometrics {
namespace {

// Sharpness is measured at a fixed width so that a large face is not judged sharper than a
// small one just for having more pixels.
constexpr int kSharpnessWidth = 128;

QualityReport Measure(const Image& image, const Rect& region, const QualityThresholds& t) {
  QualityReport report;
  const Rect clipped = ClipToImage(region, image.width, image.height);
  report.side_px = std::min(clipped.width, clipped.height);
  if (report.side_px <= 1 || !image.IsConsistent()) {
    report.too_small = report.too_blurry = report.too_dark = true;
    return report;
  }
  // OpenCV's API takes a non-const pointer; the header is only read from.
  const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()),
                    image.stride());
  cv::Mat grey;
  cv::cvtColor(rgb(cv::Rect(clipped.x, clipped.y, clipped.width, clipped.height)), grey,
               cv::COLOR_RGB2GRAY);
  report.brightness = cv::mean(grey)[0];
  cv::Mat scaled;
  const double scale = static_cast<double>(kSharpnessWidth) / grey.cols;
  cv::resize(grey, scaled, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat laplacian;
  cv::Laplacian(scaled, laplacian, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(laplacian, mean, stddev);
  report.sharpness = stddev[0] * stddev[0];
  report.too_blurry = report.sharpness < t.min_sharpness;
  report.too_dark = report.brightness < t.min_brightness;
  report.too_bright = report.brightness > t.max_brightness;
  return report;
}

}  // namespace

std::string QualityReport::Describe() const {
  std::string out;
  auto add = [&out](bool flag, const char* text) {
    if (!flag) return;
    if (!out.empty()) out += ", ";
    out += text;
  };
  add(too_small, "too small");
  add(too_dark, "too dark");
  add(too_bright, "too bright");
  add(too_blurry, "too blurry");
  return out.empty() ? "ok" : out;
}

QualityReport AssessFaceQuality(const Image& image, const Rect& face,
                                const QualityThresholds& thresholds) {
  QualityReport report = Measure(image, face, thresholds);
  report.too_small = report.too_small || report.side_px < thresholds.min_face_side_px;
  return report;
}

QualityReport AssessFrameQuality(const Image& image, const QualityThresholds& thresholds) {
  return Measure(image, Rect{0, 0, image.width, image.height}, thresholds);
}

}  // namespace proctor::biometrics
