#include "client/analysis/challenge_runner.h"

#include "gtest/gtest.h"

namespace proctor::client {
namespace {

using protocol::LivenessAction;

ChallengeFrame Facing(double ear = 0.3) {
  ChallengeFrame f;
  f.yaw_deg = 2;
  f.pitch_deg = -12;
  f.eye_aspect_ratio = ear;
  f.yaw_off_deg = 1;
  f.pitch_off_deg = -1;
  return f;
}

ChallengeFrame Doing(LivenessAction a) {
  ChallengeFrame f = Facing();
  if (a == LivenessAction::kTurnLeft) f.yaw_deg += 24;
  if (a == LivenessAction::kTurnRight) f.yaw_deg -= 24;
  if (a == LivenessAction::kLookUp) f.pitch_deg += 16;
  if (a == LivenessAction::kBlink) f.eye_aspect_ratio = 0.1;
  return f;
}

protocol::LivenessChallengeSpec Spec() {
  return *protocol::ChallengeFromNonce("0123456789abcdef0123456789abcdef");
}

TEST(ChallengeRunnerTest, StepsFollowThePromptsAndTheLastOnePasses) {
  ChallengeRunner r(Spec(), 15000);
  r.Start(0);
  EXPECT_EQ(r.wanted(), LivenessAction::kLookStraight);
  // Not yet facing: the neutral pose is unknown.
  ChallengeFrame unknown = Facing();
  unknown.yaw_off_deg.reset();
  EXPECT_FALSE(r.Observe(unknown, 500).step);
  auto first = r.Observe(Facing(), 1000);
  ASSERT_TRUE(first.step);
  EXPECT_EQ(first.step->index, 0);
  EXPECT_EQ(first.step->action, LivenessAction::kLookStraight);
  int64_t at = 1000;
  for (size_t i = 0; i < Spec().actions.size(); ++i) {
    const LivenessAction want = Spec().actions[i];
    EXPECT_EQ(r.wanted(), want);
    at += 100;
    EXPECT_FALSE(r.Observe(Doing(want), at).step) << "sooner than a person reacts";
    at += 400;
    // A blink is involuntary: while a turn is asked, it is neither the step nor a fault.
    if (want != LivenessAction::kBlink) {
      auto blink = r.Observe(Doing(LivenessAction::kBlink), at);
      EXPECT_FALSE(blink.step);
      EXPECT_FALSE(blink.decision);
    }
    auto o = r.Observe(Doing(want), at += 100);
    ASSERT_TRUE(o.step) << i;
    EXPECT_EQ(o.step->index, static_cast<int>(i + 1));
    EXPECT_EQ(o.step->action, want);
    EXPECT_EQ(o.step->nonce_hex, Spec().nonce_hex);
    if (i + 1 < Spec().actions.size()) {
      EXPECT_FALSE(o.decision);
    } else {
      ASSERT_TRUE(o.decision);
      EXPECT_TRUE(o.decision->passed) << o.decision->detail;
    }
  }
  EXPECT_FALSE(r.pending());
  EXPECT_EQ(r.wanted(), LivenessAction::kUnspecified);
}

// Footage that runs through every movement shows one that was not asked for before the one
// that was: the challenge ends there. Holding the last step's movement a little longer is fine.
TEST(ChallengeRunnerTest, AMovementNotAskedForEndsTheChallenge) {
  const auto spec = Spec();
  ChallengeRunner r(spec, 15000);
  r.Start(0);
  ASSERT_TRUE(r.Observe(Facing(), 1000).step);
  ASSERT_TRUE(r.Observe(Doing(spec.actions[0]), 2000).step);
  // Still holding step 1's movement while step 2 is asked: not a fault.
  auto held = r.Observe(Doing(spec.actions[0]), 2100);
  EXPECT_FALSE(held.decision);
  // A head movement that is neither asked nor held.
  LivenessAction stray = LivenessAction::kUnspecified;
  for (LivenessAction a : {LivenessAction::kTurnLeft, LivenessAction::kTurnRight,
                           LivenessAction::kLookUp}) {
    if (a != spec.actions[0] && a != spec.actions[1]) stray = a;
  }
  auto o = r.Observe(Doing(stray), 2600);
  ASSERT_TRUE(o.decision);
  EXPECT_FALSE(o.decision->passed);
  EXPECT_NE(o.decision->detail.find(protocol::LivenessActionName(stray) + " seen when " +
                                    protocol::LivenessActionName(spec.actions[1]) + " was asked"),
            std::string::npos)
      << o.decision->detail;
  EXPECT_FALSE(r.pending());
}

TEST(ChallengeRunnerTest, WindowsRunOutAndSayWhichStep) {
  ChallengeRunner never_facing(Spec(), 15000);
  never_facing.Start(0);
  EXPECT_FALSE(never_facing.Tick(15000));
  auto d = never_facing.Tick(15001);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->passed);
  EXPECT_NE(d->detail.find("not seen facing the camera"), std::string::npos) << d->detail;

  ChallengeRunner slow(Spec(), 15000);
  slow.Start(0);
  ASSERT_TRUE(slow.Observe(Facing(), 1000).step);
  EXPECT_FALSE(slow.Tick(1000 + Spec().step_window_ms - 500));
  d = slow.Tick(1000 + Spec().step_window_ms - 499);
  ASSERT_TRUE(d);
  EXPECT_NE(d->detail.find("step 1/5 " + protocol::LivenessActionName(Spec().actions[0])),
            std::string::npos)
      << d->detail;

  ChallengeRunner ended(Spec(), 15000);
  ended.Start(0);
  d = ended.End();
  ASSERT_TRUE(d);
  EXPECT_NE(d->detail.find("the session ended at step 0/5"), std::string::npos);
  EXPECT_FALSE(ended.End()) << "decided once";
}

TEST(ChallengeRunnerTest, ClosedEyesAreNotAReferenceAndAStillFaceNeverPasses) {
  ChallengeRunner r(Spec(), 15000);
  r.Start(0);
  EXPECT_FALSE(r.Observe(Facing(0.15), 1000).step) << "eyes closed at step 0";
  ASSERT_TRUE(r.Observe(Facing(), 1100).step);
  for (int64_t at = 1200; at < 1100 + Spec().step_window_ms - 500; at += 100) {
    auto o = r.Observe(Facing(), at);
    EXPECT_FALSE(o.step) << at;
    EXPECT_FALSE(o.decision) << at;
  }
  auto d = r.Tick(1100 + Spec().step_window_ms);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->passed);
}

}  // namespace
}  // namespace proctor::client
