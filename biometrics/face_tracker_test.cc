// FaceTracker on frames made by the test: a patch of a face-api demo group photo (faces and
// clothes: real texture) pasted on a plain tiled wall, moved, removed or replaced.
#include "biometrics/face_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "biometrics/image_codec.h"
#include "tests/support/test_data.h"

namespace proctor::biometrics {
namespace {

constexpr int kW = 640, kH = 480, kPatch = 150;

// A wall of 20 px tiles, two greys, like the sample video's background.
Image Wall() {
  Image wall = Image::Blank(kW, kH);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      const uint8_t v = ((x / 20 + y / 20) % 2) ? 165 : 190;
      std::fill_n(&wall.rgb[(static_cast<size_t>(y) * kW + x) * 3], 3, v);
    }
  }
  return wall;
}

// `wall` with the kPatch-square of `photo` at (sx, sy) pasted at (x, y).
Image Paste(const Image& wall, const Image& photo, int sx, int sy, int x, int y) {
  Image out = wall;
  for (int r = 0; r < kPatch; ++r) {
    const uint8_t* src = &photo.rgb[(static_cast<size_t>(sy + r) * photo.width + sx) * 3];
    std::copy(src, src + kPatch * 3, &out.rgb[(static_cast<size_t>(y + r) * kW + x) * 3]);
  }
  return out;
}

class FaceTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto photo = ReadImageFile(testing::DemoPhotosDir() + "/sample1.jpg", {});
    ASSERT_TRUE(photo.ok()) << photo.status() << " (run scripts/setup.sh)";
    photo_ = std::move(*photo);
    ASSERT_GE(photo_.width, 2 * kPatch);
    ASSERT_GE(photo_.height, 2 * kPatch);
    wall_ = Wall();
  }
  // Two different patches of the photo (different people / clothes).
  Image At(int x, int y, int which = 0) const {
    const int sx = which == 0 ? photo_.width / 2 - kPatch : photo_.width / 2;
    return Paste(wall_, photo_, sx, photo_.height / 2 - kPatch / 2, x, y);
  }

  Image photo_, wall_;
};

TEST_F(FaceTrackerTest, FollowsAPatchMovingAcrossFrames) {
  FaceTracker tracker;
  tracker.Start(At(100, 160), {100, 160, kPatch, kPatch});
  ASSERT_TRUE(tracker.tracking());
  // 12 px right and 4 px down per frame: a learner shifting in the chair at 3 frames/s.
  for (int k = 1; k <= 15; ++k) {
    const int x = 100 + 12 * k, y = 160 + 4 * k;
    auto tracked = tracker.Update(At(x, y));
    ASSERT_TRUE(tracked.has_value());
    SCOPED_TRACE(k);
    EXPECT_NEAR(tracked->box.x, x, 4);
    EXPECT_NEAR(tracked->box.y, y, 4);
    EXPECT_NEAR(tracked->box.width, kPatch, 8);
    EXPECT_GT(tracked->confidence, 15);
  }
}

TEST_F(FaceTrackerTest, ConfidenceFallsWhenThePatchLeavesOrIsReplaced) {
  FaceTracker tracker;
  tracker.Start(At(240, 160), {240, 160, kPatch, kPatch});
  ASSERT_GT(tracker.Update(At(240, 160))->confidence, 15);
  auto gone = tracker.Update(wall_);
  ASSERT_TRUE(gone.has_value());
  EXPECT_LT(gone->confidence, 10);

  tracker.Start(At(240, 160), {240, 160, kPatch, kPatch});
  ASSERT_GT(tracker.Update(At(240, 160))->confidence, 15);
  auto replaced = tracker.Update(At(240, 160, /*which=*/1));
  ASSERT_TRUE(replaced.has_value());
  EXPECT_LT(replaced->confidence, 10);
}

TEST_F(FaceTrackerTest, AnswersNothingWhenStoppedOrGivenAnotherFrameSize) {
  FaceTracker tracker;
  EXPECT_FALSE(tracker.tracking());
  EXPECT_FALSE(tracker.Update(At(240, 160)).has_value());
  tracker.Start(At(240, 160), {240, 160, 0, kPatch});  // empty box: not started
  EXPECT_FALSE(tracker.tracking());
  tracker.Start(At(240, 160), {240, 160, kPatch, kPatch});
  EXPECT_TRUE(tracker.tracking());
  EXPECT_FALSE(tracker.Update(Image::Blank(320, 240)).has_value());
  EXPECT_FALSE(tracker.Update(Image{}).has_value());
  EXPECT_TRUE(tracker.Update(At(240, 160)).has_value());
  tracker.Stop();
  EXPECT_FALSE(tracker.tracking());
  EXPECT_FALSE(tracker.Update(At(240, 160)).has_value());
}

}  // namespace
}  // namespace proctor::biometrics
