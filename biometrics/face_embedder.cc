#include "biometrics/face_embedder.h"

#ifndef _WIN32
#include <dlfcn.h>
#endif

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "biometrics/dlib_face_net.h"
#include "biometrics/dlib_image_view.h"
#include "biometrics/face_aligner.h"
#include "common/platform.h"

namespace proctor::biometrics {
namespace {

// dlib links the generic libblas.so.3; when that is OpenBLAS, ask it for one thread. Looked up
// at run time so that the reference BLAS (which has no such call) also works.
void PinBlasToOneThread() {
#ifndef _WIN32
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    fn(1);
  }
#endif  // Windows: dlib is built with its own matrix code, no BLAS to pin.
}

}  // namespace

struct FaceEmbedder::Impl {
  internal::FaceRecognitionNet net;
};

absl::StatusOr<std::unique_ptr<FaceEmbedder>> FaceEmbedder::Load(const std::string& model_path) {
  std::ifstream in(platform::PathFromUtf8(model_path), std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("face recognition model not found: ", model_path));
  }
  auto impl = std::make_unique<Impl>();
  try {
    dlib::deserialize(impl->net, in);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("loading face recognition model ", model_path, ": ",
                                            e.what(),
                                            " — re-run models/fetch-models.sh to rebuild it"));
  }
  PinBlasToOneThread();
  return std::unique_ptr<FaceEmbedder>(new FaceEmbedder(std::move(impl)));
}

FaceEmbedder::FaceEmbedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceEmbedder::~FaceEmbedder() = default;

absl::StatusOr<Descriptor> FaceEmbedder::Embed(const Image& chip) {
  auto batch = EmbedBatch({chip});
  if (!batch.ok()) return batch.status();
  return batch->front();
}

absl::StatusOr<std::vector<Descriptor>> FaceEmbedder::EmbedBatch(const std::vector<Image>& chips) {
  std::vector<dlib::matrix<dlib::rgb_pixel>> inputs;
  inputs.reserve(chips.size());
  for (const Image& chip : chips) {
    if (chip.width != kFaceChipSize || chip.height != kFaceChipSize || !chip.IsConsistent()) {
      return absl::InvalidArgumentError(absl::StrCat("face chip must be ", kFaceChipSize, "x",
                                                     kFaceChipSize, " RGB, got ", chip.width, "x",
                                                     chip.height));
    }
    inputs.push_back(internal::ToDlibMatrix(chip));
  }
  std::vector<Descriptor> out;
  if (inputs.empty()) return out;
  const std::vector<dlib::matrix<float, 0, 1>> vectors = impl_->net(inputs);
  out.reserve(vectors.size());
  for (const auto& v : vectors) {
    Descriptor d;
    for (int i = 0; i < kDescriptorSize; ++i) d[i] = v(i);
    out.push_back(d);
  }
  return out;
}

}  // namespace proctor::biometrics
