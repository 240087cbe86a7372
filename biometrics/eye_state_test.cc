#include "biometrics/eye_state.h"

#include <gtest/gtest.h>

namespace proctor::biometrics {
namespace {

// Places both eyes as hexagons of the given width and lid opening.
Landmarks EyesWithOpening(float opening) {
  Landmarks l{};
  for (int first : {36, 42}) {
    const float cx = first == 36 ? 100.f : 160.f;
    l[first + 0] = {cx - 15, 100};            // corner
    l[first + 1] = {cx - 5, 100 - opening};   // upper lid
    l[first + 2] = {cx + 5, 100 - opening};
    l[first + 3] = {cx + 15, 100};            // corner
    l[first + 4] = {cx + 5, 100 + opening};   // lower lid
    l[first + 5] = {cx - 5, 100 + opening};
  }
  return l;
}

TEST(EyeAspectRatioTest, OpenAndClosedEyes) {
  // height 2 * 5 over width 30 -> 10 / 30
  EXPECT_NEAR(EyeAspectRatio(EyesWithOpening(5)), 10.0 / 30.0, 1e-6);
  EXPECT_NEAR(EyeAspectRatio(EyesWithOpening(1)), 2.0 / 30.0, 1e-6);
}

TEST(EyeAspectRatioTest, DegenerateLandmarksGiveZero) {
  EXPECT_EQ(EyeAspectRatio(Landmarks{}), 0.0);
}

TEST(BlinkDetectorTest, CountsAShortClosureAsABlink) {
  BlinkDetector blinks;
  EXPECT_FALSE(blinks.Update(0.30, 0));
  EXPECT_FALSE(blinks.Update(0.15, 100));
  EXPECT_FALSE(blinks.Update(0.12, 200));
  EXPECT_FALSE(blinks.Update(0.23, 250));  // between thresholds: still closed
  EXPECT_TRUE(blinks.Update(0.31, 300));
  EXPECT_EQ(blinks.blinks(), 1);
}

TEST(BlinkDetectorTest, LongClosureIsNotABlink) {
  BlinkDetector blinks;
  blinks.Update(0.30, 0);
  blinks.Update(0.10, 100);
  EXPECT_FALSE(blinks.Update(0.30, 2000));
  EXPECT_EQ(blinks.blinks(), 0);
}

TEST(BlinkDetectorTest, SteadyOpenEyesNeverBlink) {
  BlinkDetector blinks;
  for (int t = 0; t < 100; ++t) EXPECT_FALSE(blinks.Update(0.3, t * 33));
  EXPECT_EQ(blinks.blinks(), 0);
}

}  // namespace
}  // namespace proctor::biometrics
