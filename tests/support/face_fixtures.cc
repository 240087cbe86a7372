#include "tests/support/face_fixtures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "biometrics/face_analyzer.h"
#include "biometrics/image_codec.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

biometrics::Image Crop(const biometrics::Image& image, const biometrics::Rect& r) {
  biometrics::Image out = biometrics::Image::Blank(r.width, r.height);
  for (int y = 0; y < r.height; ++y) {
    const uint8_t* src = image.rgb.data() + (static_cast<size_t>(r.y + y) * image.width + r.x) * 3;
    std::copy(src, src + r.width * 3, out.rgb.data() + static_cast<size_t>(y) * r.width * 3);
  }
  return out;
}

std::vector<float> ToVector(const biometrics::Descriptor& d) {
  return std::vector<float>(d.begin(), d.end());
}

// One single-face sample from a detected face, or nothing when the crop is ambiguous.
bool MakeSample(biometrics::FaceAnalyzer& analyzer, const biometrics::Image& image,
                const biometrics::FaceAnalysis& face, const std::string& source, FaceSample* out) {
  const auto& b = face.detection.box;
  const int margin = b.width * 6 / 10;
  const biometrics::Rect r = biometrics::ClipToImage(
      {b.x - margin, b.y - margin, b.width + 2 * margin, b.height + 2 * margin}, image.width,
      image.height);
  const biometrics::Image crop = Crop(image, r);
  auto faces = analyzer.Analyze(crop);
  if (!faces.ok() || faces->size() != 1 || !faces->front().chip) return false;
  auto mirrored = analyzer.Analyze(biometrics::MirrorHorizontally(crop));
  if (!mirrored.ok() || mirrored->size() != 1) return false;
  auto photo = biometrics::EncodeJpeg(crop, 92);
  auto chip = biometrics::EncodeJpeg(*faces->front().chip, 90);
  if (!photo.ok() || !chip.ok()) return false;
  out->source = source;
  out->photo_jpeg = std::move(*photo);
  out->chip_jpeg = std::move(*chip);
  out->descriptor = ToVector(*faces->front().descriptor);
  out->mirrored_descriptor = ToVector(*mirrored->front().descriptor);
  return true;
}

}  // namespace

std::vector<FaceSample> DistinctDemoPeople() {
  std::vector<FaceSample> people;
  for (size_t count : {3, 4, 5}) {
    for (FaceSample& sample : DemoFaces(count)) {
      const bool seen = std::any_of(people.begin(), people.end(), [&](const FaceSample& p) {
        double sum = 0;
        for (size_t k = 0; k < p.descriptor.size(); ++k) {
          sum += (p.descriptor[k] - sample.descriptor[k]) * (p.descriptor[k] - sample.descriptor[k]);
        }
        return std::sqrt(sum) < 0.5;
      });
      if (!seen) people.push_back(std::move(sample));
    }
  }
  return people;
}

std::vector<FaceSample> DemoFaces(size_t count) {
  biometrics::FaceAnalyzerOptions options;
  options.models_dir = ModelsDir();
  options.keep_chips = true;
  auto analyzer = biometrics::FaceAnalyzer::Create(options);
  if (!analyzer.ok()) {
    ADD_FAILURE() << "face models: " << analyzer.status();
    return {};
  }
  for (const char* name : {"sample1.jpg", "sample6.jpg", "sample3.jpg", "sample5.jpg"}) {
    const std::string path = DemoPhotosDir() + "/" + name;
    auto image = biometrics::ReadImageFile(path, {});
    if (!image.ok()) continue;
    auto faces = (*analyzer)->Analyze(*image);
    if (!faces.ok()) continue;
    std::vector<FaceSample> samples;
    for (size_t i = 0; i < faces->size(); ++i) {
      FaceSample s;
      if (MakeSample(**analyzer, *image, (*faces)[i], std::string(name) + "#" + std::to_string(i),
                     &s)) {
        samples.push_back(std::move(s));
      }
    }
    if (samples.size() >= count) return samples;
  }
  ADD_FAILURE() << "no demo photo in " << DemoPhotosDir() << " gave " << count
                << " single-face crops (run scripts/setup.sh)";
  return {};
}

std::vector<uint8_t> WeakPhoto(const FaceSample& sample, std::vector<float>* descriptor) {
  biometrics::FaceAnalyzerOptions options;
  options.models_dir = ModelsDir();
  auto analyzer = biometrics::FaceAnalyzer::Create(options);
  auto photo = biometrics::DecodeImage(sample.photo_jpeg.data(), sample.photo_jpeg.size(), {});
  if (!analyzer.ok() || !photo.ok()) {
    ADD_FAILURE() << "weak photo: " << (analyzer.ok() ? photo.status() : analyzer.status());
    return {};
  }
  biometrics::Image small =
      biometrics::ResizeImage(*photo, photo->width * 2 / 5, photo->height * 2 / 5);
  for (uint8_t& v : small.rgb) v = static_cast<uint8_t>(v * 6 / 10);
  auto jpeg =
      biometrics::EncodeJpeg(biometrics::ResizeImage(small, photo->width, photo->height), 20);
  if (!jpeg.ok()) return {};
  auto decoded = biometrics::DecodeImage(jpeg->data(), jpeg->size(), {});
  auto faces = decoded.ok() ? (*analyzer)->Analyze(*decoded) : decoded.status();
  if (!faces.ok() || faces->size() != 1) {
    ADD_FAILURE() << "weak photo of " << sample.source << ": no single face found";
    return {};
  }
  *descriptor = ToVector(*faces->front().descriptor);
  return std::move(*jpeg);
}

}  // namespace proctor::testing
