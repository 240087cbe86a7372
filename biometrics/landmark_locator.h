// Places the 68 iBUG landmarks on a detected face with dlib's shape predictor.
#ifndef PROCTOR_BIOMETRICS_LANDMARK_LOCATOR_H_
#define PROCTOR_BIOMETRICS_LANDMARK_LOCATOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

// Thread-safe after construction: Locate is const and keeps no state, so one locator (about
// 100 MB of regression trees) can be shared by every thread.
class LandmarkLocator {
 public:
  // Loads `model_path` (shape_predictor_68_face_landmarks.dat). NOT_FOUND / DATA_LOSS with the
  // path when it is missing or not a 68-point predictor.
  static absl::StatusOr<std::unique_ptr<LandmarkLocator>> Load(const std::string& model_path);
  ~LandmarkLocator();
  LandmarkLocator(const LandmarkLocator&) = delete;
  LandmarkLocator& operator=(const LandmarkLocator&) = delete;

  // Landmarks of the face inside `box` of `image`.
  Landmarks Locate(const Image& image, const Rect& box) const;

 private:
  struct Impl;
  explicit LandmarkLocator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_LANDMARK_LOCATOR_H_
