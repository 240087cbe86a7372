// Self-enrollment photos: a learner whom nobody photographed (the LMS created them) gives the
// server their reference photos through the client, after consenting, before the session. The
// client takes them from the same camera (or video) as the session: frames that hold exactly
// one usable, roughly frontal face, a little apart in time, cropped to the face with a margin
// (the room behind the learner is not sent).
#ifndef PROCTOR_CLIENT_SESSION_SELF_ENROLLMENT_H_
#define PROCTOR_CLIENT_SESSION_SELF_ENROLLMENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "client/capture/frame_source.h"

namespace proctor::client {

struct EnrollmentPhotoOptions {
  int photos = 3;                     // 1-5 (SessionService.SelfEnroll takes at most 5)
  int64_t min_gap_ms = 1000;          // source time between two photos
  int64_t give_up_after_ms = 60'000;  // source time without enough photos: the learner is told why
  double max_yaw_deg = 20;            // roughly frontal
  double max_pitch_deg = 20;
  int jpeg_quality = 90;
  // Longer side of a photo sent, pixels (>= 160): larger crops are scaled down, so that 5 photos
  // stay far below the server's message limit (4 MiB by default); ~30-60 KB each.
  int max_side_px = 480;
};

// What the learner is told while the photos are taken.
struct EnrollmentProgress {
  int taken = 0;
  int wanted = 0;
  // Why the last frame was not taken, in the process language ("" when it was, or while
  // waiting for the gap).
  std::string hint;
};

// Takes `options.photos` JPEG photos from `source` (frames analysed by `analyzer`, which must
// compute no fewer faces than it finds). `progress` is called after every frame. Errors: the
// source's own; FAILED_PRECONDITION when the source ended or give_up_after_ms passed first,
// naming what was wrong most often; INVALID_ARGUMENT for bad options.
absl::StatusOr<std::vector<std::vector<uint8_t>>> TakeEnrollmentPhotos(
    FrameSource& source, biometrics::FaceAnalyzer& analyzer, const EnrollmentPhotoOptions& options,
    const std::function<void(const EnrollmentProgress&)>& progress = nullptr);

// The crop sent for one face: the face box grown by 60% of its side on every side, clipped.
biometrics::Rect EnrollmentCrop(const biometrics::Rect& face, int image_width, int image_height);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_SESSION_SELF_ENROLLMENT_H_
