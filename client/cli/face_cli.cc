#include "client/cli/face_cli.h"

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"
#include "biometrics/model_files.h"

namespace proctor::cli {

absl::StatusOr<std::unique_ptr<biometrics::FaceAnalyzer>> MakeAnalyzer(
    const FaceCliOptions& options) {
  biometrics::FaceAnalyzerOptions analyzer;
  analyzer.models_dir = biometrics::ResolveModelsDir(options.models_dir);
  analyzer.detector.upsample = options.upsample;
  analyzer.keep_chips = !options.chips_dir.empty();
  return biometrics::FaceAnalyzer::Create(analyzer);
}

ImageResult AnalyzeImageFile(biometrics::FaceAnalyzer& analyzer, const std::string& path) {
  ImageResult result;
  result.path = path;
  auto image = biometrics::ReadImageFile(path, biometrics::ImageLimits{});
  if (!image.ok()) {
    result.status = image.status();
    return result;
  }
  auto faces = analyzer.Analyze(*image);
  if (!faces.ok()) {
    result.status = absl::Status(faces.status().code(),
                                 absl::StrCat(path, ": ", faces.status().message()));
    return result;
  }
  result.faces = std::move(*faces);
  return result;
}

nlohmann::json FaceToJson(const biometrics::FaceAnalysis& face) {
  const biometrics::Rect& b = face.detection.box;
  nlohmann::json j;
  j["box"] = {b.x, b.y, b.width, b.height};
  j["score"] = face.detection.score;
  if (face.descriptor) {
    j["descriptor"] = std::vector<float>(face.descriptor->begin(), face.descriptor->end());
  }
  if (face.pose) {
    j["pose"] = {{"yaw", face.pose->yaw_deg},
                 {"pitch", face.pose->pitch_deg},
                 {"roll", face.pose->roll_deg}};
  }
  j["quality"] = {{"usable", face.quality.usable()},
                  {"issues", face.quality.Describe()},
                  {"brightness", face.quality.brightness},
                  {"sharpness", face.quality.sharpness},
                  {"side_px", face.quality.side_px}};
  return j;
}

size_t LargestFace(const std::vector<biometrics::FaceAnalysis>& faces) {
  size_t best = 0;
  auto area = [](const biometrics::Rect& r) { return int64_t{r.width} * r.height; };
  for (size_t i = 1; i < faces.size(); ++i) {
    if (area(faces[i].detection.box) > area(faces[best].detection.box)) best = i;
  }
  return best;
}

}  // namespace proctor::cli
