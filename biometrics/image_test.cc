#include "biometrics/image.h"

#include <gtest/gtest.h>

namespace proctor::biometrics {
namespace {

TEST(ImageTest, BlankIsConsistentAndZeroed) {
  Image image = Image::Blank(4, 3);
  EXPECT_TRUE(image.IsConsistent());
  EXPECT_FALSE(image.empty());
  EXPECT_EQ(image.rgb.size(), 36u);
  for (uint8_t v : image.rgb) EXPECT_EQ(v, 0);
}

TEST(ImageTest, InconsistentBufferIsDetected) {
  Image image = Image::Blank(4, 3);
  image.rgb.pop_back();
  EXPECT_FALSE(image.IsConsistent());
}

TEST(ImageTest, MirrorSwapsColumnsAndTwiceIsIdentity) {
  Image image = Image::Blank(3, 2);
  for (size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = static_cast<uint8_t>(i);
  const Image mirrored = MirrorHorizontally(image);
  // pixel (0, 1) of the mirror is pixel (2, 1) of the original
  EXPECT_EQ(mirrored.rgb[(1 * 3 + 0) * 3], image.rgb[(1 * 3 + 2) * 3]);
  EXPECT_EQ(MirrorHorizontally(mirrored).rgb, image.rgb);
}

TEST(ImageTest, ClipToImageTrimsBoxesPastTheBorder) {
  const Rect r = ClipToImage(Rect{-10, 5, 30, 100}, 15, 50);
  EXPECT_EQ(r.x, 0);
  EXPECT_EQ(r.y, 5);
  EXPECT_EQ(r.width, 15);
  EXPECT_EQ(r.height, 45);
  const Rect outside = ClipToImage(Rect{100, 100, 10, 10}, 15, 50);
  EXPECT_EQ(outside.width, 0);
}

}  // namespace
}  // namespace proctor::biometrics

namespace proctor::biometrics {
namespace {

TEST(ResizeImageTest, ShrinksAndKeepsFlatColour) {
  Image image = Image::Blank(40, 20);
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    image.rgb[i] = 200;
    image.rgb[i + 1] = 100;
    image.rgb[i + 2] = 50;
  }
  const Image small = ResizeImage(image, 10, 5);
  ASSERT_EQ(small.width, 10);
  ASSERT_EQ(small.height, 5);
  ASSERT_TRUE(small.IsConsistent());
  EXPECT_EQ(small.rgb[0], 200);
  EXPECT_EQ(small.rgb[1], 100);
  EXPECT_EQ(small.rgb[2], 50);
}

}  // namespace
}  // namespace proctor::biometrics
