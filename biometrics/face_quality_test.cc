#include "biometrics/face_quality.h"

#include <gtest/gtest.h>

#include <random>

namespace proctor::biometrics {
namespace {

Image Noise(int side, uint8_t base, int amplitude) {
  Image image = Image::Blank(side, side);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-amplitude, amplitude);
  for (uint8_t& v : image.rgb) v = static_cast<uint8_t>(std::clamp(base + dist(rng), 0, 255));
  return image;
}

TEST(FaceQualityTest, SharpBrightLargeRegionIsUsable) {
  const QualityReport q = AssessFaceQuality(Noise(200, 128, 60), Rect{20, 20, 150, 150});
  EXPECT_TRUE(q.usable()) << q.Describe();
  EXPECT_EQ(q.Describe(), "ok");
  EXPECT_EQ(q.side_px, 150);
  EXPECT_NEAR(q.brightness, 128, 5);
}

TEST(FaceQualityTest, DarkFlatFrameIsTooDarkAndTooBlurry) {
  const QualityReport q = AssessFrameQuality(Noise(160, 10, 0));
  EXPECT_TRUE(q.too_dark);
  EXPECT_TRUE(q.too_blurry);
  EXPECT_FALSE(q.usable());
  EXPECT_EQ(q.Describe(), "too dark, too blurry");
}

TEST(FaceQualityTest, SmallFaceIsTooSmall) {
  const QualityReport q = AssessFaceQuality(Noise(200, 128, 60), Rect{0, 0, 50, 50});
  EXPECT_TRUE(q.too_small);
  EXPECT_FALSE(q.too_dark);
}

TEST(FaceQualityTest, BoxOutsideTheImageIsUnusableNotACrash) {
  const QualityReport q = AssessFaceQuality(Noise(100, 128, 60), Rect{500, 500, 80, 80});
  EXPECT_FALSE(q.usable());
  EXPECT_EQ(q.side_px, 0);
}

TEST(FaceQualityTest, OverexposedFrameIsTooBright) {
  EXPECT_TRUE(AssessFrameQuality(Noise(100, 250, 3)).too_bright);
}

}  // namespace
}  // namespace proctor::biometrics
