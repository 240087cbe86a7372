// The review console in a real browser: headless Chromium (Debian's chromium) driven through
// chromedriver's W3C WebDriver protocol. An examiner signs in, opens the queue, opens the seeded
// flagged session, sees its timeline and evidence thumbnails (loaded, not broken), gives a
// verdict and sees the result's status change. A screenshot of the session page is saved to
// $PROCTOR_CONSOLE_SCREENSHOT (default: console-session.png in the test's directory).
//
// Chromium and chromedriver are required (scripts/setup.sh installs them): without them this
// test fails, it does not skip.
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/console_seed.h"
#include "tests/support/free_port.h"
#include "tests/support/server_harness.h"
#include "tests/support/webdriver.h"

namespace proctor::testing {
namespace {

using nlohmann::json;

TEST(ConsoleBrowserTest, ExaminerReviewsAFlaggedSessionAndTheResultStatusChanges) {
  const std::string chromedriver = EnvOr("PROCTOR_CHROMEDRIVER", "/usr/bin/chromedriver");
  const std::string chromium = EnvOr("PROCTOR_CHROMIUM", "/usr/bin/chromium");
  ASSERT_TRUE(std::filesystem::exists(chromedriver) && std::filesystem::exists(chromium))
      << "the browser test needs Debian's chromium and chromium-driver (" << chromium << ", "
      << chromedriver << "); scripts/setup.sh installs them";
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  const ConsoleSeed seed = SeedFlaggedSession(server);
  ASSERT_FALSE(seed.session_id.empty());
  const std::string base = "http://" + server.http_address();

  const std::string shot_path =
      EnvOr("PROCTOR_CONSOLE_SCREENSHOT", std::filesystem::current_path() / "console-session.png");
  auto beside = [&](const std::string& name) {
    return (std::filesystem::path(shot_path).parent_path() / name).string();
  };
  Browser browser(chromedriver, chromium);
  ASSERT_TRUE(browser.ok());
  // Sign in: the queue sends a stranger to the sign-in page first.
  browser.Go(base + "/queue");
  ASSERT_TRUE(absl::EndsWith(browser.Url(), "/login")) << browser.Url();
  browser.Type("#token", seed.examiner_token);
  browser.ClickAndLoad("#sign-in");
  ASSERT_TRUE(absl::EndsWith(browser.Url(), "/queue"))
      << browser.Url() << ": " << browser.Script("return document.body.innerText");

  // The queue lists the flagged session under the learner's name, as text.
  EXPECT_EQ(browser.Text("#queue a.learner"), kScriptLearnerName);
  SavePng(browser.Screenshot(), beside("console-queue.png"));
  browser.ClickAndLoad("#queue a.open-session");
  ASSERT_TRUE(absl::EndsWith(browser.Url(), "/sessions/" + seed.session_id)) << browser.Url();
  EXPECT_FALSE(browser.AlertOpen());
  EXPECT_EQ(browser.Text("#learner-name"), kScriptLearnerName);

  // Timeline: the flag bands and one dot per identity decision, drawn with their styles.
  EXPECT_GE(browser.FindAll("#timeline rect.band").size(), 3u);
  EXPECT_EQ(browser.FindAll("#timeline circle").size(), seed.evidence_seqs.size());
  EXPECT_EQ(browser.Script("return getComputedStyle(document.querySelector("
                           "'#timeline .band-MULTIPLE_FACES')).fill"),
            "rgb(192, 57, 43)");  // console.css loaded under the page's CSP
  // Thumbnails: every evidence image in order, actually decoded by the browser.
  const json images = browser.Script(
      "return Array.from(document.querySelectorAll('#evidence img')).map("
      "i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])");
  ASSERT_TRUE(images.is_array());
  ASSERT_EQ(images.size(), seed.evidence_seqs.size());
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(images[i][0], "/sessions/" + seed.session_id + "/evidence/" +
                                std::to_string(seed.evidence_seqs[i]));
    EXPECT_TRUE(images[i][1].get<bool>()) << "thumbnail " << i << " did not load";
  }
  EXPECT_TRUE(absl::StrContains(browser.Text("#result-status"), "PENDING_REVIEW"));

