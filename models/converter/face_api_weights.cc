#include "models/converter/face_api_weights.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"

namespace proctor::models {
namespace {

constexpr size_t kMaxShardBytes = size_t{256} << 20;

int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Decodes one tensor starting at weights[offset]; advances offset past it.
absl::Status DecodeTensor(const nlohmann::json& spec, const std::vector<uint8_t>& weights,
                          size_t& offset, WeightTensor& out) {
  out.name = spec.at("name").get<std::string>();
  out.shape = spec.at("shape").get<std::vector<int64_t>>();
  for (int64_t d : out.shape) {
    if (d <= 0 || d > (1 << 20)) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", out.name, " has a bad shape"));
    }
  }
  if (spec.at("dtype").get<std::string>() != "float32") {
    return absl::InvalidArgumentError(absl::StrCat("tensor ", out.name, " is not float32"));
  }
  const int64_t count = ElementCount(out.shape);
  const bool quantized = spec.contains("quantization");
  const size_t bytes = static_cast<size_t>(count) * (quantized ? 1 : 4);
  if (offset + bytes > weights.size()) {
    return absl::InvalidArgumentError(absl::StrCat("weights end inside tensor ", out.name, " (",
                                                   weights.size(), " bytes)"));
  }
  out.values.resize(static_cast<size_t>(count));
  const uint8_t* src = weights.data() + offset;
  if (quantized) {
    const nlohmann::json& q = spec.at("quantization");
    if (q.at("dtype").get<std::string>() != "uint8") {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", out.name, ": only uint8 quantization is supported"));
    }
    const double scale = q.at("scale").get<double>();
    const double min = q.at("min").get<double>();
    // As TensorFlow.js does: in double precision, then stored as float32.
    for (int64_t i = 0; i < count; ++i) out.values[i] = static_cast<float>(src[i] * scale + min);
  } else {
    static_assert(sizeof(float) == 4, "float32 expected");
    std::memcpy(out.values.data(), src, bytes);  // little-endian hosts only (x86-64, arm64)
  }
  offset += bytes;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<WeightTensor>> DecodeWeights(const std::string& manifest_json,
                                                        const std::vector<uint8_t>& weights) {
  std::vector<WeightTensor> tensors;
  size_t offset = 0;
  try {
    const nlohmann::json manifest = nlohmann::json::parse(manifest_json);
    if (!manifest.is_array() || manifest.empty()) {
      return absl::InvalidArgumentError("weights manifest must be a non-empty JSON array");
    }
    for (const nlohmann::json& group : manifest) {
      for (const nlohmann::json& spec : group.at("weights")) {
        WeightTensor tensor;
        if (absl::Status s = DecodeTensor(spec, weights, offset, tensor); !s.ok()) return s;
        tensors.push_back(std::move(tensor));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed weights manifest: ", e.what()));
  }
  if (offset != weights.size()) {
    return absl::InvalidArgumentError(absl::StrCat("weights hold ", weights.size(),
                                                   " bytes but the manifest describes ", offset));
  }
  return tensors;
}

absl::StatusOr<std::vector<WeightTensor>> ReadWeights(const std::string& manifest_path) {
  auto manifest_bytes = ReadFileBytes(manifest_path, size_t{16} << 20);
  if (!manifest_bytes.ok()) return manifest_bytes.status();
  const std::string manifest_json(manifest_bytes->begin(), manifest_bytes->end());
  const std::string dir = manifest_path.find('/') == std::string::npos
                              ? "."
                              : manifest_path.substr(0, manifest_path.rfind('/'));
  std::vector<uint8_t> weights;
  try {
    for (const nlohmann::json& group : nlohmann::json::parse(manifest_json)) {
      for (const nlohmann::json& shard : group.at("paths")) {
        const std::string path = absl::StrCat(dir, "/", shard.get<std::string>());
        auto bytes = ReadFileBytes(path, kMaxShardBytes);
        if (!bytes.ok()) return bytes.status();
        weights.insert(weights.end(), bytes->begin(), bytes->end());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed weights manifest ", manifest_path, ": ", e.what()));
  }
  return DecodeWeights(manifest_json, weights);
}

}  // namespace proctor::models
