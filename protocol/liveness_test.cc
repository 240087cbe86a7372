#include "protocol/liveness.h"

#include <set>

#include "gtest/gtest.h"

namespace proctor::protocol {
namespace {

constexpr char kNonce[] = "00112233445566778899aabbccddeeff";

TEST(LivenessNonceTest, ANonceStandsForOneAdmissibleOrder) {
  auto a = ChallengeFromNonce(kNonce);
  ASSERT_TRUE(a.ok()) << a.status();
  auto again = ChallengeFromNonce(kNonce);
  EXPECT_EQ(a->actions, again->actions) << "both ends derive the same order";
  ASSERT_EQ(a->actions.size(), static_cast<size_t>(kLivenessSteps));
  std::set<std::vector<LivenessAction>> orders;
  for (int i = 0; i < 400; ++i) {
    char nonce[33];
    std::snprintf(nonce, sizeof nonce, "%032x", i * 7919);
    auto c = ChallengeFromNonce(nonce);
    ASSERT_TRUE(c.ok());
    std::set<LivenessAction> used(c->actions.begin(), c->actions.end());
    EXPECT_EQ(used.size(), 4u) << "every action at least once";
    for (size_t k = 1; k < c->actions.size(); ++k) {
      EXPECT_NE(c->actions[k], c->actions[k - 1]) << "never twice in a row";
    }
    EXPECT_EQ(used.count(LivenessAction::kLookStraight), 0u);
    orders.insert(c->actions);
  }
  // 144 admissible orders; 400 draws from a uniform choice leave few unseen.
  EXPECT_GT(orders.size(), 120u);
  EXPECT_FALSE(ChallengeFromNonce("0011").ok());
  EXPECT_FALSE(ChallengeFromNonce("00112233445566778899AABBCCDDEEFF").ok()) << "lowercase only";
}

TEST(LivenessNonceTest, StepDetailRoundTripsAndRefusesNonsense) {
  LivenessStepClaim claim{kNonce, 2, 5, LivenessAction::kBlink};
  const std::string detail = LivenessStepDetail(claim);
  EXPECT_EQ(detail, std::string("challenge ") + kNonce + " step 2/5 BLINK");
  auto parsed = ParseLivenessStepDetail(detail);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->index, 2);
  EXPECT_EQ(parsed->count, 5);
  EXPECT_EQ(parsed->action, LivenessAction::kBlink);
  EXPECT_EQ(parsed->nonce_hex, kNonce);
  for (const char* bad : {"", "challenge x step 1/5 BLINK",
                          "challenge 00112233445566778899aabbccddeeff step 6/5 BLINK",
                          "challenge 00112233445566778899aabbccddeeff step 1/5 WAVE",
                          "challenge 00112233445566778899aabbccddeeff step 0/5 BLINK",
                          "challenge 00112233445566778899aabbccddeeff step 1/5 LOOK_STRAIGHT"}) {
    EXPECT_FALSE(ParseLivenessStepDetail(bad).ok()) << bad;
  }
}

// Measures that perform `spec` as a person would: a reference with open eyes, then each action
// 1.5 s after the previous one.
std::vector<StepMeasure> Perform(const LivenessChallengeSpec& spec,
                                 const std::vector<LivenessAction>& actions) {
  std::vector<StepMeasure> out;
  StepMeasure ref;
  ref.index = 0;
  ref.at_ms = 2000;
  ref.claimed_nonce_hex = spec.nonce_hex;
  ref.claimed = LivenessAction::kLookStraight;
  ref.faces = 1;
  ref.yaw_deg = 3;
  ref.pitch_deg = -12;
  ref.eye_aspect_ratio = 0.30;
  ref.identity_distance = 0.3;
  out.push_back(ref);
  for (size_t i = 0; i < actions.size(); ++i) {
    StepMeasure m = ref;
    m.index = static_cast<int>(i + 1);
    m.at_ms = ref.at_ms + 1500 * static_cast<int64_t>(i + 1);
    m.claimed = spec.actions[i];  // what the client says it asked for
    switch (actions[i]) {
      case LivenessAction::kTurnLeft: m.yaw_deg = ref.yaw_deg + 24; break;
      case LivenessAction::kTurnRight: m.yaw_deg = ref.yaw_deg - 24; break;
      case LivenessAction::kLookUp: m.pitch_deg = ref.pitch_deg + 16; break;
      case LivenessAction::kBlink: m.eye_aspect_ratio = 0.12; break;
      default: break;
    }
    out.push_back(m);
  }
  return out;
}

TEST(JudgeLivenessTest, ThePerformedChallengePasses) {
  const auto spec = *ChallengeFromNonce(kNonce);
  const auto j = JudgeLiveness(spec, Perform(spec, spec.actions), 0.6);
  EXPECT_TRUE(j.passed) << j.detail;
  EXPECT_NE(j.detail.find("passed challenge 00112233"), std::string::npos) << j.detail;
}

TEST(JudgeLivenessTest, EachWayOfFailingIsNamed) {
  const auto spec = *ChallengeFromNonce(kNonce);
  auto expect_fail = [&](std::vector<StepMeasure> steps, const std::string& why) {
    const auto j = JudgeLiveness(spec, steps, 0.6);
    EXPECT_FALSE(j.passed) << why;
    EXPECT_NE(j.detail.find(why), std::string::npos) << j.detail;
  };
  // Another order performed (a recording made for another challenge): the first step that
  // differs shows the wrong movement.
  std::vector<LivenessAction> other = spec.actions;
  std::rotate(other.begin(), other.begin() + 1, other.end());
  expect_fail(Perform(spec, other), "needed");
  // A still photo: nothing moves.
  expect_fail(Perform(spec, std::vector<LivenessAction>(spec.actions.size(),
                                                        LivenessAction::kLookStraight)),
              "needed");
  // A step missing, a step answering another nonce, too slow, too fast.
  auto steps = Perform(spec, spec.actions);
  steps.erase(steps.begin() + 3);
  expect_fail(steps, "step 3/5 " + LivenessActionName(spec.actions[2]) + ": never shown");
  steps = Perform(spec, spec.actions);
  steps[2].claimed_nonce_hex = "ffffffffffffffffffffffffffffffff";
  expect_fail(steps, "answers another challenge");
  steps = Perform(spec, spec.actions);
  for (size_t i = 3; i < steps.size(); ++i) steps[i].at_ms += spec.step_window_ms;
  expect_fail(steps, "after the previous step (at most 6 s)");
  steps = Perform(spec, spec.actions);
  steps[4].at_ms = steps[3].at_ms + 20;
  expect_fail(steps, "sooner than a person reacts");
  // Someone else performs it, or two people are in view, or the eyes were shut to begin with.
  steps = Perform(spec, spec.actions);
  steps[5].identity_distance = 0.8;
  expect_fail(steps, "not the learner's");
  steps = Perform(spec, spec.actions);
  steps[0].identity_distance = 0.65;
  expect_fail(steps, "not the learner's (distance 0.650 > 0.60)");
  steps = Perform(spec, spec.actions);
  steps[3].identity_distance = 0.65;  // a turned head embeds farther: within the slack
  EXPECT_TRUE(JudgeLiveness(spec, steps, 0.6).passed);
  steps = Perform(spec, spec.actions);
  steps[1].faces = 2;
  expect_fail(steps, "2 faces, not one");
  steps = Perform(spec, spec.actions);
  steps[0].eye_aspect_ratio = 0.15;
  expect_fail(steps, "eyes not open");
  // Without templates identity is not judged (the learner has none), everything else is.
  steps = Perform(spec, spec.actions);
  steps[5].identity_distance = 0.8;
  EXPECT_TRUE(JudgeLiveness(spec, steps, std::nullopt).passed);
}

TEST(JudgeLivenessTest, TheClientsMarginKeepsItsStepsInsideTheServersThresholds) {
  // What the client sends (its thresholds plus the margin) always passes the server's rule.
  EXPECT_TRUE(ShowsAction(LivenessAction::kTurnLeft, kTurnDeg + kClientMarginDeg, 0, 0.3, 0.3));
  EXPECT_FALSE(ShowsAction(LivenessAction::kTurnLeft, kTurnDeg - 1, 0, 0.3, 0.3));
  EXPECT_FALSE(ShowsAction(LivenessAction::kTurnLeft, -(kTurnDeg + 5), 0, 0.3, 0.3))
      << "the other way is not left";
  EXPECT_TRUE(ShowsAction(LivenessAction::kTurnRight, -(kTurnDeg + 1), 0, 0.3, 0.3));
  EXPECT_TRUE(ShowsAction(LivenessAction::kLookUp, 0, kLookUpDeg + 1, 0.3, 0.3));
  EXPECT_FALSE(ShowsAction(LivenessAction::kLookUp, 0, -(kLookUpDeg + 5), 0.3, 0.3));
  // A turned head reads a little higher too: that is a turn, not a chin-up.
  EXPECT_FALSE(ShowsAction(LivenessAction::kLookUp, 32, 12, 0.3, 0.3));
  EXPECT_TRUE(ShowsAction(LivenessAction::kTurnLeft, 32, 12, 0.3, 0.3));
  EXPECT_EQ(DominantMovement(32, 12), LivenessAction::kTurnLeft);
  EXPECT_EQ(DominantMovement(-3, 14), LivenessAction::kLookUp);
  EXPECT_EQ(DominantMovement(5, -20), LivenessAction::kUnspecified) << "looking down is no step";
  EXPECT_TRUE(ShowsAction(LivenessAction::kBlink, 0, 0, 0.15, 0.3));
  EXPECT_FALSE(ShowsAction(LivenessAction::kBlink, 0, 0, 0.18, 0.23))
      << "narrow eyes: 0.18 is not 72% of 0.23";
  EXPECT_TRUE(ShowsAction(LivenessAction::kBlink, 0, 0, 0.215, 0.30)) << "the server: 0.717";
  EXPECT_FALSE(ShowsAction(LivenessAction::kBlink, 0, 0, 0.215, 0.30, 0, 0, kClientMarginRatio))
      << "the client waits for 0.70 of open";
}

}  // namespace
}  // namespace proctor::protocol
