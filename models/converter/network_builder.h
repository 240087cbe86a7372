// Maps face-api's recognition tensors onto dlib's face recognition ResNet and writes the result
// as a dlib .dat file that FaceEmbedder (and dlib itself) loads.
#ifndef PROCTOR_MODELS_CONVERTER_NETWORK_BUILDER_H_
#define PROCTOR_MODELS_CONVERTER_NETWORK_BUILDER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "models/converter/face_api_weights.h"

namespace proctor::models {

// Called with a short description of each step as it starts.
using ProgressFn = std::function<void(const std::string&)>;

// Builds the network from `tensors` (117 of them, in face-api's order: 29 conv/scale groups of
// four, then "fc") and serializes it to `output_path` (written to a temporary name, then renamed,
// so a failed run never leaves a half file). INVALID_ARGUMENT when names or shapes disagree with
// the network; INTERNAL when writing fails.
absl::Status BuildAndWriteNetwork(const std::vector<WeightTensor>& tensors,
                                  const std::string& output_path, const ProgressFn& progress);

}  // namespace proctor::models

#endif  // PROCTOR_MODELS_CONVERTER_NETWORK_BUILDER_H_
