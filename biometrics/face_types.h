// Value types that describe a face: where it is, its landmarks and its identity descriptor.
#ifndef PROCTOR_BIOMETRICS_FACE_TYPES_H_
#define PROCTOR_BIOMETRICS_FACE_TYPES_H_

#include <array>

#include "biometrics/image.h"

namespace proctor::biometrics {

// Length of an identity descriptor (dlib's ResNet metric embedding).
inline constexpr int kDescriptorSize = 128;

// A face's identity descriptor: a point in a 128-d space where the Euclidean distance between
// two faces of one person is usually below 0.6 and between two people above it.
using Descriptor = std::array<float, kDescriptorSize>;

// Number of points in the iBUG 300-W landmark scheme used by dlib's 68-point predictor.
inline constexpr int kLandmarkCount = 68;

// The 68 landmarks in iBUG order: 0-16 jaw, 17-26 brows, 27-35 nose, 36-41 the eye on the image's
// left, 42-47 the eye on the image's right, 48-67 mouth.
using Landmarks = std::array<PointF, kLandmarkCount>;

// A face found by the detector.
struct DetectedFace {
  Rect box;
  // Detector confidence (HOG SVM margin); higher is more certain, 0 is the default cut-off.
  double score = 0;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_TYPES_H_
