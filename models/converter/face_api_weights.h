// Reads a TensorFlow.js weights manifest and its .bin shard(s) into float tensors, undoing the
// uint8 quantization. Knows nothing of dlib; the converter maps the tensors onto the network.
#ifndef PROCTOR_MODELS_CONVERTER_FACE_API_WEIGHTS_H_
#define PROCTOR_MODELS_CONVERTER_FACE_API_WEIGHTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace proctor::models {

struct WeightTensor {
  std::string name;            // e.g. "conv32_down/conv/filters"
  std::vector<int64_t> shape;  // TensorFlow order, e.g. [h, w, in, out] for a filter
  std::vector<float> values;   // row-major in `shape`
};

// Parses `manifest_json` (the text of *-weights_manifest.json) and decodes `weights` (the
// concatenated shard bytes, in manifest order). Each tensor is either plain little-endian
// float32 or uint8-quantized (value = q * scale + min). INVALID_ARGUMENT when the manifest is
// malformed, a dtype is unsupported, or the byte count does not match the manifest exactly.
absl::StatusOr<std::vector<WeightTensor>> DecodeWeights(const std::string& manifest_json,
                                                        const std::vector<uint8_t>& weights);

// Reads the manifest file and every shard it lists (relative to the manifest's folder).
absl::StatusOr<std::vector<WeightTensor>> ReadWeights(const std::string& manifest_path);

}  // namespace proctor::models

#endif  // PROCTOR_MODELS_CONVERTER_FACE_API_WEIGHTS_H_
