#include "server/core/policy.h"

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "protocol/identity_rule.h"
#include "protocol/testing/identity_fixtures.h"

namespace proctor::server {
namespace {

StoredEvent Make(uint64_t seq, EventKind kind, int64_t at_ms,
                 EventPhase phase = EventPhase::kInstant, float server_distance = -1) {
  StoredEvent s;
  s.event.session_id = "s";
  s.event.seq = seq;
  s.event.kind = kind;
  s.event.phase = phase;
  s.event.at_ms = at_ms;
  s.server_distance = server_distance;
  if (kind == EventKind::kIdentityVerified || kind == EventKind::kIdentityMismatch) {
    s.event.client_distance = server_distance;
    s.has_evidence = true;
  }
  return s;
}

// A clean 2-minute session: identity every 30 s, liveness passed.
std::vector<StoredEvent> CleanSession() {
  std::vector<StoredEvent> v;
  v.push_back(Make(1, EventKind::kSessionStarted, 0));
  v.push_back(Make(2, EventKind::kLivenessPassed, 2000));
  for (int i = 0; i < 5; ++i) {
    v.push_back(Make(3 + i, EventKind::kIdentityVerified, i * 30000, EventPhase::kInstant, 0.35f));
  }
  return v;
}

// The server's own liveness judgement of a challenge that passed (SessionLedger::JudgeLiveness),
// plus `more` findings.
std::vector<Finding> Judged(std::vector<Finding> more = {}) {
  Finding passed;
  passed.session_id = "s";
  passed.kind = EventKind::kLivenessPassed;
  passed.at_ms = 2000;
  passed.detail = "passed challenge 00112233...";
  more.insert(more.begin(), passed);
  return more;
}

TEST(PolicyTest, FinalIsStricterOnEveryAxis) {
  const Policy i = PolicyFor(AssessmentKind::kIntermediate);
  const Policy f = PolicyFor(AssessmentKind::kFinal);
  EXPECT_LT(f.match_threshold, i.match_threshold);
  EXPECT_LT(f.identity_interval_ms, i.identity_interval_ms);
  EXPECT_LT(f.absence_tolerance_ms, i.absence_tolerance_ms);
  EXPECT_LT(f.looking_away_tolerance_ms, i.looking_away_tolerance_ms);
  EXPECT_LT(f.review_risk, i.review_risk);
  EXPECT_LE(f.evidence_recheck_every, i.evidence_recheck_every);
  EXPECT_TRUE(f.liveness_required);
}

TEST(ScoreSessionTest, CleanSessionIsAutoAccepted) {
  const auto card = ScoreSession(CleanSession(), Judged(), PolicyFor(AssessmentKind::kFinal), 120000);
  EXPECT_EQ(card.verdict, Verdict::kAutoAccepted);
  EXPECT_DOUBLE_EQ(card.risk_score, 0.0);
  EXPECT_TRUE(card.flags.empty());
}

TEST(ScoreSessionTest, ShortAbsenceIsFlaggedButTolerated) {
  auto events = CleanSession();
  events.push_back(Make(8, EventKind::kFaceAbsent, 40000, EventPhase::kBegin));
  events.push_back(Make(9, EventKind::kFaceAbsent, 43000, EventPhase::kEnd));
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 120000);
  ASSERT_EQ(card.flags.size(), 1u);
  EXPECT_EQ(card.flags[0].kind, EventKind::kFaceAbsent);
  EXPECT_EQ(card.flags[0].from_ms, 40000);
  EXPECT_EQ(card.flags[0].to_ms, 43000);
  EXPECT_EQ(card.verdict, Verdict::kAutoAccepted);
}

TEST(ScoreSessionTest, LongAbsenceRaisesRiskMoreForFinal) {
  auto events = CleanSession();
  events.push_back(Make(8, EventKind::kFaceAbsent, 40000, EventPhase::kBegin));
  events.push_back(Make(9, EventKind::kFaceAbsent, 48000, EventPhase::kEnd));
  const auto intermediate =
      ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kIntermediate), 120000);
  const auto final_card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 120000);
  EXPECT_DOUBLE_EQ(intermediate.risk_score, 0.0);  // 8 s < 10 s tolerance
  EXPECT_GT(final_card.risk_score, 0.0);           // 8 s > 5 s tolerance
}

