// LtiTool against an in-process platform (its keys made with jose.h, its JWKS served by a fake
// HttpGet): keys and rotation, the login, and every check of the launch. The whole flow against
// an independent platform (tests/lti/lti_platform.py) is in tests/integration/lti_launch_test.cc.
#include "server/lti/lti_tool.h"

#include <sodium.h>

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/lti/jose.h"
#include "server/storage/memory_storage.h"

namespace proctor::server::lti {
namespace {

constexpr char kIssuer[] = "https://lms.example.edu";
constexpr char kClient[] = "tool-client-1";
constexpr char kDeployment[] = "dep-1";
constexpr char kPublicUrl[] = "https://proctor.example.edu";

// The query parameter `name` of a URL ("" when absent), percent-decoded enough for the tests.
std::string QueryParam(const std::string& url, const std::string& name) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return "";
  for (absl::string_view part : absl::StrSplit(url.substr(q + 1), '&')) {
    if (absl::ConsumePrefix(&part, name + "=")) {
      std::string out;
      for (size_t i = 0; i < part.size(); ++i) {
        if (part[i] == '%' && i + 2 < part.size() + 0 && i + 2 <= part.size() - 1) {
          out.push_back(
              static_cast<char>(std::stoi(std::string(part.substr(i + 1, 2)), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(part[i]);
        }
      }
      return out;
    }
  }
  return "";
}

class LtiToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    if (platform_key_ == nullptr) {
      platform_key_ = new RsaKey(*GenerateRsaKey());
      unpublished_key_ = new RsaKey(*GenerateRsaKey());
    }
    LtiPlatform p;
    p.issuer = kIssuer;
    p.client_id = kClient;
    p.deployment_ids = {kDeployment, "dep-2"};
    p.auth_url = std::string(kIssuer) + "/auth";
    p.token_url = std::string(kIssuer) + "/token";
    p.jwks_url = std::string(kIssuer) + "/jwks";
    p.created_by = "admin";
    ASSERT_TRUE(storage_.PutLtiPlatform(p).ok());
    published_ = {platform_key_->public_jwk};
    LtiToolOptions options;
    options.public_url = kPublicUrl;
    tool_ =
        std::make_unique<LtiTool>(options, &storage_, &box_, &clock_,
                                  [this](const std::string& url) -> absl::StatusOr<std::string> {
                                    ++fetches_;
                                    if (url != std::string(kIssuer) + "/jwks") {
                                      return absl::UnavailableError("wrong url " + url);
                                    }
                                    if (jwks_down_) return absl::UnavailableError("HTTP 503");
                                    nlohmann::json doc = {{"keys", nlohmann::json::array()}};
                                    for (const auto& k : published_) {
                                      doc["keys"].push_back(nlohmann::json::parse(k));
                                    }
                                    return doc.dump();
                                  });
  }

  // A login as the LMS starts it; returns its state and nonce.
  std::pair<std::string, std::string> StartLogin() {
    auto redirect = tool_->Login({kIssuer, "user-7", std::string(kPublicUrl) + "/lti/launch",
                                  "hint-1", kClient, kDeployment});
    EXPECT_TRUE(redirect.ok()) << redirect.status();
    if (!redirect.ok()) return {};
    return {redirect->state, QueryParam(redirect->location, "nonce")};
  }

  nlohmann::json Claims(const std::string& nonce) const {
    const int64_t now = clock_.NowUnixMs() / 1000;
    const std::string c = kClaimPrefix;
    return {{"iss", kIssuer},
            {"aud", kClient},
            {"azp", kClient},
            {"sub", "user-7"},
            {"exp", now + 300},
            {"iat", now},
            {"nonce", nonce},
            {"name", "Мария Иванова"},
            {"locale", "ru"},
            {c + "message_type", "LtiResourceLinkRequest"},
            {c + "version", "1.3.0"},
            {c + "deployment_id", kDeployment},
            {c + "resource_link", {{"id", "quiz-1"}, {"title", "Final exam"}}},
            {c + "context", {{"id", "course-1"}, {"title", "Physics"}}},
            {c + "roles", {"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"}},
            {c + "custom", {{"proctor_kind", "FINAL"}, {"n", 3}}}};
  }

  std::string Sign(const nlohmann::json& claims, const RsaKey* key = nullptr) const {
    key = key ? key : platform_key_;
    return *SignRs256(claims, key->private_jwk, key->kid);
  }

  // Launches `claims` (signed by the platform) with a fresh login's nonce unless claims has one.
  absl::StatusOr<LtiLaunch> LaunchWith(const std::function<void(nlohmann::json&)>& change) {
    auto [state, nonce] = StartLogin();
    nlohmann::json claims = Claims(nonce);
    change(claims);
    return tool_->Launch(Sign(claims), state, state);
  }

  static RsaKey* platform_key_;
  static RsaKey* unpublished_key_;
  MemoryStorage storage_;
  SealedBox box_ = SealedBox::FromKeyForTest({1, 2, 3});
  ManualClock clock_;
  std::vector<std::string> published_;
  std::atomic<bool> jwks_down_{false};
  std::atomic<int> fetches_{0};
  std::unique_ptr<LtiTool> tool_;
};
RsaKey* LtiToolTest::platform_key_ = nullptr;
RsaKey* LtiToolTest::unpublished_key_ = nullptr;

TEST_F(LtiToolTest, KeysAreMadeOnceRotatedAndRetiredAfterTheOverlap) {
  ASSERT_TRUE(tool_->MaintainKeys().ok());
  ASSERT_TRUE(tool_->MaintainKeys().ok());
  auto keys = storage_.ListLtiToolKeys();
  ASSERT_EQ(keys->size(), 1u) << "a second call keeps the current key";
  const std::string first = keys->front().kid;
  EXPECT_FALSE(absl::StrContains(
      std::string(keys->front().sealed_private.begin(), keys->front().sealed_private.end()),
      "\"d\""))
      << "the private key is stored sealed";
  auto jwks = ReadJwks(*tool_->Jwks());
  ASSERT_TRUE(jwks.ok());
  ASSERT_EQ(jwks->count(first), 1u);
  // What the tool signs verifies with what it publishes.
  auto signed_token = tool_->Sign({{"iss", kClient}});
  ASSERT_TRUE(signed_token.ok()) << signed_token.status();
  EXPECT_TRUE(VerifyRs256(*signed_token, jwks->at(first)).ok());

  clock_.Advance(91LL * 24 * 3600 * 1000);
  ASSERT_TRUE(tool_->MaintainKeys().ok());
  jwks = ReadJwks(*tool_->Jwks());
  ASSERT_EQ(jwks->size(), 2u) << "the replaced key stays published during the overlap";
  EXPECT_EQ(ReadUnverified(*tool_->Sign({{"iss", kClient}}))->kid, first)
      << "a new key signs only once platforms' cached JWKS have it";
  clock_.Advance(15 * 60 * 1000);
  auto second = ReadUnverified(*tool_->Sign({{"iss", kClient}}));
  EXPECT_NE(second->kid, first) << "then the new key signs";
  clock_.Advance(8LL * 24 * 3600 * 1000);
  ASSERT_TRUE(tool_->MaintainKeys().ok());
  jwks = ReadJwks(*tool_->Jwks());
  ASSERT_EQ(jwks->size(), 1u);
  EXPECT_EQ(jwks->count(first), 0u) << "retired after the overlap";
}

TEST_F(LtiToolTest, LoginRedirectsToThePlatformWithAFreshStateAndNonce) {
  auto redirect = tool_->Login(
      {kIssuer, "user-7", std::string(kPublicUrl) + "/lti/launch", "hint & more", "", ""});
  ASSERT_TRUE(redirect.ok()) << redirect.status();
  EXPECT_TRUE(absl::StartsWith(redirect->location, std::string(kIssuer) + "/auth?"));
  EXPECT_EQ(QueryParam(redirect->location, "scope"), "openid");
  EXPECT_EQ(QueryParam(redirect->location, "response_type"), "id_token");
  EXPECT_EQ(QueryParam(redirect->location, "response_mode"), "form_post");
  EXPECT_EQ(QueryParam(redirect->location, "prompt"), "none");
  EXPECT_EQ(QueryParam(redirect->location, "client_id"), kClient);
  EXPECT_EQ(QueryParam(redirect->location, "redirect_uri"),
            std::string(kPublicUrl) + "/lti/launch");
  EXPECT_EQ(QueryParam(redirect->location, "login_hint"), "user-7");
  EXPECT_EQ(QueryParam(redirect->location, "lti_message_hint"), "hint & more");
  EXPECT_EQ(QueryParam(redirect->location, "state"), redirect->state);
  EXPECT_GE(redirect->state.size(), 43u);
  EXPECT_GE(QueryParam(redirect->location, "nonce").size(), 43u);
  auto again =
      tool_->Login({kIssuer, "user-7", std::string(kPublicUrl) + "/lti/launch", "", "", ""});
  EXPECT_NE(again->state, redirect->state);

  // Refused: unknown LMS, another tool's target, an unregistered deployment, missing fields.
  EXPECT_TRUE(absl::IsNotFound(tool_
                                   ->Login({"https://other.example", "u",
                                            std::string(kPublicUrl) + "/lti/launch", "", "", ""})
                                   .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      tool_->Login({kIssuer, "u", "https://evil.example/lti/launch", "", "", ""}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      tool_->Login({kIssuer, "u", std::string(kPublicUrl) + "/lti/launch", "", kClient, "dep-9"})
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      tool_->Login({kIssuer, "", std::string(kPublicUrl) + "/lti/launch", "", "", ""}).status()));
}

TEST_F(LtiToolTest, AGoodLaunchSaysWhoLaunchedWhatAndItsStateWorksOnce) {
  auto [state, nonce] = StartLogin();
  const std::string token = Sign(Claims(nonce));
  auto launch = tool_->Launch(token, state, state);
  ASSERT_TRUE(launch.ok()) << launch.status();
  EXPECT_EQ(launch->sub, "user-7");
  EXPECT_EQ(launch->name, "Мария Иванова");
  EXPECT_EQ(launch->locale, "ru");
  EXPECT_EQ(launch->message_type, "LtiResourceLinkRequest");
  EXPECT_EQ(launch->deployment_id, kDeployment);
  EXPECT_EQ(launch->resource_link_id, "quiz-1");
  EXPECT_EQ(launch->context_title, "Physics");
  EXPECT_EQ(launch->custom.at("proctor_kind"), "FINAL");
  EXPECT_EQ(launch->custom.count("n"), 0u) << "only string custom values";
  EXPECT_EQ(launch->platform.client_id, kClient);
  EXPECT_EQ(fetches_.load(), 1);

  auto replay = tool_->Launch(token, state, state);
  EXPECT_TRUE(absl::IsUnauthenticated(replay.status()));
  EXPECT_TRUE(absl::StrContains(replay.status().message(), "used already")) << replay.status();
}

TEST_F(LtiToolTest, EveryHostileOrBrokenLaunchIsRefusedWithItsReason) {
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> change;
    const char* reason;
  };
  const std::string c = kClaimPrefix;
  const std::vector<Case> cases = {
      {"expired", [&](nlohmann::json& j) { j["exp"] = j["iat"].get<int64_t>() - 600; }, "expired"},
      {"future iat",
       [&](nlohmann::json& j) {
         j["iat"] = j["iat"].get<int64_t>() + 600;
         j["exp"] = j["iat"].get<int64_t>() + 300;
       },
       "future"},
      {"wrong aud",
       [&](nlohmann::json& j) {
         j["aud"] = "someone-else";
         j.erase("azp");
       },
       "addressed"},
      {"several aud, no azp",
       [&](nlohmann::json& j) {
         j["aud"] = {kClient, "other"};
         j.erase("azp");
       },
       "addressed"},
      {"azp of another", [&](nlohmann::json& j) { j["azp"] = "other"; }, "addressed"},
      {"wrong issuer", [&](nlohmann::json& j) { j["iss"] = "https://evil.example"; },
       "another LMS"},
      {"wrong nonce", [&](nlohmann::json& j) { j["nonce"] = "not-the-login-nonce"; }, "nonce"},
      {"unregistered deployment", [&](nlohmann::json& j) { j[c + "deployment_id"] = "dep-9"; },
       "deployment"},
      {"unhandled message",
       [&](nlohmann::json& j) { j[c + "message_type"] = "LtiSubmissionReviewRequest"; },
       "kind of LTI message"},
      {"LTI 1.1", [&](nlohmann::json& j) { j[c + "version"] = "1.1.0"; }, "1.3.0"},
      {"no sub", [&](nlohmann::json& j) { j.erase("sub"); }, "(sub)"},
      {"no resource link", [&](nlohmann::json& j) { j.erase(c + "resource_link"); },
       "resource link"},
      {"no exp", [&](nlohmann::json& j) { j.erase("exp"); }, "times"},
      {"proctoring without attempt",
       [&](nlohmann::json& j) { j[c + "message_type"] = "LtiStartProctoring"; }, "attempt"},
  };
  for (const Case& k : cases) {
    auto refused = LaunchWith(k.change);
    EXPECT_TRUE(absl::IsUnauthenticated(refused.status())) << k.name << ": " << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), k.reason))
        << k.name << ": " << refused.status();
  }

  // Signature attacks. An unknown kid is refetched (at most every 10 s) before it is refused.
  clock_.Advance(10'000);
  auto [state, nonce] = StartLogin();
  auto refused = tool_->Launch(Sign(Claims(nonce), unpublished_key_), state, state);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "does not publish"))
      << refused.status();
  // A claim changed after signing (the token still parses): the signature check refuses it.
  std::tie(state, nonce) = StartLogin();
  nlohmann::json honest = Claims(nonce);
  const std::string token = Sign(honest);
  honest["sub"] = "someone-else";
  const std::string signed_other = Sign(honest);
  const std::string tampered =
      token.substr(0, token.find('.')) +
      signed_other.substr(signed_other.find('.'),
                          signed_other.rfind('.') - signed_other.find('.')) +
      token.substr(token.rfind('.'));
  refused = tool_->Launch(tampered, state, state);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "signature is not valid"))
      << refused.status();
  // Times that are not NumericDates, or absurdly large ones, are refused, never overflowed.
  for (const nlohmann::json& bad : {nlohmann::json(9223372036854775807LL), nlohmann::json(1e300),
                                    nlohmann::json("soon"), nlohmann::json(-5)}) {
    auto [s2, n2] = StartLogin();
    nlohmann::json claims = Claims(n2);
    claims["exp"] = bad;
    auto r = tool_->Launch(Sign(claims), s2, s2);
    EXPECT_TRUE(absl::StrContains(r.status().message(), "times")) << bad << ": " << r.status();
  }
  // A float exp within range is a NumericDate like any other.
  {
    auto [s2, n2] = StartLogin();
    nlohmann::json claims = Claims(n2);
    claims["exp"] = claims["iat"].get<int64_t>() + 300.5;
    EXPECT_TRUE(tool_->Launch(Sign(claims), s2, s2).ok());
  }
  std::tie(state, nonce) = StartLogin();
  refused = tool_->Launch("not.a.jwt", state, state);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "no valid id_token"))
      << refused.status();

  // The browser's cookie must carry the same state.
  std::tie(state, nonce) = StartLogin();
  refused = tool_->Launch(Sign(Claims(nonce)), state, "");
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "cookie")) << refused.status();
  // A login older than ten minutes is gone.
  std::tie(state, nonce) = StartLogin();
  clock_.Advance(11 * 60 * 1000);
  refused = tool_->Launch(Sign(Claims(nonce)), state, state);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "expired")) << refused.status();
}

