// proctor-model-convert: turns @vladmandic/face-api's TensorFlow.js recognition weights into
// dlib's dlib_face_recognition_resnet_model_v1.dat. Run by models/fetch-models.sh.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "models/converter/face_api_weights.h"
#include "models/converter/network_builder.h"

namespace {

struct ConvertOptions {
  std::string manifest_path;  // face_recognition_model-weights_manifest.json
  std::string output_path;    // the .dat to write
};

int RunConvert(const ConvertOptions& options) {
  int step = 0;
  auto progress = [&step](const std::string& what) {
    std::fprintf(stderr, "  [%d/4] %s\n", ++step, what.c_str());
  };
  progress("reading and dequantizing " + options.manifest_path);
  auto tensors = proctor::models::ReadWeights(options.manifest_path);
  if (!tensors.ok()) {
    std::fprintf(stderr, "proctor-model-convert: %s\n", tensors.status().ToString().c_str());
    return 1;
  }
  const absl::Status status =
      proctor::models::BuildAndWriteNetwork(*tensors, options.output_path, progress);
  if (!status.ok()) {
    std::fprintf(stderr, "proctor-model-convert: %s\n", status.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "  wrote %s\n", options.output_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"Convert @vladmandic/face-api recognition weights into a dlib network file"};
    ConvertOptions options;
    app.add_option("--manifest", options.manifest_path,
                   "face_recognition_model-weights_manifest.json (its .bin beside it)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--output", options.output_path, "dlib .dat file to write")->required();
    CLI11_PARSE(app, argc, argv);
    return RunConvert(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-model-convert: unexpected error: %s\n", e.what());
    return 1;
  }
}
