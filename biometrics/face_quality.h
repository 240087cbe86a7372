// Whether an image region is good enough to judge: size, sharpness and brightness. Lets callers
// tell "there is no face" from "the picture is too dark or blurred to tell".
#ifndef PROCTOR_BIOMETRICS_FACE_QUALITY_H_
#define PROCTOR_BIOMETRICS_FACE_QUALITY_H_

#include <string>

#include "biometrics/image.h"

namespace proctor::biometrics {

struct QualityThresholds {
  // Smallest usable face side, pixels; default 80 (the HOG detector's window without upsampling).
  int min_face_side_px = 80;
  // Smallest usable sharpness: variance of the Laplacian of the region scaled to 128 px wide,
  // grey levels squared; default 25 (measured: sharp webcam faces 100-1000, motion blur < 20).
  double min_sharpness = 25.0;
  // Usable mean brightness range, grey levels 0-255; default 40-225.
  double min_brightness = 40.0;
  double max_brightness = 225.0;
};

struct QualityReport {
  double brightness = 0;  // mean grey level, 0-255
  double sharpness = 0;   // see QualityThresholds::min_sharpness
  int side_px = 0;        // shorter side of the region, pixels
  bool too_small = false;
  bool too_blurry = false;
  bool too_dark = false;
  bool too_bright = false;

  bool usable() const { return !too_small && !too_blurry && !too_dark && !too_bright; }
  // "ok", or the problems joined with ", " (e.g. "too dark, too blurry").
  std::string Describe() const;
};

// Quality of the face inside `face` (clipped to the image). Thread-safe.
QualityReport AssessFaceQuality(const Image& image, const Rect& face,
                                const QualityThresholds& thresholds = {});

// Quality of the whole frame, ignoring face size: when no face is found in a frame that is not
// usable, the honest answer is "could not tell". Thread-safe.
QualityReport AssessFrameQuality(const Image& image, const QualityThresholds& thresholds = {});

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_QUALITY_H_
