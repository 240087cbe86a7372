// What proctor-face's subcommands share: options, exit codes, loading the analyzer and images.
#ifndef PROCTOR_CLIENT_CLI_FACE_CLI_H_
#define PROCTOR_CLIENT_CLI_FACE_CLI_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/image.h"

namespace proctor::cli {

// proctor-face exit codes (documented in --help and README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // models missing or another internal failure
inline constexpr int kExitBadInput = 2;  // bad arguments, or an image that cannot be read
inline constexpr int kExitNoFace = 3;    // an image holds no face

struct FaceCliOptions {
  std::string models_dir;  // --models; empty: $PROCTOR_MODELS, else the repo's models/
  int upsample = 1;        // --upsample, 0-2; 1 finds faces down to ~40 px in photos
  double threshold = 0.6;  // --threshold, (0, 2]; same person when distance <= threshold
  bool json = false;       // --json: one JSON document on stdout, nothing else there
  std::string chips_dir;   // embed --chips: write each face's 150x150 aligned chip (JPEG) here
};

// An analyzer configured from the CLI options; errors say how to obtain missing models.
absl::StatusOr<std::unique_ptr<biometrics::FaceAnalyzer>> MakeAnalyzer(
    const FaceCliOptions& options);

// The analysis of one input image: either faces or the reason it could not be read.
struct ImageResult {
  std::string path;
  absl::Status status;  // not OK: the image could not be read or analysed
  std::vector<biometrics::FaceAnalysis> faces;
};

ImageResult AnalyzeImageFile(biometrics::FaceAnalyzer& analyzer, const std::string& path);

// JSON for one face: box, descriptor, and the pose and quality behind it.
nlohmann::json FaceToJson(const biometrics::FaceAnalysis& face);

// Index of the face with the largest box; `faces` must not be empty.
size_t LargestFace(const std::vector<biometrics::FaceAnalysis>& faces);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_FACE_CLI_H_
