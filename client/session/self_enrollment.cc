#include "client/session/self_enrollment.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"
#include "common/i18n.h"

namespace proctor::client {
namespace {

using biometrics::FaceAnalysis;
using biometrics::Image;
using biometrics::Rect;

Image Crop(const Image& image, const Rect& r) {
  Image out = Image::Blank(r.width, r.height);
  for (int y = 0; y < r.height; ++y) {
    const uint8_t* from = image.rgb.data() + (static_cast<size_t>(r.y + y) * image.width + r.x) * 3;
    std::copy(from, from + static_cast<size_t>(r.width) * 3, out.rgb.data() + y * out.stride());
  }
  return out;
}

// Why a frame cannot be a reference photo, "" when it can.
std::string Unfit(const std::vector<FaceAnalysis>& faces, const EnrollmentPhotoOptions& o) {
  if (faces.empty()) return i18n::Tr("no face: look at the camera");
  if (faces.size() > 1) return i18n::Tr("more than one face: only you may be in the picture");
  const FaceAnalysis& face = faces.front();
  if (!face.quality.usable()) {
    return i18n::Trf("the face is $0: more light, closer to the camera, hold still",
                     face.quality.Describe());
  }
  if (!face.pose || std::abs(face.pose->yaw_deg) > o.max_yaw_deg ||
      std::abs(face.pose->pitch_deg) > o.max_pitch_deg) {
    return i18n::Tr("look straight at the camera");
  }
  return "";
}

}  // namespace

Rect EnrollmentCrop(const Rect& face, int image_width, int image_height) {
  const int margin = static_cast<int>(std::lround(0.6 * std::max(face.width, face.height)));
  return biometrics::ClipToImage(
      {face.x - margin, face.y - margin, face.width + 2 * margin, face.height + 2 * margin},
      image_width, image_height);
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> TakeEnrollmentPhotos(
    FrameSource& source, biometrics::FaceAnalyzer& analyzer, const EnrollmentPhotoOptions& o,
    const std::function<void(const EnrollmentProgress&)>& progress) {
  if (o.photos < 1 || o.photos > 5) {
    return absl::InvalidArgumentError("photos must be within 1-5");
  }
  if (o.min_gap_ms < 0 || o.give_up_after_ms <= 0 || o.max_side_px < 160) {
    return absl::InvalidArgumentError(
        "min_gap_ms must be >= 0, give_up_after_ms > 0 and max_side_px >= 160");
  }
  std::vector<std::vector<uint8_t>> photos;
  std::map<std::string, int> reasons;  // why frames were not taken, for the final message
  int64_t first_ms = -1;
  int64_t last_taken_ms = 0;
  while (static_cast<int>(photos.size()) < o.photos) {
    auto next = source.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) {
      std::string why;
      int most = 0;
      for (const auto& [reason, count] : reasons) {
        if (count > most) most = count, why = reason;
      }
      return absl::FailedPreconditionError(
          i18n::Trf("the video ended after $0 of $1 enrollment photos$2", photos.size(), o.photos,
                    why.empty() ? std::string() : absl::StrCat(" (", why, ")")));
    }
    const Frame& frame = **next;
    if (first_ms < 0) first_ms = frame.at_ms;
    EnrollmentProgress report{static_cast<int>(photos.size()), o.photos, ""};
    if (photos.empty() || frame.at_ms - last_taken_ms >= o.min_gap_ms) {
      auto faces = analyzer.Analyze(frame.image);
      if (!faces.ok()) return faces.status();
      report.hint = Unfit(*faces, o);
      if (report.hint.empty()) {
        const Rect crop =
            EnrollmentCrop(faces->front().detection.box, frame.image.width, frame.image.height);
        Image photo = Crop(frame.image, crop);
        const int side = std::max(photo.width, photo.height);
        if (side > o.max_side_px) {  // a close-up or a 4K camera: the face stays ~200 px
          const double scale = static_cast<double>(o.max_side_px) / side;
          photo = biometrics::ResizeImage(
              photo, std::max(1, static_cast<int>(std::lround(photo.width * scale))),
              std::max(1, static_cast<int>(std::lround(photo.height * scale))));
        }
        auto jpeg = biometrics::EncodeJpeg(photo, o.jpeg_quality);
        if (!jpeg.ok()) return jpeg.status();
        photos.push_back(std::move(*jpeg));
        last_taken_ms = frame.at_ms;
        report.taken = static_cast<int>(photos.size());
      } else {
        ++reasons[report.hint];
      }
    }
    if (progress) progress(report);
    if (static_cast<int>(photos.size()) < o.photos &&
        frame.at_ms - first_ms >= o.give_up_after_ms) {
      std::string why;
      int most = 0;
      for (const auto& [reason, count] : reasons) {
        if (count > most) most = count, why = reason;
      }
      return absl::FailedPreconditionError(i18n::Trf(
          "only $0 of $1 enrollment photos in $2 s$3", photos.size(), o.photos,
          o.give_up_after_ms / 1000, why.empty() ? std::string() : absl::StrCat(": ", why)));
    }
  }
  return photos;
}

}  // namespace proctor::client
