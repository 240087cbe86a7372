// Cuts out the aligned, scaled face chip that the recognition network expects.
#ifndef PROCTOR_BIOMETRICS_FACE_ALIGNER_H_
#define PROCTOR_BIOMETRICS_FACE_ALIGNER_H_

#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

// Side of the chip the recognition network takes, pixels.
inline constexpr int kFaceChipSize = 150;
// Border around the face as a fraction of its size (dlib's default for the network).
inline constexpr double kFaceChipPadding = 0.25;

// Rotates, scales and crops `image` so that the face described by `landmarks` sits upright in a
// `size` x `size` chip, as dlib's get_face_chip_details does. Pure function; thread-safe.
Image ExtractFaceChip(const Image& image, const Rect& box, const Landmarks& landmarks,
                      int size = kFaceChipSize, double padding = kFaceChipPadding);

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_ALIGNER_H_
