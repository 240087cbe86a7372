// Milliseconds per stage of the face pipeline on one 640x480 webcam-sized frame, one thread.
//
//   build/release/tests/face_pipeline_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
//
// Targets (issue 2): whole pipeline <= 40 ms median, descriptor <= 16 ms. The first benchmark,
// decoding the same frame from JPEG, is the in-run baseline the others are read against.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "biometrics/face_aligner.h"
#include "biometrics/face_analyzer.h"
#include "biometrics/face_detector.h"
#include "biometrics/face_embedder.h"
#include "biometrics/image_codec.h"
#include "biometrics/landmark_locator.h"
#include "biometrics/model_files.h"
#include "tests/support/test_data.h"

namespace proctor::biometrics {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "face_pipeline_bench: %s\n", what.c_str());
  std::exit(1);
}

// A 640x480 frame holding one face at webcam scale: the single-person demo photo, scaled down.
struct Fixture {
  Image frame;
  std::vector<uint8_t> frame_jpeg;
  std::unique_ptr<FaceDetector> detector;
  std::unique_ptr<LandmarkLocator> locator;
  std::unique_ptr<FaceEmbedder> embedder;
  std::unique_ptr<FaceAnalyzer> analyzer;
  DetectedFace face;
  Landmarks landmarks;
  Image chip;

  Fixture() {
    const std::string photo = proctor::testing::DemoPhotosDir() + "/sample2.jpg";
    auto image = ReadImageFile(photo, ImageLimits{});
    if (!image.ok()) Die(std::string(image.status().message()) + " — run scripts/setup.sh");
    frame = ResizeImage(*image, 640, 480);
    frame_jpeg = *EncodeJpeg(frame, 85);
    const std::string models = proctor::testing::ModelsDir();
    detector = *FaceDetector::Create({});
    auto loc = LandmarkLocator::Load(*FindModelFile(models, kShapePredictorFile));
    if (!loc.ok()) Die(std::string(loc.status().message()));
    locator = std::move(*loc);
    auto emb = FaceEmbedder::Load(models + "/" + kRecognitionModelFile);
    if (!emb.ok()) Die(std::string(emb.status().message()));
    embedder = std::move(*emb);
    FaceAnalyzerOptions options;
    options.models_dir = models;
    analyzer = std::move(*FaceAnalyzer::Create(options));
    const std::vector<DetectedFace> faces = detector->Detect(frame);
    if (faces.size() != 1) Die("expected one face in the benchmark frame");
    face = faces[0];
    landmarks = locator->Locate(frame, face.box);
    chip = ExtractFaceChip(frame, face.box, landmarks);
  }
};

}  // namespace

Fixture& F() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

namespace {

void BM_Baseline_DecodeJpeg640x480(benchmark::State& state) {
  for (auto _ : state) {
    auto image = DecodeImage(F().frame_jpeg.data(), F().frame_jpeg.size(), ImageLimits{});
    benchmark::DoNotOptimize(image);
  }
}

void BM_Detect_Hog(benchmark::State& state) {
  auto detector = *FaceDetector::Create({static_cast<int>(state.range(0)), 0.0});
  for (auto _ : state) benchmark::DoNotOptimize(detector->Detect(F().frame));
}

void BM_Landmarks68(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().locator->Locate(F().frame, F().face.box));
}

void BM_AlignChip150(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ExtractFaceChip(F().frame, F().face.box, F().landmarks));
  }
}

void BM_Descriptor(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().embedder->Embed(F().chip));
}

// Detect + landmarks + chip + descriptor, as the client runs it (plus pose, eyes, quality).
void BM_WholePipeline(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().analyzer->Analyze(F().frame));
}

BENCHMARK(BM_Baseline_DecodeJpeg640x480)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Detect_Hog)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Landmarks68)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AlignChip150)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Descriptor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WholePipeline)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace proctor::biometrics

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  proctor::biometrics::F();  // load models and the frame before any timing starts
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