TEST(ScoreSessionTest, OpenStateIsClosedAtTheEnd) {
  auto events = CleanSession();
  events.push_back(Make(8, EventKind::kMultipleFaces, 100000, EventPhase::kBegin));
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 120000);
  ASSERT_EQ(card.flags.size(), 1u);
  EXPECT_EQ(card.flags[0].to_ms, 120000);
  EXPECT_TRUE(card.forces_review);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
}

TEST(ScoreSessionTest, ServerDistanceOverridesClientClaim) {
  auto events = CleanSession();
  // The client says VERIFIED but the server's own distance is over the threshold.
  events.push_back(Make(8, EventKind::kIdentityVerified, 60000, EventPhase::kInstant, 0.9f));
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kIntermediate), 120000);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
  bool mismatch = false, evidence = false;
  for (const auto& f : card.flags) {
    mismatch |= f.kind == EventKind::kIdentityMismatch;
    evidence |= f.kind == EventKind::kEvidenceMismatch;
  }
  EXPECT_TRUE(mismatch);
  EXPECT_TRUE(evidence);
}

TEST(ScoreSessionTest, ClientDistanceDisagreeingWithServerIsEvidenceMismatch) {
  auto events = CleanSession();
  StoredEvent lying = Make(8, EventKind::kIdentityVerified, 60000, EventPhase::kInstant, 0.40f);
  lying.event.client_distance = 0.20f;
  events.push_back(lying);
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kIntermediate), 120000);
  ASSERT_FALSE(card.flags.empty());
  EXPECT_EQ(card.flags.back().kind, EventKind::kEvidenceMismatch);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
}

// The multi-photo case: a learner enrolled with three photos, the first a weaker one, is seen on a
// frame 0.673 from that first template but 0.492 from the nearest. Both ends apply the identity
// rule to all three templates, so an honest client and the server agree.
TEST(ScoreSessionTest, HonestClientEnrolledWithSeveralPhotosRaisesNoEvidenceMismatch) {
  const auto templates = protocol::testing::ThreeTemplatesWeakFirst();
  const auto probe = protocol::testing::BorderlineProbe();
  const double nearest = *protocol::IdentityDistance(probe, templates);
  const Policy policy = PolicyFor(AssessmentKind::kFinal);
  ASSERT_TRUE(protocol::SamePerson(nearest, policy.match_threshold));
  ASSERT_FALSE(protocol::SamePerson(protocol::DescriptorDistance(probe, templates[0]),
                                    policy.match_threshold));
  auto events = CleanSession();
  StoredEvent honest = Make(8, EventKind::kIdentityVerified, 60000, EventPhase::kInstant,
                            static_cast<float>(nearest));
  honest.event.client_distance = static_cast<float>(nearest);
  events.push_back(honest);
  const auto card = ScoreSession(events, Judged(), policy, 120000);
  for (const auto& f : card.flags) {
    EXPECT_NE(f.kind, EventKind::kEvidenceMismatch) << f.detail;
    EXPECT_NE(f.kind, EventKind::kIdentityMismatch) << f.detail;
  }
  EXPECT_EQ(card.verdict, Verdict::kAutoAccepted);

  // A client that measured only the first template reports a mismatch the server does not see:
  // its claim disagrees with the rule, and that is still flagged.
  StoredEvent first_only = honest;
  first_only.event.kind = EventKind::kIdentityMismatch;
  first_only.event.client_distance =
      static_cast<float>(protocol::DescriptorDistance(probe, templates[0]));
  events.back() = first_only;
  const auto flagged = ScoreSession(events, Judged(), policy, 120000);
  ASSERT_FALSE(flagged.flags.empty());
  EXPECT_EQ(flagged.flags.front().kind, EventKind::kEvidenceMismatch);
}

