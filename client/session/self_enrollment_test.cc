#include "client/session/self_enrollment.h"

#include <gtest/gtest.h>

#include <memory>

#include "biometrics/image_codec.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/test_data.h"

namespace proctor::client {
namespace {

using biometrics::Image;

Image Decode(const std::vector<uint8_t>& jpeg) {
  auto image = biometrics::DecodeImage(jpeg.data(), jpeg.size(), biometrics::ImageLimits{});
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *image : Image{};
}

// Two images side by side on one grey canvas.
Image SideBySide(const Image& a, const Image& b) {
  Image out = Image::Blank(a.width + b.width, std::max(a.height, b.height));
  std::fill(out.rgb.begin(), out.rgb.end(), 128);
  for (int y = 0; y < a.height; ++y) {
    std::copy(a.rgb.begin() + y * a.stride(), a.rgb.begin() + (y + 1) * a.stride(),
              out.rgb.begin() + y * out.stride());
  }
  for (int y = 0; y < b.height; ++y) {
    std::copy(b.rgb.begin() + y * b.stride(), b.rgb.begin() + (y + 1) * b.stride(),
              out.rgb.begin() + y * out.stride() + a.stride());
  }
  return out;
}

// The given images as frames `step_ms` apart.
class Slides : public FrameSource {
 public:
  Slides(std::vector<Image> images, int64_t step_ms)
      : images_(std::move(images)), step_ms_(step_ms) {}
  absl::StatusOr<std::optional<Frame>> Next() override {
    if (next_ >= images_.size()) return std::optional<Frame>();
    Frame f{images_[next_], static_cast<int64_t>(next_) * step_ms_};
    ++next_;
    return std::optional<Frame>(std::move(f));
  }
  absl::Status SetSampleFps(double) override { return absl::OkStatus(); }
  bool realtime() const override { return false; }
  std::string Describe() const override { return "slides"; }
  size_t served() const { return next_; }

 private:
  std::vector<Image> images_;
  int64_t step_ms_;
  size_t next_ = 0;
};

class SelfEnrollmentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    biometrics::FaceAnalyzerOptions options;
    options.models_dir = proctor::testing::ModelsDir();
    auto analyzer = biometrics::FaceAnalyzer::Create(options);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status();
    analyzer_ = analyzer->release();
    faces_ = new std::vector<proctor::testing::FaceSample>(proctor::testing::DemoFaces(5));
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    delete faces_;
  }
  static Image Empty(int width = 320) {
    Image grey = Image::Blank(width, 240);
    std::fill(grey.rgb.begin(), grey.rgb.end(), 128);
    return grey;
  }
  static biometrics::FaceAnalyzer* analyzer_;
  static std::vector<proctor::testing::FaceSample>* faces_;
};
biometrics::FaceAnalyzer* SelfEnrollmentTest::analyzer_ = nullptr;
std::vector<proctor::testing::FaceSample>* SelfEnrollmentTest::faces_ = nullptr;

