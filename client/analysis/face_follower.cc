#include "client/analysis/face_follower.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "biometrics/face_quality.h"
#include "common/status_macros.h"

namespace proctor::client {

namespace {

using biometrics::FaceAnalysis;
using biometrics::Image;
using biometrics::Rect;

// Scales `rect` by `s` (coordinates of a resized image back to the original).
Rect ScaleRect(const Rect& r, double s) {
  return {static_cast<int>(std::lround(r.x * s)), static_cast<int>(std::lround(r.y * s)),
          static_cast<int>(std::lround(r.width * s)), static_cast<int>(std::lround(r.height * s))};
}

// At least half of the box lies inside the frame: landmarks placed in a box mostly outside it
// would be guesses, and a face leaving sideways keeps a tracker's confidence for a while.
bool MostlyInside(const Rect& box, const Image& image) {
  if (box.width <= 0 || box.height <= 0) return false;
  const Rect in = biometrics::ClipToImage(box, image.width, image.height);
  return 2 * static_cast<int64_t>(in.width) * in.height >=
         static_cast<int64_t>(box.width) * box.height;
}

constexpr int kCellPx = 16;  // side of the cells the scene is compared in

// The frame area-averaged to one pixel per kCellPx-square cell.
Image Thumbnail(const Image& image) {
  return biometrics::ResizeImage(image, std::max(1, image.width / kCellPx),
                                 std::max(1, image.height / kCellPx));
}

// `box` grown by a third of its size on every side (hair, ears, chin: what moves with the face),
// in thumbnail cells of `cell_px`, inclusive bounds.
struct CellRange {
  int x0, y0, x1, y1;
  bool Contains(int x, int y) const { return x >= x0 && x <= x1 && y >= y0 && y <= y1; }
};
CellRange CellsAround(const Rect& box, double cell_px) {
  const double gx = box.width / 3.0, gy = box.height / 3.0;
  return {static_cast<int>(std::floor((box.x - gx) / cell_px)),
          static_cast<int>(std::floor((box.y - gy) / cell_px)),
          static_cast<int>(std::floor((box.x + box.width + gx) / cell_px)),
          static_cast<int>(std::floor((box.y + box.height + gy) / cell_px))};
}

}  // namespace

FaceFollower::FaceFollower(biometrics::FaceAnalyzer* presence, const FaceFollowerOptions& options)
    : presence_(presence), options_(options) {}

absl::StatusOr<FoundFaces> FaceFollower::Find(const Image& image, int64_t at_ms, bool detect) {
  if (image.empty() || !image.IsConsistent()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot find faces in an empty or inconsistent ",
                                                   image.width, "x", image.height, " image"));
  }
  if (!options_.track) return Detect(image, Image{}, at_ms);
  Image thumb = Thumbnail(image);
  if (detect || DetectionDue(at_ms) || thumb.width != detected_thumb_.width ||
      thumb.height != detected_thumb_.height) {
    return Detect(image, std::move(thumb), at_ms);
  }
  const double cell_px = static_cast<double>(image.width) / thumb.width;
  FoundFaces found;
  if (detected_.size() != 1) {
    if (SceneChanged(thumb, std::nullopt, cell_px)) return Detect(image, std::move(thumb), at_ms);
    found.how = FoundFaces::How::kUnchanged;
    found.faces = detected_;
    ++unchanged_;
    return found;
  }
  const std::optional<biometrics::TrackedFace> tracked = tracker_.Update(image);
  if (!tracked || tracked->confidence < options_.min_confidence ||
      !MostlyInside(tracked->box, image) || SceneChanged(thumb, tracked->box, cell_px)) {
    return Detect(image, std::move(thumb), at_ms);
  }
  found.how = FoundFaces::How::kTracked;
  found.track_confidence = tracked->confidence;
  ASSIGN_OR_RETURN(
      FaceAnalysis face,
      presence_->AnalyzeFace(image, {tracked->box, detected_.front().detection.score}));
  found.faces.push_back(std::move(face));
  ++tracked_;
  return found;
}

bool FaceFollower::DetectionDue(int64_t at_ms) const { return at_ms + 0.5 >= next_detect_ms_; }

bool FaceFollower::SceneChanged(const Image& thumb, const std::optional<Rect>& face_now,
                                double cell_px) const {
  // Only a single face is followed; with nobody or several people in view the whole picture
  // must hold still.
  std::vector<CellRange> masked;
  if (detected_.size() == 1) {
    masked.push_back(CellsAround(detected_.front().detection.box, cell_px));
    if (face_now) masked.push_back(CellsAround(*face_now, cell_px));
  }
  for (int y = 0; y < thumb.height; ++y) {
    for (int x = 0; x < thumb.width; ++x) {
      if (std::any_of(masked.begin(), masked.end(),
                      [&](const CellRange& m) { return m.Contains(x, y); })) {
        continue;
      }
      const size_t i = (static_cast<size_t>(y) * thumb.width + x) * 3;
      for (size_t c = 0; c < 3; ++c) {
        if (std::abs(thumb.rgb[i + c] - detected_thumb_.rgb[i + c]) > options_.max_cell_change) {
          return true;
        }
      }
    }
  }
  return false;
}

absl::StatusOr<FoundFaces> FaceFollower::Detect(const Image& image, Image thumb, int64_t at_ms) {
  FoundFaces found;
  ASSIGN_OR_RETURN(found.faces, DetectScaled(image));
  ++detections_;
  if (!options_.track) return found;
  // The next scheduled one: the first frame at or after the next multiple of the interval, so
  // detections forced in between do not push the schedule back.
  const double interval = static_cast<double>(options_.redetect_interval_ms);
  next_detect_ms_ = interval * (std::floor((at_ms + 0.5) / interval) + 1.0);
  detected_ = found.faces;
  detected_thumb_ = std::move(thumb);
  if (found.faces.size() == 1) {
    tracker_.Start(image, found.faces.front().detection.box);
  } else {
    tracker_.Stop();
  }
  return found;
}

// With detect_scale < 1 the presence analyzer runs on a shrunken copy (HOG cost falls with the
// square of the scale) and boxes and landmarks are scaled back; quality is judged on the
// full-size frame.
absl::StatusOr<std::vector<FaceAnalysis>> FaceFollower::DetectScaled(const Image& image) {
  if (options_.detect_scale >= 1.0) return presence_->Analyze(image);
  const int w = std::max(1, static_cast<int>(std::lround(image.width * options_.detect_scale)));
  const int h = std::max(1, static_cast<int>(std::lround(image.height * options_.detect_scale)));
  ASSIGN_OR_RETURN(std::vector<FaceAnalysis> faces,
                   presence_->Analyze(biometrics::ResizeImage(image, w, h)));
  const double sx = static_cast<double>(image.width) / w;
  for (FaceAnalysis& f : faces) {
    f.detection.box = ScaleRect(f.detection.box, sx);
    for (biometrics::PointF& p : f.landmarks) {
      p.x = static_cast<float>(p.x * sx);
      p.y = static_cast<float>(p.y * sx);
    }
    f.quality = biometrics::AssessFaceQuality(image, f.detection.box, presence_->options().quality);
  }
  return faces;
}

}  // namespace proctor::client
