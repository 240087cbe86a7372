// The tool's LTI Advantage client (server/lti/ags_client.h) against the independent platform
// (tests/lti/lti_platform.py), which verifies every assertion the tool signs against the tool's
// own JWKS, served here from the tool's keys: access tokens by signed client assertion, cached
// and renewed when the platform forgets them; line items found or created once; scores posted
// and refused when stale; the LMS's own grades read back; an LMS that is down is UNAVAILABLE
// (retry later), a refusal is FAILED_PRECONDITION.
#include <httplib.h>

#include <thread>

#include "absl/strings/match.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/lti/ags_client.h"
#include "server/lti/http_get.h"
#include "server/lti/lti_tool.h"
#include "server/storage/memory_storage.h"
#include "tests/support/lti_platform_process.h"

namespace proctor::testing {
namespace {

using server::LtiPlatform;
using server::lti::AgsClient;
using server::lti::AgsScore;

constexpr char kClientId[] = "ags-tool";

class LtiAgsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tool's JWKS, as proctor-server serves it, for the platform to verify assertions.
    jwks_server_.Get("/lti/jwks", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(*tool_->Jwks(), "application/json");
    });
    const int port = jwks_server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    jwks_thread_ = std::thread([this] { jwks_server_.listen_after_bind(); });
    server::lti::LtiToolOptions options;
    options.public_url = "http://127.0.0.1:" + std::to_string(port);
    tool_ = std::make_unique<server::lti::LtiTool>(options, &storage_, &box_, &Clock::Real(),
                                                   server::lti::MakeHttpGet({}));
    ASSERT_TRUE(tool_->MaintainKeys().ok());
    std::string why;
    ASSERT_TRUE(platform_.Start(kClientId, "dep-1", options.public_url, &why)) << why;
    registered_.issuer = platform_.issuer();
    registered_.client_id = kClientId;
    registered_.deployment_ids = {"dep-1"};
    registered_.auth_url = platform_.url("auth_url");
    registered_.token_url = platform_.url("token_url");
    registered_.jwks_url = platform_.url("jwks_url");
    ags_ = std::make_unique<AgsClient>(tool_.get(), server::lti::MakeHttpCall({}), &Clock::Real());
    lineitems_ = platform_.issuer() + "/ags/course-1/lineitems";
  }
  void TearDown() override {
    jwks_server_.stop();
    if (jwks_thread_.joinable()) jwks_thread_.join();
  }

  int Posts(const std::string& path) {
    int n = 0;
    for (const auto& e : platform_.Log()) n += e["method"] == "POST" && e["path"] == path;
    return n;
  }

  server::MemoryStorage storage_;
  SealedBox box_ = SealedBox::FromKeyForTest({4, 5, 6});
  httplib::Server jwks_server_;
  std::thread jwks_thread_;
  std::unique_ptr<server::lti::LtiTool> tool_;
  PlatformProcess platform_;
  LtiPlatform registered_;
  std::unique_ptr<AgsClient> ags_;
  std::string lineitems_;
};

TEST_F(LtiAgsTest, ALineItemIsMadeOnceAndTakesScoresInOrder) {
  auto item = ags_->FindOrCreateLineItem(registered_, lineitems_, "quiz-1", "proctoring",
                                         "Proctoring: quiz 1", 1);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_TRUE(absl::StartsWith(*item, lineitems_ + "/")) << *item;
  auto again = ags_->FindOrCreateLineItem(registered_, lineitems_, "quiz-1", "proctoring",
                                          "Proctoring: quiz 1", 1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *item) << "found, not made twice";
  EXPECT_EQ(Posts("/ags/course-1/lineitems"), 1);
  auto other = ags_->FindOrCreateLineItem(registered_, lineitems_, "quiz-2", "proctoring",
                                          "Proctoring: quiz 2", 1);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *item);

  const int64_t now = NowUnixMs();
  AgsScore pending{"alice",     std::nullopt,    std::nullopt, "in review",
                   "Completed", "PendingManual", now};
  ASSERT_TRUE(ags_->PostScore(registered_, *item, pending).ok());
  AgsScore accepted{"alice", 1.0, 1.0, "ACCEPTED", "Completed", "FullyGraded", now + 1000};
  ASSERT_TRUE(ags_->PostScore(registered_, *item, accepted).ok());
  AgsScore stale = accepted;
  stale.timestamp_unix_ms = now;
  // The platform answers 409: it holds this score or a later one (what a resend after a crash
  // meets), which the tool tells apart from a refusal.
  const absl::Status refused = ags_->PostScore(registered_, *item, stale);
  EXPECT_TRUE(absl::IsAlreadyExists(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "holds this score or a later one")) << refused;

  auto scores = platform_.http().Get("/test/scores");
  ASSERT_TRUE(scores);
  const auto list = nlohmann::json::parse(scores->body);
  ASSERT_EQ(list.size(), 2u) << scores->body;
  EXPECT_EQ(list[0]["gradingProgress"], "PendingManual");
  EXPECT_TRUE(list[0]["scoreGiven"].is_null());
  EXPECT_EQ(list[1]["scoreGiven"], 1.0);
  EXPECT_EQ(list[1]["comment"], "ACCEPTED");
  EXPECT_EQ(list[1]["userId"], "alice");
  EXPECT_EQ(Posts("/token"), 2) << "one token per scope set, reused";
}

TEST_F(LtiAgsTest, TheLmsGradesAreReadAndTokensRenewedWhenTheLmsForgetsThem) {
  auto quiz = platform_.http().Post(
      "/test/lineitem-score?ctx=course-1&label=Quiz&user=alice&score=7&max=10", "", "text/plain");
  ASSERT_TRUE(quiz && quiz->status == 200) << (quiz ? quiz->body : "");
  const std::string quiz_item = nlohmann::json::parse(quiz->body)["id"];
  auto results = ags_->Results(registered_, quiz_item, "alice");
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].user_id, "alice");
  EXPECT_EQ((*results)[0].score, 7.0);
  EXPECT_EQ((*results)[0].maximum, 10.0);
  EXPECT_EQ(Posts("/token"), 1);

  ASSERT_TRUE(platform_.http().Post("/test/expire-tokens", "", "text/plain"));
  results = ags_->Results(registered_, quiz_item, "alice");
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(Posts("/token"), 2) << "a 401 gets a new token, once";
}

TEST_F(LtiAgsTest, AnLmsThatIsDownIsUnavailableAndARefusalIsNot) {
  ASSERT_TRUE(platform_.http().Post("/test/ags?down=1", "", "text/plain"));
  const absl::Status down =
      ags_->FindOrCreateLineItem(registered_, lineitems_, "quiz-1", "proctoring", "P", 1).status();
  EXPECT_TRUE(absl::IsUnavailable(down)) << down;
  ASSERT_TRUE(platform_.http().Post("/test/ags?down=0", "", "text/plain"));
  EXPECT_TRUE(
      ags_->FindOrCreateLineItem(registered_, lineitems_, "quiz-1", "proctoring", "P", 1).ok());

  // Registered with a client id the platform does not know: its assertion is refused.
  LtiPlatform stranger = registered_;
  stranger.client_id = "not-this-tool";
  const absl::Status refused = ags_->AccessToken(stranger, {server::lti::kScopeScore}).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "invalid_client")) << refused;
}

}  // namespace
}  // namespace proctor::testing
