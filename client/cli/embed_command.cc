#include "client/cli/embed_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "biometrics/image_codec.h"

namespace proctor::cli {
namespace {

void PrintHuman(const ImageResult& r) {
  if (!r.status.ok()) {
    std::printf("%s: error: %s\n", r.path.c_str(), std::string(r.status.message()).c_str());
    return;
  }
  std::printf("%s: %zu face%s\n", r.path.c_str(), r.faces.size(), r.faces.size() == 1 ? "" : "s");
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const biometrics::FaceAnalysis& f = r.faces[i];
    const biometrics::Rect& b = f.detection.box;
    std::printf("  face %zu: box [%d, %d, %d, %d]", i + 1, b.x, b.y, b.width, b.height);
    if (f.pose) std::printf(", yaw %+.0f°", f.pose->yaw_deg);
    std::printf(", quality %s", f.quality.Describe().c_str());
    if (f.descriptor) {
      std::printf(", descriptor [%.4f, %.4f, %.4f, ... 128 values]", (*f.descriptor)[0],
                  (*f.descriptor)[1], (*f.descriptor)[2]);
    }
    std::printf("\n");
  }
}

// Writes the face's chip as DIR/<image>-<face>.jpg; the path, or "" when it could not be written.
std::string WriteChip(const std::string& dir, size_t image, size_t face,
                      const biometrics::FaceAnalysis& analysis) {
  if (!analysis.chip) return "";
  auto jpeg = biometrics::EncodeJpeg(*analysis.chip, 90);
  if (!jpeg.ok()) return "";
  const std::string path = absl::StrCat(dir, "/", image, "-", face, ".jpg");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(jpeg->data()), static_cast<std::streamsize>(jpeg->size()));
  return out ? path : "";
}

}  // namespace

int RunEmbed(const FaceCliOptions& options, const std::vector<std::string>& images) {
  auto analyzer = MakeAnalyzer(options);
  if (!analyzer.ok()) {
    std::fprintf(stderr, "proctor-face: %s\n", std::string(analyzer.status().message()).c_str());
    return kExitFailure;
  }
  bool unreadable = false, faceless = false;
  nlohmann::json entries = nlohmann::json::array();
  for (const std::string& path : images) {
    const ImageResult r = AnalyzeImageFile(**analyzer, path);
    nlohmann::json entry = {{"path", path}};
    if (!r.status.ok()) {
      unreadable = true;
      entry["error"] = std::string(r.status.message());
      std::fprintf(stderr, "proctor-face: %s\n", std::string(r.status.message()).c_str());
    } else {
      entry["faces"] = nlohmann::json::array();
      for (size_t f = 0; f < r.faces.size(); ++f) {
        nlohmann::json face = FaceToJson(r.faces[f]);
        if (!options.chips_dir.empty()) {
          const std::string chip = WriteChip(options.chips_dir, entries.size(), f, r.faces[f]);
          if (chip.empty()) {
            std::fprintf(stderr, "proctor-face: cannot write a chip into %s\n",
                         options.chips_dir.c_str());
            return kExitFailure;
          }
          face["chip"] = chip;
        }
        entry["faces"].push_back(std::move(face));
      }
      if (r.faces.empty()) {
        faceless = true;
        std::fprintf(stderr, "proctor-face: no face found in %s\n", path.c_str());
      }
    }
    entries.push_back(std::move(entry));
    if (!options.json) PrintHuman(r);
  }
  if (options.json) std::cout << nlohmann::json{{"images", entries}}.dump() << "\n";
  if (unreadable) return kExitBadInput;
  return faceless ? kExitNoFace : kExitOk;
}

}  // namespace proctor::cli
