#include "biometrics/landmark_locator.h"

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "biometrics/dlib_image_view.h"
#include "common/platform.h"

namespace proctor::biometrics {

struct LandmarkLocator::Impl {
  dlib::shape_predictor predictor;
};

absl::StatusOr<std::unique_ptr<LandmarkLocator>> LandmarkLocator::Load(
    const std::string& model_path) {
  std::ifstream in(platform::PathFromUtf8(model_path), std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("landmark model not found: ", model_path));
  auto impl = std::make_unique<Impl>();
  try {
    dlib::deserialize(impl->predictor, in);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("loading landmark model ", model_path, ": ", e.what()));
  }
  if (impl->predictor.num_parts() != static_cast<unsigned long>(kLandmarkCount)) {
    return absl::DataLossError(absl::StrCat("landmark model ", model_path, " has ",
                                            impl->predictor.num_parts(), " points, expected ",
                                            kLandmarkCount));
  }
  return std::unique_ptr<LandmarkLocator>(new LandmarkLocator(std::move(impl)));
}

LandmarkLocator::LandmarkLocator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LandmarkLocator::~LandmarkLocator() = default;

Landmarks LandmarkLocator::Locate(const Image& image, const Rect& box) const {
  const internal::ConstRgbView view{&image};
  const dlib::full_object_detection shape = impl_->predictor(view, internal::ToDlib(box));
  Landmarks landmarks;
  for (int i = 0; i < kLandmarkCount; ++i) {
    landmarks[i] =
        PointF{static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y())};
  }
  return landmarks;
}

}  // namespace proctor::biometrics
