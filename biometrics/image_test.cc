#include "biometrics/image.h"

#include <gtest/gtest.h>

#include <string>

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

// The eight EXIF orientations on a 3x2 image whose pixels are the letters a-f:
//   a b c
//   d e f
// Each row of kShown is what a viewer shows for that orientation, rows joined by '/'.
TEST(ImageTest, ApplyExifOrientationMatchesTheTagsDefinition) {
  Image stored = Image::Blank(3, 2);
  for (int i = 0; i < 6; ++i) stored.rgb[i * 3] = static_cast<uint8_t>('a' + i);
  const char* kShown[9] = {nullptr,    "abc/def",  "cba/fed",  "fed/cba", "def/abc",
                           "ad/be/cf", "da/eb/fc", "fc/eb/da", "cf/be/ad"};
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const Image shown = ApplyExifOrientation(stored, orientation);
    ASSERT_TRUE(shown.IsConsistent());
    std::string text;
    for (int y = 0; y < shown.height; ++y) {
      if (y > 0) text += '/';
      for (int x = 0; x < shown.width; ++x)
        text += static_cast<char>(shown.rgb[(y * shown.width + x) * 3]);
    }
    EXPECT_EQ(text, kShown[orientation]) << "orientation " << orientation;
  }
  EXPECT_EQ(ApplyExifOrientation(stored, 0).rgb, stored.rgb);  // not a valid value: as stored
  EXPECT_EQ(ApplyExifOrientation(stored, 9).rgb, stored.rgb);
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
