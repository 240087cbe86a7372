// What one change of an attempt's outcome sends to the LMS (PlanDelivery): pure, no network.
#include "server/lti/lti_delivery.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace proctor::server::lti {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

AttemptServices AllServices() {
  AttemptServices s;
  s.sub = "alice";
  s.lineitems_url = "https://lms.example/ags/c1/lineitems";
  s.scopes = {kScopeLineItem, kScopeScore, kScopeResultRead};
  s.acs_url = "https://lms.example/acs";
  s.acs_actions = {"flag", "terminate"};
  return s;
}

LtiAttemptChange Change(Verdict verdict, const AttemptServices& services,
                        const std::string& message_type = "LtiStartProctoring") {
  LtiAttemptChange c;
  c.attempt.id = "a1";
  c.attempt.message_type = message_type;
  c.attempt.locale = "en";
  c.attempt.services = ServicesJson(services);
  c.session_id = "s1";
  c.verdict = verdict;
  return c;
}

std::vector<std::string> Kinds(const std::vector<LtiOutboxItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.kind);
  return out;
}

TEST(PlanDeliveryTest, EachVerdictMakesItsScoreAndTheFirstOutcomeReadsTheLmsGrade) {
  ChangeFacts facts;
  facts.report_url = "https://proctor.example/sessions/s1";
  auto accepted = PlanDelivery(Change(Verdict::kAutoAccepted, AllServices()), facts, kNow);
  ASSERT_EQ(Kinds(accepted), (std::vector<std::string>{"score", "result"}));
  nlohmann::json score = nlohmann::json::parse(accepted[0].payload);
  EXPECT_EQ(score["score_given"], 1);
  EXPECT_EQ(score["grading"], "FullyGraded");
  EXPECT_EQ(score["timestamp_ms"], kNow);
  EXPECT_TRUE(absl::StrContains(score["comment"].get<std::string>(), facts.report_url));
  EXPECT_EQ(accepted[0].due_at_unix_ms, kNow);

  auto pending = PlanDelivery(Change(Verdict::kPendingReview, AllServices()), facts, kNow);
  ASSERT_EQ(Kinds(pending), (std::vector<std::string>{"score", "flag", "result"}));
  score = nlohmann::json::parse(pending[0].payload);
  EXPECT_FALSE(score.contains("score_given")) << "not graded yet";
  EXPECT_EQ(score["grading"], "PendingManual");

  // A later change (the attempt has reported an outcome before) does not read the grade again.
  LtiAttemptChange later = Change(Verdict::kRejected, AllServices());
  later.attempt.reported_state = static_cast<int>(SessionState::kClosed);
  auto rejected = PlanDelivery(later, facts, kNow);
  ASSERT_EQ(Kinds(rejected), (std::vector<std::string>{"score"}));
  EXPECT_EQ(nlohmann::json::parse(rejected[0].payload)["score_given"], 0);
}

TEST(PlanDeliveryTest, TerminationNeedsThePolicyTheServersOwnMismatchAndTheAction) {
  LtiAttemptChange rejected = Change(Verdict::kRejected, AllServices());
  rejected.attempt.reported_state = static_cast<int>(SessionState::kClosed);
  ChangeFacts facts;
  facts.terminate_on_confirmed_mismatch = true;
  facts.server_saw_mismatch = true;
  EXPECT_EQ(Kinds(PlanDelivery(rejected, facts, kNow)),
            (std::vector<std::string>{"score", "terminate"}));
  facts.server_saw_mismatch = false;  // rejected for something else
  EXPECT_EQ(Kinds(PlanDelivery(rejected, facts, kNow)), (std::vector<std::string>{"score"}));
  facts.server_saw_mismatch = true;
  facts.terminate_on_confirmed_mismatch = false;  // INTERMEDIATE
  EXPECT_EQ(Kinds(PlanDelivery(rejected, facts, kNow)), (std::vector<std::string>{"score"}));
  AttemptServices no_terminate = AllServices();
  no_terminate.acs_actions = {"flag"};
  facts.terminate_on_confirmed_mismatch = true;
  LtiAttemptChange limited = Change(Verdict::kRejected, no_terminate);
  limited.attempt.reported_state = static_cast<int>(SessionState::kClosed);
  EXPECT_EQ(Kinds(PlanDelivery(limited, facts, kNow)), (std::vector<std::string>{"score"}));
}

TEST(PlanDeliveryTest, OnlyWhatThePlatformOffersIsPlanned) {
  ChangeFacts facts;
  // Moodle, Canvas: a resource link before the quiz has no grade of the LMS's own to read.
  EXPECT_EQ(Kinds(PlanDelivery(Change(Verdict::kAccepted, AllServices(), "LtiResourceLinkRequest"),
                               facts, kNow)),
            (std::vector<std::string>{"score"}));
  AttemptServices no_score = AllServices();
  no_score.scopes = {kScopeResultRead};
  no_score.acs_url.clear();
  EXPECT_EQ(Kinds(PlanDelivery(Change(Verdict::kPendingReview, no_score), facts, kNow)),
            (std::vector<std::string>{"result"}));
  AttemptServices nothing;
  nothing.sub = "alice";
  EXPECT_TRUE(PlanDelivery(Change(Verdict::kPendingReview, nothing), facts, kNow).empty());
  AttemptServices anonymous = AllServices();
  anonymous.sub.clear();
  EXPECT_TRUE(PlanDelivery(Change(Verdict::kAccepted, anonymous), facts, kNow).empty());
  // What storage keeps for an attempt from before schema 6: no services at all.
  LtiAttemptChange old = Change(Verdict::kAccepted, AllServices());
  old.attempt.services = "{}";
  EXPECT_TRUE(PlanDelivery(old, facts, kNow).empty());
}

TEST(ServicesTest, OnlyAllowedUrlsSurviveTheRoundTrip) {
  AttemptServices s = AllServices();
  s.lineitem_url = "javascript:alert(1)";
  s.return_url = "http://lms.example/return";  // http only to loopback
  const AttemptServices back = ParseServices(ServicesJson(s));
  EXPECT_EQ(back.sub, "alice");
  EXPECT_EQ(back.lineitems_url, s.lineitems_url);
  EXPECT_EQ(back.lineitem_url, "");
  EXPECT_EQ(back.return_url, "");
  EXPECT_TRUE(back.HasScope(kScopeScore));
  EXPECT_TRUE(back.AcsSupports("terminate"));
  EXPECT_FALSE(back.AcsSupports("pause"));
  EXPECT_EQ(ParseServices("not json").sub, "");
}

}  // namespace
}  // namespace proctor::server::lti
