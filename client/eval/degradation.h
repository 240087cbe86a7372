// The synthetic capture conditions `proctor-face eval --degrade` measures the face checks under:
// what a weak webcam in a dim room does to a face. Each applies to a crop around one face, with
// the face's box and landmarks in the crop's coordinates (from the clean image's analysis).
// Deterministic (no randomness), thread-safe.
#ifndef PROCTOR_CLIENT_EVAL_DEGRADATION_H_
#define PROCTOR_CLIENT_EVAL_DEGRADATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::eval {

enum class Degradation {
  kDim,         // brightness x0.35 (a room lit from behind)
  kBlur,        // Gaussian blur, sigma 2 px (out of focus, motion)
  kJpeg25,      // JPEG quality 25 (a starved uplink's evidence)
  kSmallFace,   // scaled so the face box is 60 px wide (sitting far back)
  kRotated,     // in-plane rotation by 20 degrees (a tilted head or laptop)
  kEyesCovered  // a dark band over both eyes (sunglasses, glare on glasses)
};

// Every condition, in the order reports list them.
const std::vector<Degradation>& AllDegradations();
// "dim x0.35", "blur sigma 2", "JPEG q25", "face 60 px", "rotated 20 deg", "eyes covered".
std::string DegradationName(Degradation d);
// "dim", "blur", "jpeg25", "small_face", "rotated", "eyes_covered": JSON keys.
std::string DegradationKey(Degradation d);

struct FaceCrop {
  biometrics::Image image;          // the face with a margin around it
  biometrics::Rect box;             // the detected face, in `image` coordinates
  biometrics::Landmarks landmarks;  // in `image` coordinates
};

// A crop around `box` with a margin of 60% of the box on each side (clipped to the photo), with
// the box and landmarks moved into it.
FaceCrop CropAroundFace(const biometrics::Image& photo, const biometrics::Rect& box,
                        const biometrics::Landmarks& landmarks);

absl::StatusOr<biometrics::Image> Degrade(const FaceCrop& crop, Degradation d);

}  // namespace proctor::eval

#endif  // PROCTOR_CLIENT_EVAL_DEGRADATION_H_