TEST(ScoreSessionTest, AtTheThresholdBothEndsSeeTheLearner) {
  const Policy policy = PolicyFor(AssessmentKind::kFinal);
  auto events = CleanSession();
  StoredEvent at =
      Make(8, EventKind::kIdentityVerified, 60000, EventPhase::kInstant, policy.match_threshold);
  at.event.client_distance = policy.match_threshold;
  events.push_back(at);
  const auto card = ScoreSession(events, Judged(), policy, 120000);
  for (const auto& f : card.flags) EXPECT_NE(f.kind, EventKind::kEvidenceMismatch) << f.detail;
  EXPECT_FALSE(ServerSeesMismatch(at, policy));
}

TEST(ScoreSessionTest, NeverVerifiedForcesReview) {
  std::vector<StoredEvent> events = {Make(1, EventKind::kSessionStarted, 0),
                                     Make(2, EventKind::kHeartbeat, 1000)};
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kIntermediate), 5000);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
  EXPECT_FALSE(card.reasons.empty());
}

TEST(ScoreSessionTest, ServerFindingsForceReviewAndRiskIsCapped) {
  std::vector<Finding> findings(5);
  for (auto& f : findings) f.kind = EventKind::kEvidenceMismatch;
  const auto card =
      ScoreSession(CleanSession(), findings, PolicyFor(AssessmentKind::kIntermediate), 120000);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
  EXPECT_DOUBLE_EQ(card.risk_score, 1.0);
  EXPECT_EQ(card.flags.size(), 5u);
}

TEST(ScoreSessionTest, IdentityCoverageGapCounts) {
  std::vector<StoredEvent> events = {
      Make(1, EventKind::kLivenessPassed, 0),
      Make(2, EventKind::kIdentityVerified, 1000, EventPhase::kInstant, 0.3f),
      Make(3, EventKind::kIdentityVerified, 200000, EventPhase::kInstant, 0.3f)};
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 210000);
  EXPECT_GT(card.risk_score, 0.0);
  // 0.15 (identity gap) + 0.10 (evidence gap) < 0.3: explained in the reasons, not forced.
  EXPECT_EQ(card.verdict, Verdict::kAutoAccepted);
  ASSERT_EQ(card.reasons.size(), 3u);
  EXPECT_NE(card.reasons[1].find("without an identity check:"), std::string::npos);
  EXPECT_NE(card.reasons[0].find("backed by an evidence chip"), std::string::npos);
  EXPECT_NE(card.reasons[2].find("liveness challenge passed as the server measured"),
            std::string::npos)
      << "the server's liveness pass is a line for the examiner, with no risk";
}

TEST(ScoreSessionTest, DescriptorsWithoutEvidenceChipsForceReview) {
  auto events = CleanSession();
  for (auto& e : events) e.has_evidence = false;  // a replayed descriptor, nothing to re-check
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kIntermediate), 120000);
  EXPECT_EQ(card.verdict, Verdict::kPendingReview);
  EXPECT_TRUE(card.forces_review);
}

TEST(ScoreSessionTest, LongStretchWithoutEvidenceAddsRisk) {
  auto events = CleanSession();  // chips at 0-120 s
  events.push_back(Make(8, EventKind::kIdentityVerified, 400000, EventPhase::kInstant, 0.35f));
  events.back().has_evidence = false;
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 400000);
  bool found = false;
  for (const auto& r : card.reasons) found |= r.find("evidence chip") != std::string::npos;
  EXPECT_TRUE(found);
}

