#include "biometrics/model_files.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/platform.h"

#ifndef PROCTOR_DEFAULT_MODELS_DIR
#error "PROCTOR_DEFAULT_MODELS_DIR must be defined by the build"
#endif

namespace proctor::biometrics {
namespace {

bool IsRegularFile(const std::string& path) {
  return platform::KindOf(path) == platform::FileKind::kRegular;
}

}  // namespace

std::string ResolveModelsDir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (auto env = platform::GetEnv("PROCTOR_MODELS"); env && !env->empty()) return *env;
#ifdef _WIN32
  // An installed client (the installer, the portable zip) keeps models/ beside itself.
  const std::string beside = platform::ExecutableDir();
  if (!beside.empty() &&
      platform::KindOf(beside + "/models/manifest.tsv") == platform::FileKind::kRegular) {
    return beside + "/models";
  }
#endif
  return PROCTOR_DEFAULT_MODELS_DIR;
}

absl::StatusOr<std::string> FindModelFile(const std::string& models_dir,
                                          const std::string& file_name) {
  const std::string path = absl::StrCat(models_dir, "/", file_name);
  if (IsRegularFile(path)) return path;
  if (file_name == kShapePredictorFile) {
    if (IsRegularFile(kSystemShapePredictorPath)) return std::string(kSystemShapePredictorPath);
    return absl::NotFoundError(
        absl::StrCat("face landmark model not found at ", path, " nor ", kSystemShapePredictorPath,
                     " — install it with: sudo apt-get install libdlib-data"));
  }
  return absl::NotFoundError(absl::StrCat(
      "face model not found: ", path,
      " — run scripts/setup.sh (or models/fetch-models.sh) to fetch and convert it, or point "
      "--models / PROCTOR_MODELS at a directory that holds it"));
}

}  // namespace proctor::biometrics