TEST_F(LtiToolTest, PlatformKeysAreCachedRefetchedForANewKidAndServeWhileTheJwksIsDown) {
  ASSERT_TRUE(LaunchWith([](nlohmann::json&) {}).ok());
  ASSERT_TRUE(LaunchWith([](nlohmann::json&) {}).ok());
  EXPECT_EQ(fetches_.load(), 1) << "the second launch uses the cached keys";

  jwks_down_ = true;
  clock_.Advance(2 * 3600 * 1000);  // stale: refetch fails, the cached key still serves
  EXPECT_TRUE(LaunchWith([](nlohmann::json&) {}).ok());
  EXPECT_EQ(fetches_.load(), 2);

  // The platform rotates to a key we have not seen while its JWKS is down: unavailable, retry.
  auto [state, nonce] = StartLogin();
  auto down = tool_->Launch(Sign(Claims(nonce), unpublished_key_), state, state);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  jwks_down_ = false;
  published_.push_back(unpublished_key_->public_jwk);
  std::tie(state, nonce) = StartLogin();
  auto too_soon = tool_->Launch(Sign(Claims(nonce), unpublished_key_), state, state);
  EXPECT_TRUE(absl::IsUnavailable(too_soon.status())) << "a JWKS is fetched at most every 10 s";
  EXPECT_EQ(fetches_.load(), 2);
  clock_.Advance(10'000);
  std::tie(state, nonce) = StartLogin();
  auto rotated = tool_->Launch(Sign(Claims(nonce), unpublished_key_), state, state);
  EXPECT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(fetches_.load(), 3);
  // A kid the platform never published: refetched once (10 s later), then refused.
  clock_.Advance(10'000);
  RsaKey stranger = *GenerateRsaKey();
  std::tie(state, nonce) = StartLogin();
  auto unknown = tool_->Launch(Sign(Claims(nonce), &stranger), state, state);
  EXPECT_TRUE(absl::IsUnauthenticated(unknown.status())) << unknown.status();
  EXPECT_EQ(fetches_.load(), 4);
}

TEST_F(LtiToolTest, RegistrationsNeedHttpsUrlsAndDeployments) {
  LtiPlatform p;
  p.issuer = "https://lms.example";
  p.client_id = "c";
  p.deployment_ids = {"d"};
  p.auth_url = "https://lms.example/auth";
  p.token_url = "https://lms.example/token";
  p.jwks_url = "http://127.0.0.1:8000/jwks";
  EXPECT_TRUE(ValidateLtiPlatform(p).ok());
  p.jwks_url = "http://lms.example/jwks";
  EXPECT_TRUE(absl::StrContains(ValidateLtiPlatform(p).message(), "--jwks-url"));
  p.jwks_url = "https://lms.example/jwks";
  p.deployment_ids.clear();
  EXPECT_TRUE(absl::StrContains(ValidateLtiPlatform(p).message(), "--deployment-id"));
  p.deployment_ids = {"a\nb"};
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateLtiPlatform(p)));
}

}  // namespace
}  // namespace proctor::server::lti
