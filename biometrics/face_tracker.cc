#include "biometrics/face_tracker.h"

// correlation_tracker.h calls extract_fhog_features without including fhog.h (dlib 19.24), so
// fhog.h must come first.
// clang-format off
#include <dlib/image_transforms/fhog.h>
#include <dlib/image_processing/correlation_tracker.h>
// clang-format on

#include <cmath>

#include "biometrics/dlib_image_view.h"

namespace proctor::biometrics {

struct FaceTracker::Impl {
  // dlib's defaults: a 64x64 position filter (a 32x32 one is 4x cheaper but its box jitters by
  // ~6 px on a still face, which moves the landmarks) and 32 scale levels.
  dlib::correlation_tracker tracker;
  bool tracking = false;
  int width = 0;  // of the frame tracking started on
  int height = 0;
};

FaceTracker::FaceTracker() : impl_(std::make_unique<Impl>()) {}
FaceTracker::~FaceTracker() = default;

void FaceTracker::Start(const Image& image, const Rect& box) {
  Stop();
  if (image.empty() || !image.IsConsistent() || box.width <= 0 || box.height <= 0) return;
  const internal::ConstRgbView view{&image};
  impl_->tracker.start_track(view, dlib::drectangle(internal::ToDlib(box)));
  impl_->tracking = true;
  impl_->width = image.width;
  impl_->height = image.height;
}

std::optional<TrackedFace> FaceTracker::Update(const Image& image) {
  if (!impl_->tracking || image.empty() || !image.IsConsistent() || image.width != impl_->width ||
      image.height != impl_->height) {
    return std::nullopt;
  }
  const internal::ConstRgbView view{&image};
  TrackedFace out;
  out.confidence = impl_->tracker.update(view);
  const dlib::drectangle p = impl_->tracker.get_position();
  out.box =
      Rect{static_cast<int>(std::lround(p.left())), static_cast<int>(std::lround(p.top())),
           static_cast<int>(std::lround(p.width())), static_cast<int>(std::lround(p.height()))};
  if (!std::isfinite(out.confidence)) out.confidence = 0;  // a flat patch: no peak at all
  return out;
}

void FaceTracker::Stop() { impl_->tracking = false; }

bool FaceTracker::tracking() const { return impl_->tracking; }

}  // namespace proctor::biometrics
