#include "models/converter/face_api_weights.h"

#include <gtest/gtest.h>

#include <cstring>

namespace proctor::models {
namespace {

std::vector<uint8_t> FloatBytes(const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

const char kManifest[] = R"([{"paths": ["x.bin"], "weights": [
  {"name": "a/q", "shape": [2, 2], "dtype": "float32",
   "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
  {"name": "b/f", "shape": [3], "dtype": "float32"}
]}])";

TEST(DecodeWeightsTest, DequantizesUint8AndCopiesFloat32InOrder) {
  std::vector<uint8_t> bytes = {0, 1, 2, 10};
  const std::vector<uint8_t> f = FloatBytes({1.5f, -2.25f, 3.0f});
  bytes.insert(bytes.end(), f.begin(), f.end());
  auto tensors = DecodeWeights(kManifest, bytes);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name, "a/q");
  EXPECT_EQ((*tensors)[0].values, (std::vector<float>{-1.0f, -0.5f, 0.0f, 4.0f}));
  EXPECT_EQ((*tensors)[1].shape, (std::vector<int64_t>{3}));
  EXPECT_EQ((*tensors)[1].values, (std::vector<float>{1.5f, -2.25f, 3.0f}));
}

TEST(DecodeWeightsTest, TruncatedWeightsAreRefused) {
  std::vector<uint8_t> bytes = {0, 1, 2, 10, 0, 0};  // float tensor cut short
  auto tensors = DecodeWeights(kManifest, bytes);
  ASSERT_FALSE(tensors.ok());
  EXPECT_EQ(tensors.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tensors.status().message().find("b/f"), std::string::npos);
}

TEST(DecodeWeightsTest, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = {0, 1, 2, 10};
  const std::vector<uint8_t> f = FloatBytes({1, 2, 3, 4});
  bytes.insert(bytes.end(), f.begin(), f.end());
  auto tensors = DecodeWeights(kManifest, bytes);
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.status().message().find("describes 16"), std::string::npos);
}

TEST(DecodeWeightsTest, MalformedManifestIsAClearError) {
  EXPECT_EQ(DecodeWeights("{not json", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(DecodeWeights("[]", {}).ok());
  EXPECT_FALSE(DecodeWeights(R"([{"weights": [{"name": "x", "shape": [1], "dtype": "int32"}]}])",
                             {0, 0, 0, 0})
                   .ok());
}

TEST(ReadWeightsTest, MissingManifestNamesThePath) {
  auto tensors = ReadWeights("/nonexistent/manifest.json");
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.status().message().find("/nonexistent/manifest.json"), std::string::npos);
}

}  // namespace
}  // namespace proctor::models
