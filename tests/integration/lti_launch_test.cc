// proctor-server as an LTI 1.3 tool against an independent platform: tests/lti/lti_platform.py
// (Python, PyJWT and cryptography from Debian; none of the tool's code) performs the platform's
// side — the learner's click, the OIDC authorization endpoint, id_token signing, its JWKS — and
// checks what the tool sends it. Each test walks the flow as a browser does (302s, the cookie,
// the auto-submitted form), over HTTP to a real proctor-server.
//
// Shown: the administrator registers the LMS with proctorctl; a launch creates the learner and
// the assessment and issues a pass that opens a session; every hostile or broken launch is
// refused with a clear message and creates nothing; a replayed launch is refused; the LMS's
// keys are cached and still serve while its JWKS is down.
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proctor/v1/admin.grpc.pb.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/lti_flow.h"
#include "tests/support/lti_platform_process.h"
#include "tests/support/server_harness.h"
#include "tests/support/shell_command.h"

namespace proctor::testing {
namespace {

using LtiLaunchTest = LtiFlowTest;

TEST_F(LtiLaunchTest, ALaunchCreatesTheLearnerAndAssessmentAndAPassThatOpensASession) {
  Register();
  const CommandRun listed = Ctl("lti platform list");
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(listed.out, platform_.issuer())) << listed.out;
  EXPECT_TRUE(absl::StrContains(listed.out, tool_base_ + "/lti/login")) << listed.out;

  auto jwks = tool_->Get("/lti/jwks");
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->status, 200);
  const auto keys = nlohmann::json::parse(jwks->body);
  ASSERT_EQ(keys["keys"].size(), 1u) << "the tool made its signing key at start";
  EXPECT_EQ(keys["keys"][0]["kty"], "RSA");
  EXPECT_FALSE(keys["keys"][0].contains("d")) << "no private part is published";

  const Outcome o =
      Launch("user=maria&locale=ru&context=physics-101&resource=final-exam&kind=FINAL");
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_TRUE(absl::StrContains(o.body, "Мария Иванова")) << o.body;
  EXPECT_TRUE(absl::StrContains(o.body, "FINAL")) << "the course's custom parameter";
  EXPECT_TRUE(absl::StrContains(o.body, "Запустите")) << "the launch's locale is ru: " << o.body;
  EXPECT_TRUE(absl::StrContains(o.body, "id=\"no-template\"")) << "not enrolled yet";
  const std::string command = Match(o.body, "<pre id=\"command\">([^<]*)</pre>");
  ASSERT_TRUE(absl::StartsWith(
      command, "proctor-client run --server " + server_.address() + " --pass pass-"))
      << command;
  const std::string pass = command.substr(command.find("--pass ") + 7);
  EXPECT_EQ(Match(o.body, "href=\"(proctor://[^\"]*)\""),
            "proctor://run?server=" + server_.address() + "&pass=" + pass);
  EXPECT_EQ(Counts(),
            (std::map<std::string, int>{{"assessments", 1}, {"learners", 1}, {"passes", 1}}));
  // The pass is real: it opens a session (the learner's client would).
  LearnerSession learner(server_.channel());
  const grpc::Status opened = learner.Open(pass);
  EXPECT_TRUE(opened.ok()) << opened.error_message();

  // The same learner again in the same course: no new learner or assessment, a new pass.
  const Outcome again =
      Launch("user=maria&locale=ru&context=physics-101&resource=final-exam&kind=FINAL");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Counts(),
            (std::map<std::string, int>{{"assessments", 1}, {"learners", 1}, {"passes", 2}}));
  // The course's instructor opening the link gets an explanation, and nothing is created.
  const Outcome instructor =
      Launch("user=teacher&role=Instructor&context=physics-101&resource=final-exam");
  ASSERT_EQ(instructor.status, 200) << instructor.body;
  EXPECT_TRUE(absl::StrContains(instructor.body, "id=\"lti-staff\"")) << instructor.body;
  EXPECT_FALSE(absl::StrContains(instructor.body, "pass-"));
  EXPECT_EQ(Counts(),
            (std::map<std::string, int>{{"assessments", 1}, {"learners", 1}, {"passes", 2}}));
  // A replayed launch (the same form posted again) is refused.
  const Outcome replay = Post(again);
  EXPECT_EQ(replay.status, 401) << replay.body;
  EXPECT_TRUE(absl::StrContains(replay.body, "id=\"lti-error\"")) << replay.body;
  EXPECT_EQ(Counts()["passes"], 2);
}

