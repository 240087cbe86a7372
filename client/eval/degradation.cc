#include "client/eval/degradation.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"

namespace proctor::eval {
namespace {

cv::Mat View(biometrics::Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, image.rgb.data());
}

biometrics::Image FromMat(const cv::Mat& rgb) {
  biometrics::Image out = biometrics::Image::Blank(rgb.cols, rgb.rows);
  cv::Mat dst = View(out);
  rgb.copyTo(dst);
  return out;
}

biometrics::Image EyesCovered(const FaceCrop& crop) {
  // iBUG points 36-47 are both eyes; the band spans them with a margin of a third of the eye
  // height above and below and half an eye width beside them.
  float left = 1e9f, right = -1e9f, top = 1e9f, bottom = -1e9f;
  for (int i = 36; i <= 47; ++i) {
    left = std::min(left, crop.landmarks[i].x);
    right = std::max(right, crop.landmarks[i].x);
    top = std::min(top, crop.landmarks[i].y);
    bottom = std::max(bottom, crop.landmarks[i].y);
  }
  const float eye_height = std::max(bottom - top, crop.box.height * 0.08f);
  const float eye_width = (right - left) / 4;
  biometrics::Image out = crop.image;
  cv::Mat m = View(out);
  cv::rectangle(
      m, cv::Point(static_cast<int>(left - eye_width / 2), static_cast<int>(top - eye_height)),
      cv::Point(static_cast<int>(right + eye_width / 2), static_cast<int>(bottom + eye_height)),
      cv::Scalar(20, 20, 20), cv::FILLED);
  return out;
}

}  // namespace

const std::vector<Degradation>& AllDegradations() {
  static const std::vector<Degradation> all = {Degradation::kDim,     Degradation::kBlur,
                                               Degradation::kJpeg25,  Degradation::kSmallFace,
                                               Degradation::kRotated, Degradation::kEyesCovered};
  return all;
}

std::string DegradationName(Degradation d) {
  switch (d) {
    case Degradation::kDim:
      return "dim x0.35";
    case Degradation::kBlur:
      return "blur sigma 2";
    case Degradation::kJpeg25:
      return "JPEG q25";
    case Degradation::kSmallFace:
      return "face 60 px";
    case Degradation::kRotated:
      return "rotated 20 deg";
    case Degradation::kEyesCovered:
      return "eyes covered";
  }
  return "?";
}

std::string DegradationKey(Degradation d) {
  switch (d) {
    case Degradation::kDim:
      return "dim";
    case Degradation::kBlur:
      return "blur";
    case Degradation::kJpeg25:
      return "jpeg25";
    case Degradation::kSmallFace:
      return "small_face";
    case Degradation::kRotated:
      return "rotated";
    case Degradation::kEyesCovered:
      return "eyes_covered";
  }
  return "?";
}

FaceCrop CropAroundFace(const biometrics::Image& photo, const biometrics::Rect& box,
                        const biometrics::Landmarks& landmarks) {
  const int margin = box.width * 6 / 10;
  const biometrics::Rect r = biometrics::ClipToImage(
      {box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin},
      photo.width, photo.height);
  FaceCrop crop;
  crop.image = biometrics::Image::Blank(r.width, r.height);
  for (int y = 0; y < r.height; ++y) {
    const uint8_t* src = &photo.rgb[(static_cast<size_t>(r.y + y) * photo.width + r.x) * 3];
    std::copy(src, src + static_cast<size_t>(r.width) * 3,
              &crop.image.rgb[crop.image.stride() * y]);
  }
  crop.box = {box.x - r.x, box.y - r.y, box.width, box.height};
  for (int i = 0; i < biometrics::kLandmarkCount; ++i) {
    crop.landmarks[i] = {landmarks[i].x - r.x, landmarks[i].y - r.y};
  }
  return crop;
}

absl::StatusOr<biometrics::Image> Degrade(const FaceCrop& crop, Degradation d) {
  if (crop.image.empty() || !crop.image.IsConsistent()) {
    return absl::InvalidArgumentError("empty face crop");
  }
  biometrics::Image source = crop.image;
  const cv::Mat in = View(source);
  cv::Mat out;
  switch (d) {
    case Degradation::kDim:
      in.convertTo(out, CV_8UC3, 0.35);
      return FromMat(out);
    case Degradation::kBlur:
      cv::GaussianBlur(in, out, cv::Size(0, 0), 2.0);
      return FromMat(out);
    case Degradation::kJpeg25: {
      auto jpeg = biometrics::EncodeJpeg(crop.image, 25);
      if (!jpeg.ok()) return jpeg.status();
      return biometrics::DecodeImage(jpeg->data(), jpeg->size(), {});
    }
    case Degradation::kSmallFace: {
      const double scale = 60.0 / std::max(1, crop.box.width);
      cv::resize(in, out, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      if (out.empty()) return absl::InvalidArgumentError("face crop too small to scale");
      return FromMat(out);
    }
    case Degradation::kRotated: {
      const cv::Point2f centre(crop.box.x + crop.box.width / 2.0f,
                               crop.box.y + crop.box.height / 2.0f);
      const cv::Mat rotation = cv::getRotationMatrix2D(centre, 20.0, 1.0);
      cv::warpAffine(in, out, rotation, in.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      return FromMat(out);
    }
    case Degradation::kEyesCovered:
      return EyesCovered(crop);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown degradation ", static_cast<int>(d)));
}

}  // namespace proctor::eval
