// Finds frontal faces in an image with dlib's HOG + linear SVM detector (built into dlib; no
// model file).
#ifndef PROCTOR_BIOMETRICS_FACE_DETECTOR_H_
#define PROCTOR_BIOMETRICS_FACE_DETECTOR_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

struct FaceDetectorOptions {
  // Times the image is doubled before scanning, 0-2. The smallest face found is ~80 px at 0,
  // ~40 px at 1, ~20 px at 2; each step costs about 4x the time. Default 0 (webcam frames).
  int upsample = 0;
  // Added to the detector's score cut-off, -1.0 to 2.0; higher finds fewer, surer faces.
  // Default 0.0 (dlib's).
  double adjust_threshold = 0.0;
};

absl::Status ValidateFaceDetectorOptions(const FaceDetectorOptions& options);

// Not thread-safe: dlib's scanner keeps scratch buffers. Use one detector per thread.
class FaceDetector {
 public:
  static absl::StatusOr<std::unique_ptr<FaceDetector>> Create(const FaceDetectorOptions& options);
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in `image`, most confident first. Boxes are in `image`'s coordinates (upsampling is
  // undone) and may reach past its border.
  std::vector<DetectedFace> Detect(const Image& image);

 private:
  struct Impl;
  explicit FaceDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_DETECTOR_H_