// LTI Proctoring Services: the learner continues to the assessment only once the server itself
// has verified them (the platform checks the tool's LtiStartAssessment: its signature by the
// tool's JWKS, the launch's session_data and attempt number, a fresh nonce).
TEST_F(LtiLaunchTest, ProctoringServicesLetTheLearnerContinueOnlyOnceTheServerVerifiedThem) {
  Register();
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  const Outcome o =
      Launch("user=alice&message_type=LtiStartProctoring&attempt=2&resource=quiz-7&context=math");
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_TRUE(absl::StrContains(o.body, "http-equiv=\"refresh\"")) << "it waits for the client";
  EXPECT_TRUE(absl::StrContains(o.body, "id=\"step-session\" class=\"waiting\"")) << o.body;
  EXPECT_FALSE(absl::StrContains(o.body, "id=\"continue\""));
  EXPECT_TRUE(absl::StrContains(o.csp, "frame-ancestors 'self' https: " + platform_.issuer()))
      << o.csp;
  EXPECT_EQ(o.frame_options, "") << "the LMS may frame the attempt's page";
  EXPECT_TRUE(absl::StrContains(o.csp, "form-action 'self' " + platform_.issuer())) << o.csp;
  const std::string command = Match(o.body, "<pre id=\"command\">([^<]*)</pre>");
  const std::string pass = command.substr(command.find("--pass ") + 7);
  ASSERT_TRUE(absl::StartsWith(pass, "pass-")) << command;

  Enroll(OnlyLearnerId(), faces[0]);
  LearnerSession session(server_.channel());
  ASSERT_TRUE(session.Open(pass).ok());
  v1::BatchAck ack;
  // Someone else in front of the camera: the client says so, and nothing is verified.
  ASSERT_TRUE(session
                  .Send({session.Consent(), session.Next(EventKind::kSessionStarted, 0),
                         Identity(session, 1000, faces[1], EventKind::kIdentityMismatch)},
                        &ack)
                  .ok());
  std::string page = Reload(o.attempt_path);
  EXPECT_TRUE(absl::StrContains(page, "id=\"step-session\" class=\"done\"")) << page;
  EXPECT_TRUE(absl::StrContains(page, "id=\"step-identity\" class=\"waiting\"")) << page;
  EXPECT_FALSE(absl::StrContains(page, "id=\"continue\""));
  EXPECT_FALSE(absl::StrContains(page, "id=\"command\"")) << "the pass is spent";

  // The learner: the server measures the descriptor against the template itself.
  ASSERT_TRUE(
      session.Send({Identity(session, 2000, faces[0], EventKind::kIdentityVerified)}, &ack).ok());
  page = Reload(o.attempt_path);
  EXPECT_TRUE(absl::StrContains(page, "id=\"step-identity\" class=\"done\"")) << page;
  EXPECT_FALSE(absl::StrContains(page, "http-equiv=\"refresh\""));
  EXPECT_FALSE(absl::StrContains(page, "id=\"self-enrolled\""))
      << "enrolled by the institution: no self-enrollment notice";
  EXPECT_EQ(Match(page, "<form method=\"post\" id=\"continue\" action=\"([^\"]*)\">"),
            platform_.issuer() + "/start_assessment");
  const std::string jwt = Match(page, "name=\"JWT\" value=\"([^\"]*)\"");
  ASSERT_FALSE(jwt.empty()) << page;
  auto started = platform_.http().Post("/start_assessment", httplib::Params{{"JWT", jwt}});
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 200) << started->body;
  auto attempts = platform_.http().Get("/test/attempts");
  ASSERT_TRUE(attempts);
  const auto list = nlohmann::json::parse(attempts->body);
  ASSERT_EQ(list.size(), 1u) << attempts->body;
  EXPECT_EQ(list[0]["user"], "alice");
  EXPECT_EQ(list[0]["attempt_number"], 2);
  EXPECT_EQ(list[0]["resource_link_id"], "quiz-7");
  EXPECT_EQ(list[0]["verified_user"]["name"], "Alice");
  // The same message again is a replay to the platform.
  auto replayed = platform_.http().Post("/start_assessment", httplib::Params{{"JWT", jwt}});
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 400) << replayed->body;
}