  const std::vector<uint8_t> png = browser.Screenshot();
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png[1], 'P');
  std::ofstream(shot_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  std::printf("screenshot of the session page: %s\n", shot_path.c_str());

  // The switch on the page: the same session, queue and report in Russian (Cyrillic rendered
  // by the browser's fonts), then back to English for the rest.
  browser.ClickAndLoad("#lang-ru");
  EXPECT_EQ(browser.Text("#timeline-section h2"), "ХРОНОЛОГИЯ")
      << "console.css sets h2 in capitals";
  EXPECT_EQ(browser.Script("return document.documentElement.lang"), "ru");
  EXPECT_TRUE(absl::StrContains(browser.Text("#reasons-section"), "требует проверки"));
  SavePng(browser.Screenshot(), beside("console-session-ru.png"));
  browser.Go(base + "/queue");
  EXPECT_EQ(browser.Text("h1"), "Очередь на проверку") << "the choice is kept in a cookie";
  SavePng(browser.Screenshot(), beside("console-queue-ru.png"));
  browser.ClickAndLoad("#queue a.open-session");
  browser.ClickAndLoad("#report-link");
  EXPECT_EQ(browser.Text("#chain-result"), "Цепочка хешей проверена.");
  SavePng(browser.Screenshot(), beside("console-report-ru.png"));
  browser.Go(base + "/sessions/" + seed.session_id + "?lang=en");
  EXPECT_EQ(browser.Text("#timeline-section h2"), "TIMELINE");

  // Verdict: reject with a note; the page says so and the result is no longer pending.
  browser.Click("#verdict-reject");
  browser.Type("#note", "Second person on camera for 12 s; someone else verified at 0:55.");
  browser.ClickAndLoad("#submit-verdict");
  EXPECT_TRUE(absl::StrContains(browser.Url(), "/sessions/" + seed.session_id)) << browser.Url();
  // A FINAL session: the rejection waits for a second examiner.
  EXPECT_EQ(browser.Text("p.notice"),
            "Rejection proposed: a second examiner must agree before it takes effect.");
  EXPECT_TRUE(absl::StrContains(browser.Text("#result-status"), "PENDING_REVIEW"));
  EXPECT_TRUE(absl::StrContains(browser.Text("#pending-rejection"), "Dr. Examiner proposed"));
  browser.ClickAndLoad("form.signout button");
  browser.Go(base + "/login");
  browser.Type("#token", seed.second_examiner_token);
  browser.ClickAndLoad("#sign-in");
  browser.Go(base + "/sessions/" + seed.session_id);
  browser.Click("#verdict-reject");
  browser.Type("#note", "Agreed: someone else at 0:55.");
  browser.ClickAndLoad("#submit-verdict");
  EXPECT_EQ(browser.Text(".notice"), "Verdict recorded.");
  EXPECT_TRUE(absl::StrContains(browser.Text("#result-status"), "REJECTED"));
  EXPECT_EQ(browser.Text("#decided-by"), "Dr. Examiner, Dr. Second");
  // The printable report, as an appeal body would read it (screenshot beside the first).
  browser.ClickAndLoad("#report-link");
  EXPECT_EQ(browser.Text("#chain-result"), "Hash chain verified.");
  EXPECT_TRUE(absl::StrContains(browser.Text("#verdict-section"), "Dr. Examiner"));
  const json report_images = browser.Script(
      "return Array.from(document.querySelectorAll('#evidence img')).filter("
      "i => i.complete && i.naturalWidth > 0).length");
  EXPECT_EQ(report_images, seed.evidence_seqs.size());
  SavePng(browser.Screenshot(), beside("console-report.png"));
  browser.Go(base + "/results");
  EXPECT_EQ(browser.Text("#results tr[data-session='" + seed.session_id + "'] td.status"),
            "REJECTED");
  SavePng(browser.Screenshot(), beside("console-results.png"));
  browser.Go(base + "/queue");
  EXPECT_TRUE(browser.FindAll("#queue").empty());  // nothing left to review
}

}  // namespace
}  // namespace proctor::testing
