#include "biometrics/face_analyzer.h"

#include "absl/strings/str_cat.h"
#include "biometrics/eye_state.h"
#include "biometrics/face_aligner.h"
#include "biometrics/face_embedder.h"
#include "biometrics/landmark_locator.h"
#include "biometrics/model_files.h"
#include "common/status_macros.h"

namespace proctor::biometrics {

absl::Status ValidateFaceAnalyzerOptions(const FaceAnalyzerOptions& options) {
  if (options.models_dir.empty()) {
    return absl::InvalidArgumentError("face analyzer needs a models directory");
  }
  RETURN_IF_ERROR(ValidateFaceDetectorOptions(options.detector));
  const QualityThresholds& q = options.quality;
  if (q.min_face_side_px < 0 || q.min_sharpness < 0 || !(q.min_brightness < q.max_brightness)) {
    return absl::InvalidArgumentError(
        "quality thresholds must be non-negative with min_brightness < max_brightness");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::Create(
    const FaceAnalyzerOptions& options) {
  RETURN_IF_ERROR(ValidateFaceAnalyzerOptions(options));
  ASSIGN_OR_RETURN(std::unique_ptr<FaceDetector> detector, FaceDetector::Create(options.detector));
  ASSIGN_OR_RETURN(const std::string locator_path,
                   FindModelFile(options.models_dir, kShapePredictorFile));
  ASSIGN_OR_RETURN(std::shared_ptr<const LandmarkLocator> locator,
                   LandmarkLocator::Load(locator_path));
  std::unique_ptr<FaceEmbedder> embedder;
  std::string embedder_path;
  if (options.compute_descriptors) {
    ASSIGN_OR_RETURN(embedder_path, FindModelFile(options.models_dir, kRecognitionModelFile));
    ASSIGN_OR_RETURN(embedder, FaceEmbedder::Load(embedder_path));
  }
  return std::unique_ptr<FaceAnalyzer>(new FaceAnalyzer(options, std::move(detector),
                                                        std::move(locator), std::move(embedder),
                                                        std::move(embedder_path)));
}

FaceAnalyzer::FaceAnalyzer(FaceAnalyzerOptions options, std::unique_ptr<FaceDetector> detector,
                           std::shared_ptr<const LandmarkLocator> locator,
                           std::unique_ptr<FaceEmbedder> embedder, std::string embedder_path)
    : options_(std::move(options)),
      detector_(std::move(detector)),
      locator_(std::move(locator)),
      embedder_(std::move(embedder)),
      embedder_path_(std::move(embedder_path)) {}

FaceAnalyzer::~FaceAnalyzer() = default;

absl::StatusOr<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::Clone() const {
  return CloneWith(options_.compute_descriptors, options_.keep_chips);
}

absl::StatusOr<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::CloneWith(bool compute_descriptors,
                                                                      bool keep_chips) const {
  FaceAnalyzerOptions options = options_;
  options.compute_descriptors = compute_descriptors;
  options.keep_chips = keep_chips;
  ASSIGN_OR_RETURN(std::unique_ptr<FaceDetector> detector, FaceDetector::Create(options.detector));
  std::unique_ptr<FaceEmbedder> embedder;
  std::string embedder_path = embedder_path_;
  if (compute_descriptors) {
    if (embedder_path.empty()) {
      ASSIGN_OR_RETURN(embedder_path, FindModelFile(options.models_dir, kRecognitionModelFile));
    }
    ASSIGN_OR_RETURN(embedder, FaceEmbedder::Load(embedder_path));
  }
  return std::unique_ptr<FaceAnalyzer>(new FaceAnalyzer(std::move(options), std::move(detector),
                                                        locator_, std::move(embedder),
                                                        std::move(embedder_path)));
}

absl::StatusOr<std::vector<FaceAnalysis>> FaceAnalyzer::Analyze(const Image& image) {
  RETURN_IF_ERROR(CheckAnalysable(image));
  std::vector<FaceAnalysis> faces;
  for (const DetectedFace& detection : detector_->Detect(image)) {
    ASSIGN_OR_RETURN(FaceAnalysis face, AnalyzeDetected(image, detection));
    faces.push_back(std::move(face));
  }
  return faces;
}

absl::StatusOr<FaceAnalysis> FaceAnalyzer::AnalyzeFace(const Image& image,
                                                       const DetectedFace& face) {
  RETURN_IF_ERROR(CheckAnalysable(image));
  if (face.box.width <= 0 || face.box.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot analyse a face in an empty ",
                                                   face.box.width, "x", face.box.height, " box"));
  }
  return AnalyzeDetected(image, face);
}

absl::Status FaceAnalyzer::CheckAnalysable(const Image& image) {
  if (image.empty() || !image.IsConsistent()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot analyse an empty or inconsistent ",
                                                   image.width, "x", image.height, " image"));
  }
  return absl::OkStatus();
}

absl::StatusOr<FaceAnalysis> FaceAnalyzer::AnalyzeDetected(const Image& image,
                                                           const DetectedFace& detection) {
  FaceAnalysis face;
  face.detection = detection;
  face.landmarks = locator_->Locate(image, detection.box);
  if (auto pose = EstimateHeadPose(face.landmarks, image.width, image.height); pose.ok()) {
    face.pose = *pose;
  }
  face.eye_aspect_ratio = EyeAspectRatio(face.landmarks);
  face.quality = AssessFaceQuality(image, detection.box, options_.quality);
  if (embedder_ || options_.keep_chips) {
    Image chip = ExtractFaceChip(image, detection.box, face.landmarks);
    if (embedder_) {
      ASSIGN_OR_RETURN(face.descriptor, embedder_->Embed(chip));
    }
    if (options_.keep_chips) face.chip = std::move(chip);
  }
  return face;
}

absl::StatusOr<Descriptor> FaceAnalyzer::EmbedChip(const Image& chip) {
  if (!embedder_) {
    return absl::FailedPreconditionError("this analyzer was created without descriptors");
  }
  return embedder_->Embed(chip);
}

}  // namespace proctor::biometrics
