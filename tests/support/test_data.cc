#include "tests/support/test_data.h"

#include <sys/stat.h>

#include <cstdlib>

namespace proctor::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

std::string ModelsDir() { return EnvOr("PROCTOR_MODELS", PROCTOR_SOURCE_DIR "/models"); }

std::string LabelledFacesDir() {
  return EnvOr("PROCTOR_TESTDATA", PROCTOR_SOURCE_DIR "/../shared/testdata") + "/faces";
}

std::string DemoPhotosDir() {
  return EnvOr("PROCTOR_CACHE", PROCTOR_SOURCE_DIR "/.cache") + "/face-api-1.7.15/package/demo";
}

bool DirectoryExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool MissingTestdataAllowed() {
  auto is_set = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && (std::string(value) == "1" || std::string(value) == "true");
  };
  return !is_set("CI") && !is_set("PROCTOR_REQUIRE_TESTDATA");
}

}  // namespace proctor::testing