TEST_F(SelfEnrollmentTest, TakesSpacedPhotosOfTheOneFaceCroppedToIt) {
  ASSERT_GE(faces_->size(), 2u);
  // The demo's second person faces the camera (yaw ~13 degrees); the first is turned ~45.
  const Image face = Decode((*faces_)[1].photo_jpeg);
  // Put the face on a larger canvas, so that the crop has something to leave out.
  // (Narrow margins: the head pose solver assumes a focal length from the image's width.)
  const Image wide = SideBySide(SideBySide(Empty(80), face), Empty(80));
  std::vector<Image> frames = {Empty(), wide, wide, wide, wide, wide, wide};
  Slides source(frames, 500);
  std::vector<EnrollmentProgress> seen;
  auto photos = TakeEnrollmentPhotos(source, *analyzer_, EnrollmentPhotoOptions{},
                                     [&](const EnrollmentProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(photos.ok()) << photos.status();
  ASSERT_EQ(photos->size(), 3u);
  // Frames at 500, 1500 and 2500 ms: 1000 ms apart; the first (empty) frame says why not.
  EXPECT_EQ(source.served(), 6u);
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.front().hint.find("no face"), std::string::npos) << seen.front().hint;
  EXPECT_EQ(seen.back().taken, 3);
  for (const auto& jpeg : *photos) {
    const Image photo = Decode(jpeg);
    EXPECT_LT(photo.width, wide.width) << "cropped to the face";
    auto found = analyzer_->Analyze(photo);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_EQ(found->size(), 1u) << "the server's enrollment finds exactly one face in it";
    ASSERT_TRUE(found->front().descriptor.has_value());
  }
}

TEST_F(SelfEnrollmentTest, AFaceTurnedAwayIsNotAReferencePhoto) {
  ASSERT_GE(faces_->size(), 1u);
  Slides source(std::vector<Image>(3, Decode((*faces_)[0].photo_jpeg)), 500);
  auto photos = TakeEnrollmentPhotos(source, *analyzer_, EnrollmentPhotoOptions{});
  ASSERT_FALSE(photos.ok());
  EXPECT_NE(photos.status().message().find("look straight at the camera"), std::string::npos)
      << photos.status();
}

TEST_F(SelfEnrollmentTest, NobodyInViewIsToldAndNothingIsTaken) {
  Slides source(std::vector<Image>(4, Empty()), 500);
  auto photos = TakeEnrollmentPhotos(source, *analyzer_, EnrollmentPhotoOptions{});
  ASSERT_FALSE(photos.ok());
  EXPECT_EQ(photos.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(photos.status().message().find("0 of 3"), std::string::npos) << photos.status();
  EXPECT_NE(photos.status().message().find("no face"), std::string::npos) << photos.status();
}

TEST_F(SelfEnrollmentTest, TwoPeopleInViewAreNeverTaken) {
  ASSERT_GE(faces_->size(), 2u);
  const Image two = SideBySide(Decode((*faces_)[0].photo_jpeg), Decode((*faces_)[1].photo_jpeg));
  EnrollmentPhotoOptions options;
  options.give_up_after_ms = 2000;
  Slides source(std::vector<Image>(10, two), 500);
  auto photos = TakeEnrollmentPhotos(source, *analyzer_, options);
  ASSERT_FALSE(photos.ok());
  EXPECT_EQ(photos.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(photos.status().message().find("more than one face"), std::string::npos)
      << photos.status();
  EXPECT_EQ(source.served(), 5u) << "gave up after 2 s of frames";
}

TEST_F(SelfEnrollmentTest, BadOptionsAreRefused) {
  Slides source({}, 500);
  EnrollmentPhotoOptions options;
  options.photos = 6;
  EXPECT_EQ(TakeEnrollmentPhotos(source, *analyzer_, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.photos = 0;
  EXPECT_EQ(TakeEnrollmentPhotos(source, *analyzer_, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SelfEnrollmentTest, ALargeFaceIsScaledDownToTheLongestSideAllowed) {
  ASSERT_GE(faces_->size(), 2u);
  const Image face = Decode((*faces_)[1].photo_jpeg);
  const Image big = biometrics::ResizeImage(face, face.width * 2, face.height * 2);
  EnrollmentPhotoOptions options;
  options.photos = 1;
  options.max_side_px = 300;
  Slides source({big}, 500);
  auto photos = TakeEnrollmentPhotos(source, *analyzer_, options);
  ASSERT_TRUE(photos.ok()) << photos.status();
  ASSERT_EQ(photos->size(), 1u);
  const Image photo = Decode(photos->front());
  EXPECT_EQ(std::max(photo.width, photo.height), 300);
  auto found = analyzer_->Analyze(photo);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 1u) << "still one face the server can embed";
}

TEST(EnrollmentCropTest, GrowsTheFaceBoxAndStaysInsideTheImage) {
  const biometrics::Rect inside = EnrollmentCrop({100, 100, 50, 50}, 640, 480);
  EXPECT_EQ(inside.x, 70);
  EXPECT_EQ(inside.y, 70);
  EXPECT_EQ(inside.width, 110);
  EXPECT_EQ(inside.height, 110);
  const biometrics::Rect corner = EnrollmentCrop({0, 0, 100, 100}, 120, 120);
  EXPECT_EQ(corner.x, 0);
  EXPECT_EQ(corner.y, 0);
  EXPECT_EQ(corner.width, 120);
  EXPECT_EQ(corner.height, 120);
}

}  // namespace
}  // namespace proctor::client