// Due process: what the system could not measure is reported as such and adds no misconduct
// risk on its own. A minute in a dark room ("could not tell", with the frame as evidence) leaves
// a clean session auto-accepted; the same minute of "no face in view" sends it to review, and so
// does a "could not tell" without the frame to show for it.
TEST(ScoreSessionTest, CouldNotTellInTheDarkIsNotSentToReviewForThatAlone) {
  // Four minutes, identity every 30 s, and three minutes without a face from 40 s.
  auto session = [](const std::string& detail, bool evidence) {
    std::vector<StoredEvent> v;
    v.push_back(Make(1, EventKind::kSessionStarted, 0));
    v.push_back(Make(2, EventKind::kLivenessPassed, 2000));
    for (int i = 0; i <= 8; ++i) {
      v.push_back(Make(3 + i, EventKind::kIdentityVerified, i * 30000, EventPhase::kInstant, 0.35f));
    }
    StoredEvent begin = Make(20, EventKind::kFaceAbsent, 40000, EventPhase::kBegin);
    begin.event.detail = detail;
    begin.has_evidence = evidence;
    v.push_back(begin);
    v.push_back(Make(21, EventKind::kFaceAbsent, 220000, EventPhase::kEnd));
    return v;
  };
  const Policy final_policy = PolicyFor(AssessmentKind::kFinal);
  const std::string claim = "could not tell: frame too dark (brightness 9)";
  const auto dark = ScoreSession(session(claim, true), Judged(), final_policy, 240000);
  EXPECT_EQ(dark.verdict, Verdict::kAutoAccepted);
  EXPECT_DOUBLE_EQ(dark.risk_score, 0.0);
  ASSERT_EQ(dark.flags.size(), 1u) << "reported, not hidden";
  EXPECT_NE(dark.flags[0].detail.find("could not tell (frame too dark"), std::string::npos)
      << dark.flags[0].detail;
  EXPECT_NE(dark.flags[0].detail.find("not counted as absence"), std::string::npos);

  const auto absent = ScoreSession(session("no face in view", true), Judged(), final_policy, 240000);
  EXPECT_EQ(absent.verdict, Verdict::kPendingReview) << "the control: a real absence";
  EXPECT_GE(absent.risk_score, final_policy.review_risk);
  const auto unshown = ScoreSession(session(claim, false), Judged(), final_policy, 240000);
  EXPECT_EQ(unshown.verdict, Verdict::kPendingReview) << "a claim without its frame is absence";

  // The server found the frame clear: its finding puts the session in review.
  Finding finding;
  finding.kind = EventKind::kEvidenceMismatch;
  finding.at_ms = 40000;
  finding.detail = "the client could not tell ..., but its frame of seq 20 is clear";
  EXPECT_EQ(ScoreSession(session(claim, true), Judged({finding}), final_policy, 240000).verdict,
            Verdict::kPendingReview);
}

TEST(ScoreSessionTest, ACameraThatStallsIsReportedButAddsNoRiskOfItsOwn) {
  auto events = CleanSession();
  events.push_back(Make(8, EventKind::kCameraUnavailable, 40000, EventPhase::kBegin));
  events.push_back(Make(9, EventKind::kCameraUnavailable, 55000, EventPhase::kEnd));
  const auto card = ScoreSession(events, Judged(), PolicyFor(AssessmentKind::kFinal), 120000);
  EXPECT_EQ(card.verdict, Verdict::kAutoAccepted);
  EXPECT_DOUBLE_EQ(card.risk_score, 0.0);
  ASSERT_EQ(card.flags.size(), 1u);
  EXPECT_NE(card.flags[0].detail.find("could not measure"), std::string::npos);
}

