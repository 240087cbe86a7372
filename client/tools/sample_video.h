// Scripted proctoring videos built from face photos: the e2e test's input and the demo's.
// Each segment shows a list of photos side by side on a plain background (none: an empty
// room) for a number of seconds; the result is an MJPG .avi that OpenCV reads back without
// external codecs.
#ifndef PROCTOR_CLIENT_TOOLS_SAMPLE_VIDEO_H_
#define PROCTOR_CLIENT_TOOLS_SAMPLE_VIDEO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/image.h"

namespace proctor::client {

struct VideoSegment {
  // JPEG or PNG bytes of the photos shown side by side, left to right; empty: nobody in view.
  std::vector<std::vector<uint8_t>> photos;
  // How long the segment lasts, seconds, > 0.
  double seconds = 1.0;
  // Show the photos mirrored left to right (the same person, another view: a head turn).
  bool mirror = false;
};

struct SampleVideoOptions {
  // Frame size, pixels, default 640x480 (a webcam).
  int width = 640;
  int height = 480;
  // Frames per second, 1-60, default 10.
  double fps = 10.0;
  // Background grey level 0-255, default 190 (tiled, see ComposeFrame).
  int background = 190;
};

// One frame: the photos scaled alike to fit side by side (each at most 3/4 of the frame's
// height, never enlarged more than 3x), centred on a tiled wall of grey `background` (20 px
// tiles, every other one 25 levels darker). INVALID_ARGUMENT for a bad
// size.
absl::StatusOr<biometrics::Image> ComposeFrame(const std::vector<biometrics::Image>& photos,
                                               int width, int height, int background = 190);

// Writes the segments one after another to `path` (MJPG in AVI; the name should end in .avi).
// INVALID_ARGUMENT for bad options or an undecodable photo, INTERNAL when the file cannot be
// written. Segment boundaries fall on the first frame at or after their start time.
absl::Status BuildProctoringVideo(const std::string& path,
                                  const std::vector<VideoSegment>& segments,
                                  const SampleVideoOptions& options = {});

// Single-face photos cut from a group photo (faces in one photo are different people): each
// detected face with a margin of 60% of its box on every side, as JPEG, kept only when the
// analyzer finds exactly one face in the crop. Most confident face first; empty when none.
absl::StatusOr<std::vector<std::vector<uint8_t>>> CutSingleFacePhotos(
    biometrics::FaceAnalyzer& analyzer, const biometrics::Image& group_photo);

// The scripted session, 40 s: the learner alone 12 s, nobody 6 s, the learner and
// another person 6 s, the other person alone 6 s, the learner alone 10 s.
std::vector<VideoSegment> DemoScript(const std::vector<uint8_t>& learner_photo,
                                     const std::vector<uint8_t>& other_photo);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_TOOLS_SAMPLE_VIDEO_H_
