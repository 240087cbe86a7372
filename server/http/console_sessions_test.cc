#include "server/http/console_sessions.h"

#include "gtest/gtest.h"

namespace proctor::server::http {
namespace {

class ConsoleSessionsTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'000'000};
  ConsoleSessions sessions_{ConsoleSessionOptions{60'000, 600'000, 3}, &clock_};
  Principal examiner_{Role::kExaminer, "Dr. E", ""};
};

TEST_F(ConsoleSessionsTest, FindsTheSessionBehindItsCookieWithAStableCsrfToken) {
  const std::string cookie = sessions_.Create(examiner_);
  EXPECT_GE(cookie.size(), 40u);
  auto s = sessions_.Find(cookie);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->who.label, "Dr. E");
  EXPECT_GE(s->csrf_token.size(), 40u);
  EXPECT_EQ(sessions_.Find(cookie)->csrf_token, s->csrf_token);
  EXPECT_FALSE(sessions_.Find(cookie + "x").has_value());
  EXPECT_FALSE(sessions_.Find("").has_value());
}

TEST_F(ConsoleSessionsTest, IdleSessionsExpireAndUseKeepsThemAlive) {
  const std::string cookie = sessions_.Create(examiner_);
  clock_.Advance(50'000);
  ASSERT_TRUE(sessions_.Find(cookie).has_value());  // refreshes the idle timer
  clock_.Advance(50'000);
  ASSERT_TRUE(sessions_.Find(cookie).has_value());
  clock_.Advance(60'000);
  EXPECT_FALSE(sessions_.Find(cookie).has_value());
}

TEST_F(ConsoleSessionsTest, LifetimeIsCappedEvenWhenInUse) {
  const std::string cookie = sessions_.Create(examiner_);
  for (int i = 0; i < 11; ++i) {
    clock_.Advance(50'000);
    sessions_.Find(cookie);
  }
  clock_.Advance(50'000);  // 600 s after sign-in
  EXPECT_FALSE(sessions_.Find(cookie).has_value());
}

TEST_F(ConsoleSessionsTest, RemoveSignsOutAndTheOldestGoesBeyondTheLimit) {
  const std::string a = sessions_.Create(examiner_);
  sessions_.Remove(a);
  EXPECT_FALSE(sessions_.Find(a).has_value());
  const std::string first = sessions_.Create(examiner_);
  clock_.Advance(1);
  const std::string second = sessions_.Create(examiner_);
  clock_.Advance(1);
  const std::string third = sessions_.Create(examiner_);
  clock_.Advance(1);
  const std::string fourth = sessions_.Create(examiner_);
  EXPECT_FALSE(sessions_.Find(first).has_value());
  EXPECT_TRUE(sessions_.Find(second).has_value());
  EXPECT_TRUE(sessions_.Find(fourth).has_value());
}

TEST_F(ConsoleSessionsTest, EvidenceViewsAreRememberedPerSignInAndSession) {
  const std::string first = sessions_.Create(examiner_);
  const std::string second = sessions_.Create(examiner_);
  EXPECT_FALSE(sessions_.EvidenceViewRecorded(first, "s-1"));
  sessions_.MarkEvidenceViewRecorded(first, "s-1");
  EXPECT_TRUE(sessions_.EvidenceViewRecorded(first, "s-1"));
  EXPECT_FALSE(sessions_.EvidenceViewRecorded(first, "s-2")) << "per proctoring session";
  EXPECT_FALSE(sessions_.EvidenceViewRecorded(second, "s-1")) << "per sign-in";
  sessions_.MarkEvidenceViewRecorded("unknown-cookie", "s-1");
  EXPECT_FALSE(sessions_.EvidenceViewRecorded("unknown-cookie", "s-1"));
  sessions_.Remove(first);
  EXPECT_FALSE(sessions_.EvidenceViewRecorded(first, "s-1")) << "gone with the sign-in";
}

}  // namespace
}  // namespace proctor::server::http
