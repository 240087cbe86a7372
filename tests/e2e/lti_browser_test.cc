// The whole LTI Proctoring Services flow as a learner clicks it, in headless Chromium (Debian's
// chromium, driven through chromedriver): the learner opens the proctored quiz in the LMS
// (tests/lti/lti_platform.py, an independent platform), the browser follows the OIDC login and
// the auto-submitted launch to the tool's attempt page, which gives the one-time pass; the real
// proctor-client runs on a video of the learner from the page's proctor:// link (as the
// registered handler starts it: `proctor-client open LINK`, the learner agreeing to consent);
// nobody photographed the learner before, so the client first takes their reference photos
// (self-enrollment); the page shows the server's verification and the "Continue" button; the
// click posts the tool-signed LtiStartAssessment to the LMS, which accepts it; the client ends
// the session, which waits for an examiner (the LMS's "proctoring" line item says so); the
// examiner compares the kept photo with the institution's record, confirms it and accepts the
// session; the verdict goes back to the LMS as the line item's score, the LMS's own quiz grade is
// recorded as the session's result with its status, and the LMS's LtiEndAssessment shows the
// learner the end page. A screenshot of the attempt page with its Continue button goes to
// $PROCTOR_LTI_SCREENSHOT (default: lti-attempt.png in the test's directory).
#include <filesystem>
#include <fstream>

#include "client/tools/sample_video.h"
#include "tests/support/client_process.h"
#include "tests/support/lti_flow.h"
#include "tests/support/test_data.h"
#include "tests/support/webdriver.h"

namespace proctor::testing {
namespace {

namespace fs = std::filesystem;

class LtiBrowserTest : public LtiFlowTest {};

TEST_F(LtiBrowserTest, ALearnerLaunchesIsVerifiedContinuesAndTheVerdictReachesTheLms) {
  const std::string chromedriver = EnvOr("PROCTOR_CHROMEDRIVER", "/usr/bin/chromedriver");
  const std::string chromium = EnvOr("PROCTOR_CHROMIUM", "/usr/bin/chromium");
  ASSERT_TRUE(fs::exists(chromedriver) && fs::exists(chromium))
      << "the browser test needs Debian's chromium and chromium-driver; scripts/setup.sh "
         "installs them";
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u) << "demo faces missing: run scripts/setup.sh";
  const std::string work = server_.data_dir() + "/lti-browser";
  fs::create_directories(work);
  // The learner alone in front of the camera, mirrored (the same person, not the photo's pixels).
  const std::string video = work + "/exam.avi";
  // (faces[1] faces the camera, as a learner does for the reference photos; faces[0] is turned.)
  ASSERT_TRUE(client::BuildProctoringVideo(video, {{{faces[1].photo_jpeg}, 90.0, true}}).ok());
  Register();

  Browser browser(chromedriver, chromium);
  ASSERT_TRUE(browser.ok());
  // The learner opens the proctored quiz in the LMS.
  browser.Go(platform_.issuer() +
             "/launch?user=alice&locale=en&message_type=LtiStartProctoring&attempt=1&"
             "resource=quiz-7&context=math");
  const auto launched = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (browser.Url().find("/lti/attempts/") == std::string::npos &&
         std::chrono::steady_clock::now() < launched) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string attempt_url = browser.Url();
  ASSERT_NE(attempt_url.find("/lti/attempts/"), std::string::npos)
      << "the browser did not reach the attempt page: " << attempt_url;
  EXPECT_FALSE(browser.FindAll("#no-template").empty()) << "not enrolled yet";
  const std::string command = browser.Text("#command");
  ASSERT_NE(command.find("--pass pass-"), std::string::npos) << command;
  const std::string pass = command.substr(command.find("--pass ") + 7);
  EXPECT_TRUE(browser.FindAll("#continue").empty()) << "nothing verified yet";
  // The Start button's proctor:// link: what the registered handler hands to proctor-client.
  const nlohmann::json href =
      browser.Script("return document.querySelector('a[href^=\"proctor://\"]').href;");
  ASSERT_TRUE(href.is_string()) << href.dump();
  const std::string link = href.get<std::string>();
  EXPECT_NE(link.find(pass), std::string::npos) << link;

  // The learner clicks Start: `proctor-client open LINK`, which asks for consent (yes).
  ClientProcess client(work,
                       {link, "--journal", work + "/journal", "--headless", "--json", "--models",
                        ModelsDir(), "--video", video},
                       "open", "yes\n");
  // The page reloads itself every 5 s; the learner sees Continue once the server verified them.
  const auto verified = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (browser.FindAll("#continue-button").empty() &&
         std::chrono::steady_clock::now() < verified) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    browser.Go(attempt_url);
  }
  ASSERT_FALSE(browser.FindAll("#continue-button").empty())
      << "no Continue while the client ran: " << browser.Text("body");
  EXPECT_FALSE(browser.FindAll("#step-identity.done").empty());
  EXPECT_FALSE(browser.FindAll("#self-enrolled").empty())
      << "the page says the photos still wait for an examiner";
  SavePng(browser.Screenshot(), EnvOr("PROCTOR_LTI_SCREENSHOT", "lti-attempt.png"));
  // Continue: the browser posts the tool's LtiStartAssessment to the LMS, which checks it.
  browser.ClickAndLoad("#continue-button");
  EXPECT_TRUE(absl::StartsWith(browser.Url(), platform_.issuer() + "/start_assessment"))
      << browser.Url();
  auto attempts = platform_.http().Get("/test/attempts");
  ASSERT_TRUE(attempts && attempts->status == 200);
  const auto started = nlohmann::json::parse(attempts->body);
  ASSERT_EQ(started.size(), 1u) << attempts->body;
  EXPECT_EQ(started[0]["user"], "alice");
  EXPECT_EQ(started[0]["attempt_number"], 1);
  EXPECT_EQ(started[0]["verified_user"]["name"], "Alice Learner") << "the name the LMS gave";

