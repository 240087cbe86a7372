#include "server/core/biometric_inspector.h"

#include "absl/strings/str_cat.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/face_quality.h"
#include "biometrics/image_codec.h"
#include "common/event.h"

namespace proctor::server {
namespace {

biometrics::ImageLimits EvidenceLimits() {
  biometrics::ImageLimits limits;
  limits.max_bytes = kMaxEvidenceBytes;
  // Chips are 150x150 and frames webcam-sized: anything larger is not evidence, and decoding it
  // would only cost CPU on the ingest path.
  limits.max_side = 2048;
  limits.max_pixels = 2048 * 2048;
  return limits;
}

biometrics::ImageLimits PhotoLimits() {
  biometrics::ImageLimits limits;
  limits.max_bytes = size_t{8} << 20;
  return limits;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BiometricInspector>> BiometricInspector::Create(
    const std::string& models_dir, int analyzers) {
  biometrics::FaceAnalyzerOptions options;
  options.models_dir = models_dir;
  auto first = biometrics::FaceAnalyzer::Create(options);
  if (!first.ok()) return first.status();
  std::unique_ptr<BiometricInspector> inspector(new BiometricInspector());
  for (int i = 1; i < analyzers; ++i) {
    auto clone = (*first)->Clone();
    if (!clone.ok()) return clone.status();
    inspector->idle_.push_back(std::move(*clone));
  }
  inspector->idle_.push_back(std::move(*first));
  return inspector;
}

BiometricInspector::~BiometricInspector() = default;

std::unique_ptr<biometrics::FaceAnalyzer> BiometricInspector::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !idle_.empty(); });
  auto analyzer = std::move(idle_.back());
  idle_.pop_back();
  return analyzer;
}

void BiometricInspector::Release(std::unique_ptr<biometrics::FaceAnalyzer> analyzer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(analyzer));
  }
  cv_.notify_one();
}

absl::Status BiometricInspector::CheckJpeg(const std::vector<uint8_t>& jpeg) {
  if (biometrics::SniffImageFormat(jpeg.data(), jpeg.size()) != biometrics::ImageFormat::kJpeg) {
    return absl::InvalidArgumentError("evidence is not a JPEG");
  }
  auto image = biometrics::DecodeImage(jpeg.data(), jpeg.size(), EvidenceLimits());
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("evidence JPEG: ", image.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> BiometricInspector::EmbedChip(const std::vector<uint8_t>& jpeg) {
  auto image = biometrics::DecodeImage(jpeg.data(), jpeg.size(), EvidenceLimits());
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("evidence chip: ", image.status().message()));
  }
  auto analyzer = Acquire();
  auto descriptor = analyzer->EmbedChip(*image);
  Release(std::move(analyzer));
  if (!descriptor.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("evidence chip: ", descriptor.status().message()));
  }
  return std::vector<float>(descriptor->begin(), descriptor->end());
}

absl::StatusOr<FrameClarity> BiometricInspector::AssessFrame(const std::vector<uint8_t>& jpeg) {
  auto image = biometrics::DecodeImage(jpeg.data(), jpeg.size(), EvidenceLimits());
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("evidence frame: ", image.status().message()));
  }
  const biometrics::QualityReport q = biometrics::AssessFrameQuality(*image);
  return FrameClarity{!q.too_dark && !q.too_bright && !q.too_blurry, q.brightness, q.sharpness,
                      q.Describe()};
}

absl::StatusOr<LivenessFrame> BiometricInspector::MeasureLivenessFrame(
    const std::vector<uint8_t>& jpeg) {
  auto image = biometrics::DecodeImage(jpeg.data(), jpeg.size(), EvidenceLimits());
  if (!image.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("liveness frame: ", image.status().message()));
  }
  auto analyzer = Acquire();
  auto faces = analyzer->Analyze(*image);
  Release(std::move(analyzer));
  if (!faces.ok()) return faces.status();
  LivenessFrame out;
  out.faces = static_cast<int>(faces->size());
  if (faces->empty()) return out;
  const biometrics::FaceAnalysis& face = faces->front();
  if (face.pose) {
    out.yaw_deg = face.pose->yaw_deg;
    out.pitch_deg = face.pose->pitch_deg;
  } else {
    out.problem = "the head pose could not be estimated";
  }
  out.eye_aspect_ratio = face.eye_aspect_ratio;
  if (face.descriptor) out.descriptor.assign(face.descriptor->begin(), face.descriptor->end());
  return out;
}

absl::StatusOr<std::vector<float>> BiometricInspector::EmbedEnrollmentPhoto(
    const std::vector<uint8_t>& photo) {
  auto image = biometrics::DecodeImage(photo.data(), photo.size(), PhotoLimits());
  if (!image.ok()) return absl::InvalidArgumentError(image.status().message());
  auto analyzer = Acquire();
  auto faces = analyzer->Analyze(*image);
  Release(std::move(analyzer));
  if (!faces.ok()) return faces.status();
  if (faces->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("an enrollment photo must show exactly one face; found ", faces->size()));
  }
  const auto& descriptor = faces->front().descriptor;
  if (!descriptor) return absl::InternalError("analyzer returned no descriptor");
  return std::vector<float>(descriptor->begin(), descriptor->end());
}

}  // namespace proctor::server
