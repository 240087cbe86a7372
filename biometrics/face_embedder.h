// Computes the 128-d identity descriptor of an aligned 150x150 face chip with dlib's ResNet.
#ifndef PROCTOR_BIOMETRICS_FACE_EMBEDDER_H_
#define PROCTOR_BIOMETRICS_FACE_EMBEDDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_types.h"
#include "biometrics/image.h"

namespace proctor::biometrics {

// Not thread-safe: the network keeps its activations between calls. One embedder per thread;
// each holds its own ~22 MB copy of the weights.
class FaceEmbedder {
 public:
  // Loads the converted network from `model_path`. NOT_FOUND / DATA_LOSS with the path when the
  // file is missing or not this network. Also pins OpenBLAS to one thread (measured faster than
  // two for one descriptor, and the machine's other core is busy with capture and HOG).
  static absl::StatusOr<std::unique_ptr<FaceEmbedder>> Load(const std::string& model_path);
  ~FaceEmbedder();
  FaceEmbedder(const FaceEmbedder&) = delete;
  FaceEmbedder& operator=(const FaceEmbedder&) = delete;

  // Descriptor of one chip. INVALID_ARGUMENT unless the chip is kFaceChipSize square.
  absl::StatusOr<Descriptor> Embed(const Image& chip);
  // Descriptors of several chips in one forward pass, in input order.
  absl::StatusOr<std::vector<Descriptor>> EmbedBatch(const std::vector<Image>& chips);

 private:
  struct Impl;
  explicit FaceEmbedder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_EMBEDDER_H_