TEST(ScoreSessionTest, AnAccommodationAdjustsThePolicyAndSaysSo) {
  auto events = CleanSession();
  events.push_back(Make(8, EventKind::kLookingAway, 40000, EventPhase::kBegin));
  events.push_back(Make(9, EventKind::kLookingAway, 100000, EventPhase::kEnd));
  const Policy plain = PolicyFor(AssessmentKind::kFinal);
  const auto before = ScoreSession(events, Judged(), plain, 120000);
  EXPECT_GT(before.risk_score, 0.0);
  Accommodation a{"l", "a", 0, true, false, 0, "tic disorder", "admin", 0};
  const Policy adjusted = Accommodate(plain, a);
  const auto after = ScoreSession(events, Judged(), adjusted, 120000);
  EXPECT_DOUBLE_EQ(after.risk_score, 0.0);
  ASSERT_EQ(after.flags.size(), 1u) << "still reported";
  EXPECT_NE(after.flags[0].detail.find("not scored under the learner's accommodation"),
            std::string::npos);
  ASSERT_FALSE(after.reasons.empty());
  EXPECT_NE(after.reasons[0].find("tic disorder"), std::string::npos) << after.reasons[0];
  EXPECT_NE(DescribePolicy(AssessmentKind::kFinal, adjusted).find("looking away not scored"),
            std::string::npos);
  a.extra_absence_ms = 30'000;
  EXPECT_EQ(Accommodate(plain, a).absence_tolerance_ms, plain.absence_tolerance_ms + 30'000);
}

TEST(ResultStatusTest, FollowsTheVerdict) {
  EXPECT_EQ(ResultStatusFor(SessionState::kOpen, Verdict::kNone), ResultStatus::kPendingReview);
  EXPECT_EQ(ResultStatusFor(SessionState::kClosed, Verdict::kAutoAccepted),
            ResultStatus::kOfficial);
  EXPECT_EQ(ResultStatusFor(SessionState::kClosed, Verdict::kAccepted), ResultStatus::kOfficial);
  EXPECT_EQ(ResultStatusFor(SessionState::kClosed, Verdict::kPendingReview),
            ResultStatus::kPendingReview);
  EXPECT_EQ(ResultStatusFor(SessionState::kClosed, Verdict::kRejected), ResultStatus::kRejected);
}

}  // namespace
}  // namespace proctor::server

namespace proctor::server {
namespace {

// Liveness counts only as the server judged it: the client's LIVENESS_PASSED alone is not
// enough on a FINAL, and the server's failure weighs (a flag and 0.3) whatever the client said.
TEST(ScoreSessionTest, OnlyTheServersLivenessJudgementCounts) {
  const Policy final_policy = PolicyFor(AssessmentKind::kFinal);
  const auto claimed_only = ScoreSession(CleanSession(), {}, final_policy, 120000);
  EXPECT_DOUBLE_EQ(claimed_only.risk_score, 0.3);
  EXPECT_EQ(claimed_only.verdict, Verdict::kPendingReview);
  EXPECT_NE(absl::StrJoin(claimed_only.reasons, "|").find("no liveness check passed"),
            std::string::npos);

  Finding failed;
  failed.session_id = "s";
  failed.kind = EventKind::kLivenessFailed;
  failed.at_ms = 9000;
  failed.detail = "failed at step 3/5 LOOK_UP: at 9.0 s yaw +2, pitch +3 (pitch +10 needed)";
  const auto judged_failed = ScoreSession(CleanSession(), {failed}, final_policy, 120000);
  EXPECT_DOUBLE_EQ(judged_failed.risk_score, 0.6) << "failed 0.3 + none passed 0.3";
  ASSERT_EQ(judged_failed.flags.size(), 1u);
  EXPECT_EQ(judged_failed.flags[0].kind, EventKind::kLivenessFailed);
  EXPECT_EQ(judged_failed.flags[0].detail, failed.detail);
  EXPECT_FALSE(judged_failed.forces_review) << "a failed challenge weighs; it does not force";

  // The client said it failed, the server's measurement says it passed: the server wins.
  auto events = CleanSession();
  events[1].event.kind = EventKind::kLivenessFailed;
  const auto server_passed = ScoreSession(events, Judged(), final_policy, 120000);
  EXPECT_DOUBLE_EQ(server_passed.risk_score, 0.0);
  EXPECT_TRUE(server_passed.flags.empty());
}

}  // namespace
}  // namespace proctor::server
