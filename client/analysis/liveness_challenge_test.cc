#include "client/analysis/liveness_challenge.h"

#include <gtest/gtest.h>

namespace proctor::client {
namespace {

constexpr double kOpen = 0.30, kClosed = 0.15;

TEST(LivenessChallengeTest, ABlinkAndATurnWithinTheWindowPass) {
  LivenessChallenge c(15'000, 20);
  c.Start(1'000);
  c.set_neutral_known(true);
  EXPECT_EQ(c.prompt(), "blink, turn your head");
  EXPECT_FALSE(c.Observe(kOpen, 0, 1'100));
  EXPECT_FALSE(c.Observe(kClosed, 0, 1'200));
  EXPECT_FALSE(c.Observe(kOpen, 0, 1'300));  // the blink
  EXPECT_EQ(c.prompt(), "turn your head");
  EXPECT_FALSE(c.Observe(kOpen, 12, 2'000));
  auto d = c.Observe(kOpen, -24, 2'100);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->passed);
  EXPECT_EQ(d->detail, "blink seen, head turn seen (largest turn 24 deg of 20 needed)");
  EXPECT_FALSE(c.pending());
  EXPECT_EQ(c.prompt(), "");
  EXPECT_FALSE(c.Observe(kClosed, 0, 2'200)) << "decided once";
}

TEST(LivenessChallengeTest, AStillPhotoFailsWhenTheWindowRunsOutSayingWhatWasMissing) {
  LivenessChallenge c(5'000, 20);
  c.Start(0);
  c.set_neutral_known(true);
  for (int64_t at = 0; at < 5'000; at += 100) EXPECT_FALSE(c.Observe(kOpen, 3, at));
  auto d = c.Tick(5'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->passed);
  EXPECT_EQ(d->detail, "no blink seen, no head turn seen (largest turn 3 deg of 20 needed)");
}

TEST(LivenessChallengeTest, ASessionEndingFirstFailsAndSaysSo) {
  LivenessChallenge c(15'000, 20);
  c.Start(0);
  c.Observe(kOpen, std::nullopt, 100);
  c.Observe(kClosed, std::nullopt, 200);
  c.Observe(kOpen, std::nullopt, 300);
  auto d = c.End(/*neutral_known=*/false);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->passed);
  EXPECT_NE(d->detail.find("blink seen, no head turn seen"), std::string::npos) << d->detail;
  EXPECT_NE(d->detail.find("never seen clearly enough"), std::string::npos) << d->detail;
  EXPECT_NE(d->detail.find("the session ended first"), std::string::npos) << d->detail;
}

TEST(LivenessChallengeTest, AClosureTooLongIsNotABlinkAndAZeroWindowDisablesTheCheck) {
  LivenessChallenge c(15'000, 20);
  c.Start(0);
  c.Observe(kOpen, 30, 0);
  c.Observe(kClosed, 30, 100);
  EXPECT_FALSE(c.Observe(kOpen, 30, 900)) << "eyes closed 800 ms: not a blink";
  EXPECT_EQ(c.prompt(), "blink");
  LivenessChallenge off(0, 20);
  off.Start(0);
  EXPECT_FALSE(off.pending());
  EXPECT_FALSE(off.End(true).has_value());
  EXPECT_EQ(off.prompt(), "");
}

}  // namespace
}  // namespace proctor::client
