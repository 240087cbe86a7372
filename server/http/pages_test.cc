// The pages render what the database holds as text: hostile names, notes and details never
// become markup, and every form carries the CSRF token.
#include "server/http/pages.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace proctor::server::http {
namespace {

constexpr char kScript[] = "<script>alert(1)</script>";

SessionPage HostilePage() {
  SessionPage page;
  page.learner = {"mallory", kScript, 1};
  page.assessment = {"final-1", "<b>Course</b>", "\"Title\" onmouseover=x", AssessmentKind::kFinal,
                     0};
  SessionRecord& s = page.view.session;
  s.id = "s-abc";
  s.learner_id = "mallory";
  s.state = SessionState::kClosed;
  s.ended_at_ms = 60'000;
  s.risk_score = 0.8;
  s.verdict = Verdict::kRejected;
  s.decided_by = "<img src=x onerror=alert(2)>";
  s.decision_note = "</blockquote><script>alert(3)</script>";
  page.view.policy = PolicyFor(AssessmentKind::kFinal);
  StoredEvent e;
  e.event.seq = 1;
  e.event.kind = EventKind::kIdentityVerified;
  e.event.at_ms = 1000;
  e.event.client_distance = 0.7f;
  e.server_distance = 0.7f;
  e.has_evidence = true;
  page.view.events.push_back(e);
  page.view.scorecard.flags.push_back(
      {EventKind::kMultipleFaces, 5000, 15000, "<script>alert(4)</script>"});
  page.view.scorecard.reasons.push_back("<script>alert(5)</script>");
  page.decisions.push_back({1, "<script>", "review.decide", "s-abc", "<script>alert(6)</script>"});
  return page;
}

TEST(PagesTest, SessionPageRendersHostileTextInertly) {
  const std::string html = SessionPageHtml({"<examiner>", "csrf-123"}, HostilePage(), "");
  EXPECT_FALSE(absl::StrContains(html, "<script")) << html;
  EXPECT_FALSE(absl::StrContains(html, "<img src=x"));
  EXPECT_FALSE(absl::StrContains(html, "<b>Course"));
  EXPECT_TRUE(absl::StrContains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(absl::StrContains(html, "&quot;Title&quot; onmouseover=x"));
}

TEST(PagesTest, SessionPageShowsDistanceThresholdFlagBandAndCsrfForm) {
  const std::string html = SessionPageHtml({"Dr. E", "csrf-123"}, HostilePage(), "");
  EXPECT_TRUE(absl::StrContains(html, "threshold 0.55"));
  EXPECT_TRUE(absl::StrContains(html, "0.700"));
  EXPECT_TRUE(absl::StrContains(html, "class=\"band band-MULTIPLE_FACES\""));
  EXPECT_TRUE(absl::StrContains(html, "10.0 s"));
  EXPECT_TRUE(absl::StrContains(html, "/sessions/s-abc/evidence/1"));
  EXPECT_TRUE(absl::StrContains(html, "name=\"csrf\" value=\"csrf-123\""));
  EXPECT_TRUE(absl::StrContains(html, "id=\"verdict-form\""));
}

TEST(PagesTest, ReportEmbedsEvidenceAndSaysWhatWasVerified) {
  SessionReport report;
  report.page = HostilePage();
  report.evidence[1] = {0xff, 0xd8, 0xff};
  report.chain.events = report.chain.recomputed = report.chain.linked = 1;
  report.chain.head_matches = true;
  const std::string html = ReportPage(report, "Dr. E", 1'700'000'000'000);
  EXPECT_FALSE(absl::StrContains(html, "<script"));
  EXPECT_TRUE(absl::StrContains(html, "data:image/jpeg;base64,/9j/"));
  EXPECT_TRUE(absl::StrContains(html, "Hash chain verified."));
  EXPECT_FALSE(absl::StrContains(html, "<form"));
}

TEST(PagesTest, ReportCountsVerifiedSignaturesAndNamesFailuresAndUnsignedEventsInRed) {
  SessionReport report;
  report.page = HostilePage();
  report.signatures.signatures = report.signatures.verified = 2;
  report.signatures.last_signed_seq = 1;
  std::string html = ReportPage(report, "Dr. E", 1'700'000'000'000);
  EXPECT_TRUE(absl::StrContains(
      html, "<p class=\"verified\" id=\"signature-result\">2 batch signatures verified, 0 failed."))
      << html;
  EXPECT_FALSE(absl::StrContains(html, "id=\"signature-failures\""));
  EXPECT_FALSE(absl::StrContains(html, "id=\"unsigned-events\""));

  report.signatures.signatures = 3;
  report.signatures.verified = 1;
  report.signatures.failed = {6, 9};
  report.signatures.problems = {"seq 6: <b>bad</b>", "seq 9: bad too"};
  report.signatures.last_signed_seq = 9;
  report.signatures.unsigned_events = 3;
  html = ReportPage(report, "Dr. E", 1'700'000'000'000);
  EXPECT_TRUE(absl::StrContains(
      html, "<p class=\"error\" id=\"signature-result\">1 batch signature verified, 2 failed."))
      << html;
  EXPECT_TRUE(absl::StrContains(html,
                                "<ul class=\"problems\" id=\"signature-failures\"><li>seq "
                                "6: &lt;b&gt;bad&lt;/b&gt;</li><li>seq 9: bad too</li></ul>"))
      << html;
  EXPECT_TRUE(absl::StrContains(
      html,
      "<li class=\"error\" id=\"unsigned-events\">3 events after seq 9, the last signed "
      "head, unsigned"))
      << html;

  report.signatures = {};
  report.signatures.unsigned_events = 1;
  html = ReportPage(report, "Dr. E", 1'700'000'000'000);
  EXPECT_TRUE(absl::StrContains(html, "0 batch signatures verified, 0 failed.")) << html;
  EXPECT_TRUE(absl::StrContains(html, "1 event unsigned: no batch signature is stored")) << html;
}

TEST(PagesTest, LoginPageCarriesTheNonceAndEscapesTheError) {
  const std::string html = LoginPage("nonce-1", "<b>bad</b>");
  EXPECT_TRUE(absl::StrContains(html, "value=\"nonce-1\""));
  EXPECT_TRUE(absl::StrContains(html, "&lt;b&gt;bad&lt;/b&gt;"));
}

TEST(PagesTest, ExportsEscapeForTheirFormat) {
  ResultRow row;
  row.learner_name = "=cmd|' /C calc'!A0, \"x\"";
  row.view.result = {"s-1", "l-1", "a-1", 30, 40, 0, "lms"};
  row.view.status = ResultStatus::kPendingReview;
  const std::string csv = ResultsCsv({row});
  EXPECT_TRUE(absl::StrContains(csv, "\"'=cmd|' /C calc'!A0, \"\"x\"\"\""));
  EXPECT_TRUE(absl::StrContains(csv, ",PENDING_REVIEW,"));
  const std::string json = ResultsJson({row});
  EXPECT_TRUE(absl::StrContains(json, "\"status\": \"PENDING_REVIEW\""));
}

}  // namespace
}  // namespace proctor::server::http
