// The whole face pipeline in one object: detect, landmarks, pose, eyes, quality, chip and
// descriptor. What proctor-face, the client's analysis and the server's enrollment call.
#ifndef PROCTOR_BIOMETRICS_FACE_ANALYZER_H_
#define PROCTOR_BIOMETRICS_FACE_ANALYZER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "biometrics/face_detector.h"
#include "biometrics/face_quality.h"
#include "biometrics/face_types.h"
#include "biometrics/head_pose.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

class FaceEmbedder;
class LandmarkLocator;

struct FaceAnalyzerOptions {
  // Directory holding the model files (see model_files.h); required.
  std::string models_dir;
  FaceDetectorOptions detector;
  QualityThresholds quality;
  // Compute descriptors (the ~14 ms step); off for presence-only frames. Default on.
  bool compute_descriptors = true;
  // Keep each face's 150x150 chip in the result (evidence). Default off.
  bool keep_chips = false;
};

absl::Status ValidateFaceAnalyzerOptions(const FaceAnalyzerOptions& options);

struct FaceAnalysis {
  DetectedFace detection;
  Landmarks landmarks;
  std::optional<HeadPose> pose;  // empty when the solver failed
  double eye_aspect_ratio = 0;
  QualityReport quality;
  std::optional<Descriptor> descriptor;  // when compute_descriptors
  std::optional<Image> chip;             // when keep_chips
};

// Not thread-safe (the detector and the network keep scratch state); create one per thread.
// The 100 MB landmark model is shared between analyzers created with Clone().
class FaceAnalyzer {
 public:
  // Loads the models. Errors name the missing file and how to get it.
  static absl::StatusOr<std::unique_ptr<FaceAnalyzer>> Create(const FaceAnalyzerOptions& options);
  ~FaceAnalyzer();
  FaceAnalyzer(const FaceAnalyzer&) = delete;
  FaceAnalyzer& operator=(const FaceAnalyzer&) = delete;

  // A second analyzer for another thread, sharing the landmark model.
  absl::StatusOr<std::unique_ptr<FaceAnalyzer>> Clone() const;
  // Like Clone(), but with its own choice of descriptors and chips (detector and quality
  // settings are copied; the recognition network is loaded only when compute_descriptors). Lets
  // a caller keep a cheap presence analyzer and a descriptor one while loading the landmark
  // model once.
  absl::StatusOr<std::unique_ptr<FaceAnalyzer>> CloneWith(bool compute_descriptors,
                                                          bool keep_chips) const;

  // Every face in `image`, most confident first.
  absl::StatusOr<std::vector<FaceAnalysis>> Analyze(const Image& image);

  // What Analyze computes for each face it detects — landmarks, pose, eyes, quality, and the
  // descriptor and chip as the options say — for a face already known to be at `face.box` of
  // `image` (a tracker's box), without detecting. Its detection is `face` as given.
  absl::StatusOr<FaceAnalysis> AnalyzeFace(const Image& image, const DetectedFace& face);

  // Descriptor of an already aligned 150x150 chip (server-side re-check of evidence).
  absl::StatusOr<Descriptor> EmbedChip(const Image& chip);

  const FaceAnalyzerOptions& options() const { return options_; }

 private:
  FaceAnalyzer(FaceAnalyzerOptions options, std::unique_ptr<FaceDetector> detector,
               std::shared_ptr<const LandmarkLocator> locator,
               std::unique_ptr<FaceEmbedder> embedder, std::string embedder_path);
  static absl::Status CheckAnalysable(const Image& image);
  // The per-face part of Analyze; `image` and `detection.box` already checked.
  absl::StatusOr<FaceAnalysis> AnalyzeDetected(const Image& image, const DetectedFace& detection);

  FaceAnalyzerOptions options_;
  std::unique_ptr<FaceDetector> detector_;
  std::shared_ptr<const LandmarkLocator> locator_;
  std::unique_ptr<FaceEmbedder> embedder_;  // null when !compute_descriptors
  std::string embedder_path_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_ANALYZER_H_