  // The LMS grades its quiz; the client finishes the video and closes the session.
  auto graded = platform_.http().Post(
      "/test/lineitem-score?ctx=math&label=Quiz+7&user=alice&score=9&max=10&resource=quiz-7", "",
      "text/plain");
  ASSERT_TRUE(graded && graded->status == 200);
  ASSERT_EQ(client.Wait(240), 0) << client.err();
  EXPECT_TRUE(absl::StrContains(client.err(), "reference photo 3 of 3")) << client.err();
  const nlohmann::json summary = nlohmann::json::parse(client.out(), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << client.out();
  const std::string session_id = summary.value("session_id", "");
  EXPECT_EQ(summary.value("verdict", ""), "PENDING_REVIEW")
      << "self-enrolled: an examiner checks the photo first";

  // The verdict reaches the LMS (the proctoring line item's score) and the result is recorded.
  const auto wait_for = [&](size_t want_scores, nlohmann::json* scores, nlohmann::json* result) {
    const auto delivered = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < delivered) {
      auto res = platform_.http().Get("/test/scores");
      *scores = res && res->status == 200 ? nlohmann::json::parse(res->body) : nlohmann::json();
      const nlohmann::json listed =
          nlohmann::json::parse(Ctl("--json result list").out, nullptr, false);
      const nlohmann::json& rows = listed.is_object() ? listed.value("results", listed) : listed;
      if (rows.is_array() && rows.size() == 1) *result = rows[0];
      if (scores->size() == want_scores && !result->is_null() &&
          (*result)["verdict"] == (want_scores == 1 ? "PENDING_REVIEW" : "ACCEPTED")) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  };
  nlohmann::json scores;
  nlohmann::json result;  // the session's, as proctorctl result list --json gives it
  wait_for(1, &scores, &result);
  ASSERT_EQ(scores.size(), 1u) << scores.dump();
  EXPECT_EQ(scores[0]["userId"], "alice");
  EXPECT_EQ(scores[0]["gradingProgress"], "PendingManual") << scores[0].dump();
  EXPECT_TRUE(scores[0]["scoreGiven"].is_null()) << "not graded while an examiner has to look";
  ASSERT_FALSE(result.is_null()) << "the LMS's grade was not recorded";
  EXPECT_EQ(result["score"], 9.0);
  EXPECT_EQ(result["max_score"], 10.0);
  EXPECT_EQ(result["status"], "PENDING_REVIEW");

  // The examiner compares the kept photo with the institution's record and confirms it, then
  // accepts the session.
  const nlohmann::json pending =
      nlohmann::json::parse(Ctl("--json review enrollment list").out, nullptr, false);
  ASSERT_TRUE(pending.is_array() && pending.size() == 1) << pending.dump();
  const std::string learner = pending[0]["learner_id"];
  const CommandRun photo =
      Ctl(absl::StrCat("review enrollment photo ", learner, " --out ", work, "/photo.jpg"));
  ASSERT_EQ(photo.exit_code, 0) << photo.out;
  EXPECT_GT(fs::file_size(work + "/photo.jpg"), 1000u);
  const CommandRun confirmed = Ctl(absl::StrCat("review enrollment decide ", learner,
                                                " --decision confirm --note 'student ID matches'"));
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out;
  const CommandRun accepted = Ctl(
      absl::StrCat("review decide ", session_id, " --verdict accept --note 'alone throughout'"));
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out;
  wait_for(2, &scores, &result);
  ASSERT_EQ(scores.size(), 2u) << scores.dump();
  EXPECT_EQ(scores[1]["scoreGiven"], 1) << "accepted by the examiner";
  EXPECT_TRUE(absl::StrContains(scores[1]["comment"].get<std::string>(), "/sessions/"));
  EXPECT_EQ(result["verdict"], "ACCEPTED");
  EXPECT_EQ(result["status"], "OFFICIAL");

  // The LMS ends the assessment: the learner sees the end page and the way back.
  browser.Go(platform_.issuer() +
             "/launch?user=alice&locale=ru&message_type=LtiEndAssessment&attempt=1&"
             "resource=quiz-7&context=math");
  const auto ended = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (browser.FindAll("#lti-ended").empty() && std::chrono::steady_clock::now() < ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(browser.FindAll("#lti-ended").empty()) << browser.Text("body");
  EXPECT_TRUE(absl::StrContains(browser.Text("#lti-ended"), "Задание завершено")) << "in Russian";
  EXPECT_FALSE(browser.FindAll("#lti-return").empty());
}

}  // namespace
}  // namespace proctor::testing
