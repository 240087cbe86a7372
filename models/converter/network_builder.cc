#include "models/converter/network_builder.h"

#include <cstdio>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "biometrics/dlib_face_net.h"

namespace proctor::models {
namespace {

using Net = biometrics::internal::FaceRecognitionNet;

// dlib's affine_ starts in fully-connected mode; the network needs per-channel (CONV) mode.
struct SetAffineConvMode {
  void operator()(dlib::affine_& layer) const { layer = dlib::affine_(dlib::CONV_MODE); }
  template <typename Layer>
  void operator()(Layer&) const {}
};

// Collects the parameter-holding layers. visit_computational_layers walks from the output
// towards the input, so the lists come out reversed.
struct LayerCollector {
  struct Conv {
    dlib::tensor* params;
    long filters, rows, cols;
  };
  std::vector<Conv>* convs;
  std::vector<dlib::affine_*>* affines;
  dlib::tensor** fc;

  template <long F, long R, long C, int SY, int SX, int PY, int PX>
  void operator()(dlib::con_<F, R, C, SY, SX, PY, PX>& layer) const {
    convs->push_back(Conv{&layer.get_layer_params(), F, R, C});
  }
  void operator()(dlib::affine_& layer) const { affines->push_back(&layer); }
  template <unsigned long N, dlib::fc_bias_mode M>
  void operator()(dlib::fc_<N, M>& layer) const { *fc = &layer.get_layer_params(); }
  template <typename Layer>
  void operator()(Layer&) const {}
};

absl::Status ExpectTensor(const WeightTensor& t, const std::string& suffix,
                          const std::vector<int64_t>& shape) {
  if (!absl::EndsWith(t.name, suffix)) {
    return absl::InvalidArgumentError(absl::StrCat("expected a tensor ending in '", suffix,
                                                   "', found '", t.name, "'"));
  }
  if (t.shape != shape) {
    std::string want, got;
    for (int64_t d : shape) absl::StrAppend(&want, d, " ");
    for (int64_t d : t.shape) absl::StrAppend(&got, d, " ");
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", t.name, " has shape [ ", got, "], the network needs [ ", want, "]"));
  }
  return absl::OkStatus();
}

// Fills one conv layer and its affine from the four tensors of one face-api prefix.
absl::Status FillBlock(const WeightTensor* t, const LayerCollector::Conv& conv,
                       dlib::affine_& affine) {
  const int64_t out = conv.filters, h = conv.rows, w = conv.cols;
  const int64_t in = static_cast<int64_t>(conv.params->size() - out) / (out * h * w);
  if (absl::Status s = ExpectTensor(t[0], "/conv/filters", {h, w, in, out}); !s.ok()) return s;
  if (absl::Status s = ExpectTensor(t[1], "/conv/bias", {out}); !s.ok()) return s;
  if (absl::Status s = ExpectTensor(t[2], "/scale/weights", {out}); !s.ok()) return s;
  if (absl::Status s = ExpectTensor(t[3], "/scale/biases", {out}); !s.ok()) return s;
  // TensorFlow stores filters as [h, w, in, out]; dlib as [out, in, h, w], biases after them.
  float* dst = conv.params->host();
  const float* src = t[0].values.data();
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          dst[((o * in + i) * h + y) * w + x] = src[((y * w + x) * in + i) * out + o];
  std::copy(t[1].values.begin(), t[1].values.end(), dst + out * in * h * w);
  auto gamma = affine.get_gamma();
  auto beta = affine.get_beta();
  if (gamma.size() != static_cast<size_t>(out) || beta.size() != static_cast<size_t>(out)) {
    return absl::InternalError(absl::StrCat("affine layer after ", t[0].name, " has ",
                                            gamma.size(), " channels, expected ", out));
  }
  std::copy(t[2].values.begin(), t[2].values.end(), gamma.host());
  std::copy(t[3].values.begin(), t[3].values.end(), beta.host());
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildAndWriteNetwork(const std::vector<WeightTensor>& tensors,
                                  const std::string& output_path, const ProgressFn& progress) {
  progress("building dlib's ResNet and allocating its parameters");
  Net net;
  dlib::visit_computational_layers(net, SetAffineConvMode{});
  // Parameters exist only after the first forward pass.
  dlib::matrix<dlib::rgb_pixel> dummy(150, 150);
  dummy = dlib::rgb_pixel(128, 128, 128);
  net(dummy);

  std::vector<LayerCollector::Conv> convs;
  std::vector<dlib::affine_*> affines;
  dlib::tensor* fc = nullptr;
  dlib::visit_computational_layers(net, LayerCollector{&convs, &affines, &fc});
  std::reverse(convs.begin(), convs.end());
  std::reverse(affines.begin(), affines.end());
  const size_t expected = convs.size() * 4 + 1;
  if (convs.size() != affines.size() || fc == nullptr || tensors.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("the network has ", convs.size(),
                                                   " conv layers, so it needs ", expected,
                                                   " tensors; the weights hold ", tensors.size()));
  }

  progress(absl::StrCat("copying ", tensors.size(), " tensors into ", convs.size(),
                        " conv/affine pairs and the 256x128 projection"));
  for (size_t k = 0; k < convs.size(); ++k) {
    if (absl::Status s = FillBlock(&tensors[k * 4], convs[k], *affines[k]); !s.ok()) return s;
  }
  const WeightTensor& fc_weights = tensors.back();
  if (absl::Status s = ExpectTensor(fc_weights, "fc", {256, 128}); !s.ok()) return s;
  if (fc->size() != fc_weights.values.size()) {
    return absl::InternalError("fc layer size does not match the fc tensor");
  }
  // dlib's fc_ computes x * W with W stored [inputs, outputs] row-major, as TensorFlow does.
  std::copy(fc_weights.values.begin(), fc_weights.values.end(), fc->host());

  progress(absl::StrCat("writing ", output_path));
  const std::string temp_path = output_path + ".tmp";
  try {
    net.clean();  // drop cached activations, or the file grows from 22.5 to 26 MB
    dlib::serialize(temp_path) << net;
  } catch (const std::exception& e) {
    std::remove(temp_path.c_str());
    return absl::InternalError(absl::StrCat("writing ", temp_path, ": ", e.what()));
  }
  if (std::rename(temp_path.c_str(), output_path.c_str()) != 0) {
    std::remove(temp_path.c_str());
    return absl::InternalError(absl::StrCat("renaming ", temp_path, " to ", output_path));
  }
  return absl::OkStatus();
}

}  // namespace proctor::models
