#include "biometrics/model_files.h"

#include <sys/stat.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#ifndef PROCTOR_DEFAULT_MODELS_DIR
#error "PROCTOR_DEFAULT_MODELS_DIR must be defined by the build"
#endif

namespace proctor::biometrics {
namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string ResolveModelsDir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("PROCTOR_MODELS"); env != nullptr && *env != '\0') return env;
  return PROCTOR_DEFAULT_MODELS_DIR;
}

absl::StatusOr<std::string> FindModelFile(const std::string& models_dir,
                                          const std::string& file_name) {
  const std::string path = absl::StrCat(models_dir, "/", file_name);
  if (IsRegularFile(path)) return path;
  if (file_name == kShapePredictorFile) {
    if (IsRegularFile(kSystemShapePredictorPath)) return std::string(kSystemShapePredictorPath);
    return absl::NotFoundError(absl::StrCat(
        "face landmark model not found at ", path, " nor ", kSystemShapePredictorPath,
        " — install it with: sudo apt-get install libdlib-data"));
  }
  return absl::NotFoundError(absl::StrCat(
      "face model not found: ", path,
      " — run scripts/setup.sh (or models/fetch-models.sh) to fetch and convert it, or point "
      "--models / PROCTOR_MODELS at a directory that holds it"));
}

}  // namespace proctor::biometrics