TEST_F(LtiLaunchTest, EveryHostileOrBrokenLaunchIsRefusedAndCreatesNothing) {
  Register();
  std::map<std::string, int> before = Counts();
  const std::vector<std::pair<std::string, std::string>> variants = {
      // First: the tool has not fetched the LMS's keys yet, so it fetches them and then knows
      // the kid is not among them (later, within 10 s of a fetch, it would say "try again").
      {"unknown_kid", "a key the LMS does not publish"},
      {"expired", "the id_token has expired"},
      {"future_iat", "issued in the future"},
      {"wrong_aud", "not addressed to this tool"},
      {"multi_aud_no_azp", "not addressed to this tool"},
      {"wrong_key_same_kid", "signature is not valid"},
      {"tampered", "signature is not valid"},
      {"alg_none", "unsigned (alg none)"},
      {"hs256_pubkey", "not signed with RS256"},
      {"bad_deployment", "deployment of the tool is not registered"},
      {"wrong_message_type", "does not handle this kind of LTI message"},
      {"bad_version", "not LTI 1.3.0"},
      {"wrong_nonce", "nonce is not this login"},
      {"no_sub", "who the user is"},
  };
  for (const auto& [variant, reason] : variants) {
    const Outcome o = Launch("user=mallory&variant=" + variant);
    EXPECT_EQ(o.status, 401) << variant << ": " << o.body;
    EXPECT_TRUE(absl::StrContains(o.body, reason)) << variant << ": " << o.body;
  }
  // Login CSRF: a real login's id_token and state posted from another browser (which holds the
  // cookie of a login of its own) is refused, and does not use the login up.
  const Outcome victim = Prepare("user=mallory");
  const Outcome other = Prepare("user=mallory");
  Outcome crossed = victim;
  crossed.cookie_name = other.cookie_name;
  crossed.cookie = other.cookie;
  const Outcome refused = Post(crossed);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_TRUE(absl::StrContains(refused.body, "cookie")) << refused.body;
  Outcome no_cookie = victim;
  no_cookie.cookie.clear();
  EXPECT_EQ(Post(no_cookie).status, 401);
  EXPECT_EQ(Post(victim).status, 200) << "its own browser still completes it";
  for (const char* attribute :
       {"HttpOnly", "SameSite=None", "Secure", "Partitioned", "Path=/lti", "Max-Age=600"}) {
    EXPECT_TRUE(absl::StrContains(victim.set_cookie, attribute)) << victim.set_cookie;
  }
  std::map<std::string, int> after = Counts();
  EXPECT_EQ(after["passes"], before["passes"] + 1) << "only the good launch issued a pass";

  // An LMS that is not registered, and a login for a deployment that is not: refused at login.
  auto unknown = tool_->Get(
      "/lti/login?iss=https%3A%2F%2Fother.example&login_hint=x&"
      "target_link_uri=" +
      httplib::detail::encode_query_param(tool_base_ + "/lti/launch"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_TRUE(absl::StrContains(unknown->body, "not registered")) << unknown->body;
  EXPECT_FALSE(unknown->has_header("Set-Cookie"));
}

// The console's LMS page: what an LMS administrator pastes into the LMS, and what is registered;
// for administrators only.
TEST_F(LtiLaunchTest, TheConsolesLmsPageShowsTheToolsUrlsToAdministratorsOnly) {
  Register();
  auto sign_in = [&](const std::string& token) {
    auto form = tool_->Get("/login");
    const std::string nonce = CookieFrom(form, "proctor_login");
    auto res = tool_->Post("/login", {{"Cookie", "proctor_login=" + nonce}},
                           httplib::Params{{"login_nonce", nonce}, {"token", token}});
    EXPECT_TRUE(res && res->status == 303) << (res ? res->body : "");
    return res ? CookieFrom(res, "proctor_session") : "";
  };
  const std::string admin = sign_in(server_.admin_token());
  auto page = tool_->Get("/lms", {{"Cookie", "proctor_session=" + admin}});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(Match(page->body, "<code id=\"lms-login-url\">([^<]*)</code>"),
            tool_base_ + "/lti/login");
  EXPECT_EQ(Match(page->body, "<code id=\"lms-launch-url\">([^<]*)</code>"),
            tool_base_ + "/lti/launch");
  EXPECT_EQ(Match(page->body, "<code id=\"lms-jwks-url\">([^<]*)</code>"),
            tool_base_ + "/lti/jwks");
  EXPECT_TRUE(absl::StrContains(page->body, platform_.issuer())) << page->body;
  EXPECT_TRUE(absl::StrContains(page->body, kDeployment));
  EXPECT_TRUE(absl::StrContains(page->body, "id=\"lms-pending\">0 messages")) << page->body;

  const CommandRun token = Ctl("token issue --role examiner --label reviewer --json");
  ASSERT_EQ(token.exit_code, 0) << token.out;
  const std::string examiner = sign_in(nlohmann::json::parse(token.out)["token"]);
  auto refused = tool_->Get("/lms", {{"Cookie", "proctor_session=" + examiner}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_FALSE(absl::StrContains(refused->body, platform_.issuer()));
}

TEST_F(LtiLaunchTest, TheLmsKeysAreCachedAndServeWhileItsJwksIsDown) {
  Register();
  ASSERT_EQ(Launch("user=u1").status, 200);
  ASSERT_EQ(platform_.Count("/jwks"), 1);
  ASSERT_EQ(Launch("user=u2").status, 200);
  EXPECT_EQ(platform_.Count("/jwks"), 1) << "the second launch uses the cached keys";

  ASSERT_TRUE(platform_.http().Post("/test/jwks?down=1", "", "text/plain"));
  const Outcome while_down = Launch("user=u3");
  EXPECT_EQ(while_down.status, 200) << "cached keys still work: " << while_down.body;
  EXPECT_EQ(platform_.Count("/jwks"), 1) << "served from the cache: the LMS was not asked";
  // The platform rotates its key while its JWKS is down: the tool cannot know it yet.
  ASSERT_TRUE(platform_.http().Post("/test/rotate", "", "text/plain"));
  const Outcome rotated = Launch("user=u4");
  EXPECT_EQ(rotated.status, 503) << rotated.body;
  EXPECT_TRUE(absl::StrContains(rotated.body, "in a minute")) << rotated.body;
  ASSERT_TRUE(platform_.http().Post("/test/jwks?down=0", "", "text/plain"));
  // An unknown kid refetches at most every 10 s.
  std::this_thread::sleep_for(std::chrono::seconds(10));
  const Outcome recovered = Launch("user=u5");
  EXPECT_EQ(recovered.status, 200) << recovered.body;
}

}  // namespace
}  // namespace proctor::testing
