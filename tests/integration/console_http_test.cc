// The review console over HTTP against a real proctor-server process: what needs a session and
// what does not, sign-in, CSRF refusals, escaping of a hostile learner name, evidence images
// and their audit entries, the report's chain and signature verification (with a signature
// tampered in the server's SQLite database), the exports, /healthz, /metrics checked with
// prometheus_client's own parser, and HTTPS under --tls-cert/--tls-key.
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proctor/v1/admin.grpc.pb.h"
#include "tests/support/console_seed.h"
#include "tests/support/free_port.h"
#include "tests/support/server_harness.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

std::string CookieFrom(const httplib::Result& res, const std::string& name) {
  for (size_t i = 0; i < res->get_header_value_count("Set-Cookie"); ++i) {
    const std::string header = res->get_header_value("Set-Cookie", i);
    if (absl::StartsWith(header, name + "=")) {
      return header.substr(name.size() + 1, header.find(';') - name.size() - 1);
    }
  }
  return "";
}

class ConsoleHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(server_.Start(&why)) << why;
    seed_ = SeedFlaggedSession(server_);
    ASSERT_FALSE(seed_.session_id.empty());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_.http_port());
    http_->set_read_timeout(30, 0);
  }

  // Signs in with `token`; returns the session cookie ("" when refused) and the final status.
  std::string SignIn(const std::string& token, int* status = nullptr) {
    auto form = http_->Get("/login");
    EXPECT_TRUE(form);
    const std::string nonce = CookieFrom(form, "proctor_login");
    EXPECT_FALSE(nonce.empty());
    httplib::Headers headers = {{"Cookie", "proctor_login=" + nonce}};
    auto res =
        http_->Post("/login", headers, httplib::Params{{"login_nonce", nonce}, {"token", token}});
    EXPECT_TRUE(res);
    if (status != nullptr) *status = res->status;
    return CookieFrom(res, "proctor_session");
  }

  httplib::Result Get(const std::string& path, const std::string& cookie) {
    httplib::Headers headers;
    if (!cookie.empty()) headers.emplace("Cookie", "proctor_session=" + cookie);
    return http_->Get(path, headers);
  }

  // The CSRF token of the signed-in session, read from the session page's verdict form.
  std::string CsrfToken(const std::string& cookie) {
    auto page = Get("/sessions/" + seed_.session_id, cookie);
    const std::string marker = "name=\"csrf\" value=\"";
    const size_t at = page->body.find(marker);
    if (at == std::string::npos) return "";
    const size_t from = at + marker.size();
    return page->body.substr(from, page->body.find('"', from) - from);
  }

  httplib::Result PostVerdict(const std::string& cookie, const httplib::Params& form,
                              httplib::Headers headers = {}) {
    if (!cookie.empty()) headers.emplace("Cookie", "proctor_session=" + cookie);
    return http_->Post("/sessions/" + seed_.session_id + "/verdict", headers, form);
  }

  // Runs SQL on the server's database through a connection of its own, as an intruder with
  // file access would; returns the first column of the first row (0 when none, -1 on error).
  int64_t Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_stmt* stmt = nullptr;
    int64_t value = -1;
    const std::string path = server_.data_dir() + "/proctor.db";
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
      if (rc == SQLITE_DONE) value = 0;
    }
    EXPECT_NE(value, -1) << sql << ": " << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }

  // The evidence.view audit entries of the seeded session by the seeded examiner.
  int64_t EvidenceViews(const std::string& detail_like = "%") {
    return Sql(
        "SELECT count(*) FROM audit WHERE action = 'evidence.view' AND actor = "
        "'Dr. Examiner' AND subject = '" +
        seed_.session_id + "' AND detail LIKE '" + detail_like + "'");
  }

  ServerProcess server_;
  ConsoleSeed seed_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(ConsoleHttpTest, WithoutASessionEveryPageRedirectsAndEveryImageOrExportIs401) {
  const std::string s = "/sessions/" + seed_.session_id;
  for (const std::string& page :
       {std::string("/"), std::string("/queue"), std::string("/results"), s, s + "/report"}) {
    for (const std::string& cookie : {std::string(), std::string("forged-cookie")}) {
      auto res = Get(page, cookie);
      ASSERT_TRUE(res) << page;
      EXPECT_EQ(res->status, 303) << page;
      const std::string location = res->get_header_value("Location");
      EXPECT_EQ(location, page == "/" ? "/queue" : "/login") << page;
      EXPECT_FALSE(absl::StrContains(res->body, "alert(1)")) << page;
    }
  }
  ASSERT_FALSE(seed_.evidence_seqs.empty());
  std::vector<std::string> protected_data = {"/results.csv", "/results.json"};
  for (uint64_t seq : seed_.evidence_seqs) {
    protected_data.push_back(s + "/evidence/" + std::to_string(seq));
  }
  for (const std::string& path : protected_data) {
    auto res = Get(path, "forged-cookie");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    EXPECT_NE(res->get_header_value("Content-Type"), "image/jpeg") << path;
  }
  auto post = PostVerdict("", {{"verdict", "accept"}, {"note", "no session"}});
  EXPECT_EQ(post->status, 401);
  // The root redirects to the queue, which redirects to sign-in.
  EXPECT_EQ(Get("/", "")->get_header_value("Location"), "/queue");
}

TEST_F(ConsoleHttpTest, SignInTakesOnlyExaminerTokensAndSetsAStrictHttpOnlyCookie) {
  int status = 0;
  EXPECT_EQ(SignIn("not-a-token", &status), "");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(SignIn(seed_.lms_token, &status), "");
  EXPECT_EQ(status, 403);
  // A sign-in post without the form's nonce (login CSRF) is refused.
  auto forged = http_->Post("/login", httplib::Params{{"token", seed_.examiner_token}});
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(CookieFrom(forged, "proctor_session"), "");

  auto form = http_->Get("/login");
  const std::string nonce = CookieFrom(form, "proctor_login");
  auto res = http_->Post("/login", {{"Cookie", "proctor_login=" + nonce}},
                         httplib::Params{{"login_nonce", nonce}, {"token", seed_.examiner_token}});
  ASSERT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/queue");
  std::string set_cookie;
  for (size_t i = 0; i < res->get_header_value_count("Set-Cookie"); ++i) {
    if (absl::StartsWith(res->get_header_value("Set-Cookie", i), "proctor_session=")) {
      set_cookie = res->get_header_value("Set-Cookie", i);
    }
  }
  EXPECT_TRUE(absl::StrContains(set_cookie, "HttpOnly")) << set_cookie;
  EXPECT_TRUE(absl::StrContains(set_cookie, "SameSite=Strict")) << set_cookie;
  EXPECT_FALSE(absl::StrContains(set_cookie, seed_.examiner_token));
  const std::string cookie = CookieFrom(res, "proctor_session");
  auto queue = Get("/queue", cookie);
  ASSERT_EQ(queue->status, 200);
  EXPECT_TRUE(absl::StrContains(queue->body, seed_.session_id));
  EXPECT_TRUE(absl::StrContains(queue->body, "Dr. Examiner"));
}

// An examiner who left: the administrator revokes their token; their console sign-in ends at
// the next request and the token no longer signs in. Audited.
TEST_F(ConsoleHttpTest, ARevokedExaminerIsSignedOutAndCannotSignInAgain) {
  const std::string cookie = SignIn(seed_.examiner_token);
  ASSERT_FALSE(cookie.empty());
  ASSERT_EQ(Get("/queue", cookie)->status, 200);
  auto admin = v1::AdminService::NewStub(server_.channel());
  grpc::ClientContext context;
  Authorize(&context, server_.admin_token());
  v1::RevokeTokensRequest request;
  request.set_role(v1::EXAMINER);
  request.set_label("Dr. Examiner");
  v1::RevokeTokensResponse response;
  const grpc::Status revoked = admin->RevokeTokens(&context, request, &response);
  ASSERT_TRUE(revoked.ok()) << revoked.error_message();
  EXPECT_EQ(response.revoked(), 1);

  auto after = Get("/queue", cookie);
  EXPECT_EQ(after->status, 303) << "signed out";
  EXPECT_EQ(after->get_header_value("Location"), "/login");
  int status = 0;
  EXPECT_TRUE(SignIn(seed_.examiner_token, &status).empty());
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Sql("SELECT count(*) FROM audit WHERE action = 'token.revoke' AND subject = "
                "'Dr. Examiner'"),
            1);
  grpc::ClientContext again;
  Authorize(&again, server_.admin_token());
  EXPECT_EQ(admin->RevokeTokens(&again, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ConsoleHttpTest, CrossSitePostsWithoutTheCsrfTokenAreRefusedAndChangeNothing) {
  const std::string cookie = SignIn(seed_.examiner_token);
  ASSERT_FALSE(cookie.empty());
  const std::string csrf = CsrfToken(cookie);
  ASSERT_GE(csrf.size(), 32u);
  const httplib::Params no_token = {{"verdict", "accept"}, {"note", "forged"}};
  EXPECT_EQ(PostVerdict(cookie, no_token)->status, 403);
  EXPECT_EQ(PostVerdict(cookie, {{"verdict", "accept"}, {"note", "x"}, {"csrf", "guess"}})->status,
            403);
  const httplib::Params with_token = {{"verdict", "accept"}, {"note", "forged"}, {"csrf", csrf}};
  EXPECT_EQ(PostVerdict(cookie, with_token, {{"Origin", "http://evil.example"}})->status, 403);
  EXPECT_EQ(PostVerdict(cookie, with_token, {{"Sec-Fetch-Site", "cross-site"}})->status, 403);
  auto unchanged = Get("/sessions/" + seed_.session_id, cookie);
  EXPECT_TRUE(absl::StrContains(unchanged->body, "verdict-PENDING_REVIEW"));
  EXPECT_FALSE(absl::StrContains(unchanged->body, "forged"));

  // The same form from the console itself goes through.
  auto ok = PostVerdict(cookie, {{"verdict", "reject"}, {"note", "second person"}, {"csrf", csrf}},
                        {{"Origin", "http://" + server_.http_address()}});
  ASSERT_EQ(ok->status, 303) << ok->body;
  EXPECT_TRUE(absl::EndsWith(ok->get_header_value("Location"), "?proposed=1"));
  // A FINAL session: the first rejection is a proposal, and its proposer cannot confirm it.
  auto proposed = Get("/sessions/" + seed_.session_id, cookie);
  EXPECT_TRUE(absl::StrContains(proposed->body, "verdict-PENDING_REVIEW"));
  EXPECT_TRUE(absl::StrContains(proposed->body, "status-PENDING_REVIEW"));
  EXPECT_TRUE(absl::StrContains(proposed->body, "id=\"pending-rejection\">Dr. Examiner proposed"));
  auto again = PostVerdict(cookie, {{"verdict", "reject"}, {"note", "still"}, {"csrf", csrf}},
                           {{"Origin", "http://" + server_.http_address()}});
  EXPECT_EQ(again->status, 409) << again->body;
  // The second examiner agrees: rejected, by both.
  const std::string second = SignIn(seed_.second_examiner_token);
  const std::string second_csrf = CsrfToken(second);
  auto confirmed =
      PostVerdict(second, {{"verdict", "reject"}, {"note", "agreed"}, {"csrf", second_csrf}},
                  {{"Origin", "http://" + server_.http_address()}});
  ASSERT_EQ(confirmed->status, 303) << confirmed->body;
  auto decided = Get("/sessions/" + seed_.session_id, cookie);
  EXPECT_TRUE(absl::StrContains(decided->body, "verdict-REJECTED"));
  EXPECT_TRUE(absl::StrContains(decided->body, "status-REJECTED"));
  EXPECT_TRUE(absl::StrContains(decided->body, "id=\"decided-by\">Dr. Examiner, Dr. Second"));
  EXPECT_FALSE(absl::StrContains(decided->body, "id=\"pending-rejection\""));
  // Signing out needs the token too, and ends the session.
  httplib::Headers headers = {{"Cookie", "proctor_session=" + cookie}};
  EXPECT_EQ(http_->Post("/logout", headers, httplib::Params{})->status, 403);
  EXPECT_EQ(http_->Post("/logout", headers, httplib::Params{{"csrf", csrf}})->status, 303);
  EXPECT_EQ(Get("/queue", cookie)->status, 303);
}

TEST_F(ConsoleHttpTest, ScriptNamedLearnerIsRenderedAsTextEverywhere) {
  const std::string cookie = SignIn(seed_.examiner_token);
  const std::string escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
  for (const std::string& path :
       {std::string("/queue"), std::string("/results"), "/sessions/" + seed_.session_id,
        "/sessions/" + seed_.session_id + "/report"}) {
    auto res = Get(path, cookie);
    ASSERT_EQ(res->status, 200) << path;
    EXPECT_TRUE(absl::StrContains(res->body, escaped)) << path;
    EXPECT_FALSE(absl::StrContains(res->body, "<script")) << path;
    const std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_TRUE(absl::StrContains(csp, "default-src 'none'")) << path;
    EXPECT_FALSE(absl::StrContains(csp, "script-src")) << path;  // no script source at all
  }
  // Exports are data, not HTML: the name is there as it was given, properly quoted.
  auto json = nlohmann::json::parse(Get("/results.json", cookie)->body);
  ASSERT_EQ(json["results"].size(), 1u);
  EXPECT_EQ(json["results"][0]["learner_name"], kScriptLearnerName);
  EXPECT_EQ(json["results"][0]["status"], "PENDING_REVIEW");
  auto csv = Get("/results.csv", cookie);
  EXPECT_TRUE(absl::StartsWith(csv->get_header_value("Content-Type"), "text/csv"));
  EXPECT_TRUE(absl::StrContains(csv->body, std::string(",") + kScriptLearnerName + ","));
  EXPECT_TRUE(absl::StrContains(csv->body, ",PENDING_REVIEW,"));
}

TEST_F(ConsoleHttpTest, EvidenceImagesAreTheChipsSentAndTheReportVerifiesTheChain) {
  const std::string cookie = SignIn(seed_.examiner_token);
  ASSERT_EQ(seed_.evidence_seqs.size(), seed_.chips.size());
  for (size_t i = 0; i < seed_.evidence_seqs.size(); ++i) {
    auto res =
        Get("/sessions/" + seed_.session_id + "/evidence/" + std::to_string(seed_.evidence_seqs[i]),
            cookie);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_EQ(res->body, std::string(seed_.chips[i].begin(), seed_.chips[i].end()));
  }
  EXPECT_EQ(Get("/sessions/" + seed_.session_id + "/evidence/1", cookie)->status, 404);
  EXPECT_EQ(Get("/sessions/no-such-session", cookie)->status, 404);

  auto page = Get("/sessions/" + seed_.session_id, cookie);
  for (const char* expected :
       {"band band-MULTIPLE_FACES", "band band-FACE_ABSENT", "band band-IDENTITY_MISMATCH",
        "threshold 0.55", "12.0 s", "id=\"reference\"", "status-PENDING_REVIEW",
        // Retention: the verdict is not final, so no date yet.
        "id=\"retention\">evidence kept until the verdict is final"}) {
    EXPECT_TRUE(absl::StrContains(page->body, expected)) << expected;
  }
  auto report = Get("/sessions/" + seed_.session_id + "/report", cookie);
  ASSERT_EQ(report->status, 200);
  EXPECT_TRUE(absl::StrContains(report->body, "Hash chain verified."));
  const std::string n = std::to_string(seed_.events_sent);
  EXPECT_TRUE(absl::StrContains(report->body, n + " of " + n + " event hashes recomputed"));
  size_t embedded = 0;
  for (size_t at = 0; (at = report->body.find("data:image/jpeg;base64,", at)) != std::string::npos;
       ++at) {
    ++embedded;
  }
  EXPECT_EQ(embedded, seed_.chips.size());
  EXPECT_TRUE(
      absl::StrContains(report->get_header_value("Content-Security-Policy"), "img-src data:"));
}

TEST_F(ConsoleHttpTest, ReportVerifiesEveryStoredBatchSignatureAndShowsTamperedOnesAsFailed) {
  const std::string cookie = SignIn(seed_.examiner_token);
  // 13 events (the learner's consent first) in two batches.
  ASSERT_EQ(seed_.batch_heads, (std::vector<uint64_t>{6, 13}));
  const std::string report = "/sessions/" + seed_.session_id + "/report";
  auto intact = Get(report, cookie);
  ASSERT_EQ(intact->status, 200);
  EXPECT_TRUE(absl::StrContains(
      intact->body,
      "<p class=\"verified\" id=\"signature-result\">2 batch signatures verified, 0 failed."))
      << intact->body;
  EXPECT_FALSE(absl::StrContains(intact->body, "id=\"signature-failures\""));
  EXPECT_FALSE(absl::StrContains(intact->body, "id=\"unsigned-events\""));

  // The first batch's stored signature is overwritten: that signature fails, named by its seq.
  EXPECT_EQ(Sql("UPDATE batch_signatures SET signature = zeroblob(64) WHERE head_seq = 6"), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM batch_signatures WHERE signature = zeroblob(64)"), 1);
  auto tampered = Get(report, cookie);
  ASSERT_EQ(tampered->status, 200);
  EXPECT_TRUE(absl::StrContains(
      tampered->body,
      "<p class=\"error\" id=\"signature-result\">1 batch signature verified, 1 failed."))
      << tampered->body;
  EXPECT_TRUE(absl::StrContains(tampered->body,
                                "<ul class=\"problems\" id=\"signature-failures\"><li>seq 6: "
                                "the batch signature does not verify"))
      << tampered->body;
  EXPECT_TRUE(absl::StrContains(tampered->body, "Hash chain verified."))
      << "the events themselves are intact";

  // Without the last batch's signature, its events are reported as unsigned.
  EXPECT_EQ(Sql("DELETE FROM batch_signatures WHERE head_seq = 13"), 0);
  auto unsigned_tail = Get(report, cookie);
  ASSERT_EQ(unsigned_tail->status, 200);
  EXPECT_TRUE(absl::StrContains(unsigned_tail->body, "0 batch signatures verified, 1 failed."));
  EXPECT_TRUE(absl::StrContains(unsigned_tail->body,
                                "id=\"unsigned-events\">7 events after seq 6, the last signed "
                                "head, unsigned"))
      << unsigned_tail->body;
}

TEST_F(ConsoleHttpTest, EvidenceViewsAreAuditedOncePerExaminerSessionAndSignIn) {
  ASSERT_GE(seed_.evidence_seqs.size(), 2u);
  const std::string evidence = "/sessions/" + seed_.session_id + "/evidence/";
  const std::string first = std::to_string(seed_.evidence_seqs[0]);
  const std::string second = std::to_string(seed_.evidence_seqs[1]);
  EXPECT_EQ(EvidenceViews(), 0);
  EXPECT_EQ(Get(evidence + first, "forged-cookie")->status, 401);
  EXPECT_EQ(EvidenceViews(), 0) << "nothing was shown";

  const std::string a = SignIn(seed_.examiner_token);
  EXPECT_EQ(Get("/sessions/" + seed_.session_id, a)->status, 200);
  EXPECT_EQ(EvidenceViews(), 0) << "the page itself shows no evidence; its images do";
  EXPECT_EQ(Get(evidence + first, a)->status, 200);
  EXPECT_EQ(EvidenceViews(), 1);
  EXPECT_EQ(EvidenceViews("seq " + first), 1);
  EXPECT_EQ(Get(evidence + first, a)->status, 200);
  EXPECT_EQ(Get(evidence + second, a)->status, 200);
  EXPECT_EQ(Get("/sessions/" + seed_.session_id + "/report", a)->status, 200);
  EXPECT_EQ(EvidenceViews(), 1) << "once per examiner, session and sign-in";

  // Another sign-in of the same examiner: a refused view records nothing, the report (which
  // embeds every image) records one entry.
  const std::string b = SignIn(seed_.examiner_token);
  EXPECT_EQ(Get(evidence + "1", b)->status, 404);
  EXPECT_EQ(EvidenceViews(), 1);
  EXPECT_EQ(Get("/sessions/" + seed_.session_id + "/report", b)->status, 200);
  EXPECT_EQ(Get(evidence + second, b)->status, 200);
  EXPECT_EQ(EvidenceViews(), 2);
  EXPECT_EQ(EvidenceViews("report, " + std::to_string(seed_.chips.size()) + " image(s)"), 1);

  EXPECT_EQ(Get(evidence + second, a)->status, 200);
  EXPECT_EQ(EvidenceViews(), 2) << "the first sign-in already has its entry";
  // A third sign-in: a new entry again.
  const std::string c = SignIn(seed_.examiner_token);
  EXPECT_EQ(Get(evidence + second, c)->status, 200);
  EXPECT_EQ(EvidenceViews(), 3);
}

// A learner the LMS created enrolled themselves: the examiner sees them waiting on
// /enrollments, looks at the kept photo (audited), and confirms with a note, through the
// CSRF-checked form; the photo is gone after. Refused decisions change nothing.
TEST_F(ConsoleHttpTest, AnExaminerConfirmsASelfEnrolledLearnerAndThePhotoIsDeleted) {
  const std::vector<std::vector<uint8_t>> photos =
      SeedSelfEnrolledLearner(server_, "lti-ada", "Ada <i>Lovelace</i>");
  ASSERT_EQ(photos.size(), 2u);
  const std::string photo = "/enrollments/lti-ada/photo";
  EXPECT_EQ(Get("/enrollments", "")->get_header_value("Location"), "/login");
  EXPECT_EQ(Get(photo, "forged-cookie")->status, 401);

  const std::string cookie = SignIn(seed_.examiner_token);
  ASSERT_FALSE(cookie.empty());
  auto queue = Get("/queue", cookie);
  EXPECT_TRUE(absl::StrContains(queue->body, "id=\"enrollments-pending\"")) << queue->body;
  EXPECT_TRUE(absl::StrContains(queue->body, "href=\"/enrollments\" id=\"nav-enrollments\""));
  auto page = Get("/enrollments", cookie);
  ASSERT_EQ(page->status, 200);
  for (const char* expected :
       {"id=\"enrollment-lti-ada\"", "Ada &lt;i&gt;Lovelace&lt;/i&gt;", "Final exam",
        "<img src=\"/enrollments/lti-ada/photo\"", "action=\"/enrollments/lti-ada/decide\"",
        "2 photos taken", "student ID"}) {
    EXPECT_TRUE(absl::StrContains(page->body, expected)) << expected << "\n" << page->body;
  }
  EXPECT_FALSE(absl::StrContains(page->body, "<i>Lovelace"));

  auto jpeg = Get(photo, cookie);
  ASSERT_EQ(jpeg->status, 200);
  EXPECT_EQ(jpeg->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(jpeg->get_header_value("Cache-Control"), "private, no-store");
  ASSERT_GE(jpeg->body.size(), 2u);
  EXPECT_EQ(jpeg->body.substr(0, 2), "\xFF\xD8");
  EXPECT_EQ(jpeg->body, std::string(photos[0].begin(), photos[0].end()));
  EXPECT_EQ(Sql("SELECT count(*) FROM audit WHERE action = 'enrollment.photo.view' AND subject = "
                "'lti-ada' AND actor = 'Dr. Examiner'"),
            1);

  const std::string csrf = CsrfToken(cookie);
  ASSERT_GE(csrf.size(), 32u);
  const httplib::Headers same_origin = {{"Origin", "http://" + server_.http_address()}};
  auto decide = [&](const std::string& learner, const httplib::Params& form,
                    httplib::Headers headers) {
    headers.emplace("Cookie", "proctor_session=" + cookie);
    return http_->Post("/enrollments/" + learner + "/decide", headers, form);
  };
  auto pending = [&] {
    return Sql(
        "SELECT count(*) FROM self_enrollments WHERE learner_id = 'lti-ada' AND state = 1 "
        "AND sealed_photo IS NOT NULL");
  };
  EXPECT_EQ(decide("lti-ada", {{"decision", "confirm"}, {"note", "forged"}}, same_origin)->status,
            403);
  EXPECT_EQ(decide("lti-ada", {{"decision", "confirm"}, {"note", "forged"}, {"csrf", "guess"}},
                   same_origin)
                ->status,
            403);
  EXPECT_EQ(decide("lti-ada", {{"decision", "confirm"}, {"note", "forged"}, {"csrf", csrf}},
                   {{"Origin", "http://evil.example"}})
                ->status,
            403);
  for (const std::string& note : {std::string(), std::string("  \n ")}) {
    auto refused =
        decide("lti-ada", {{"decision", "confirm"}, {"note", note}, {"csrf", csrf}}, same_origin);
    EXPECT_EQ(refused->status, 400);
    EXPECT_TRUE(absl::StrContains(refused->body, "write a note")) << refused->body;
  }
  EXPECT_EQ(decide("lti-ada", {{"decision", "maybe"}, {"note", "x"}, {"csrf", csrf}}, same_origin)
                ->status,
            400);
  EXPECT_EQ(pending(), 1) << "nothing changed";
  EXPECT_EQ(decide("nobody", {{"decision", "confirm"}, {"note", "x"}, {"csrf", csrf}}, same_origin)
                ->status,
            404);
  EXPECT_EQ(Get("/enrollments/nobody/photo", cookie)->status, 404);

  auto confirmed = decide(
      "lti-ada", {{"decision", "confirm"}, {"note", "matches the student ID card"}, {"csrf", csrf}},
      same_origin);
  ASSERT_EQ(confirmed->status, 303) << confirmed->body;
  const std::string location = confirmed->get_header_value("Location");
  EXPECT_EQ(location, "/enrollments?decided=lti-ada");
  auto after = Get(location, cookie);
  ASSERT_EQ(after->status, 200);
  for (const char* expected : {"id=\"enrollment-notice\"", "Self-enrollment of lti-ada confirmed",
                               "<tr data-learner=\"lti-ada\">", "data-state=\"confirmed\"",
                               "Dr. Examiner", "matches the student ID card"}) {
    EXPECT_TRUE(absl::StrContains(after->body, expected)) << expected << "\n" << after->body;
  }
  EXPECT_FALSE(absl::StrContains(after->body, "id=\"enrollment-lti-ada\""));
  EXPECT_EQ(Get(photo, cookie)->status, 404);
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM self_enrollments WHERE learner_id = 'lti-ada' AND state = 2 "
                "AND sealed_photo IS NULL"),
            1);
  EXPECT_EQ(Sql("SELECT count(*) FROM audit WHERE action = 'learner.self_enroll.confirm' AND "
                "subject = 'lti-ada' AND actor = 'Dr. Examiner'"),
            1);
  EXPECT_EQ(
      decide("lti-ada", {{"decision", "reject"}, {"note", "late"}, {"csrf", csrf}}, same_origin)
          ->status,
      409)
      << "decided already";
  EXPECT_FALSE(absl::StrContains(Get("/queue", cookie)->body, "id=\"enrollments-pending\""));
}

TEST_F(ConsoleHttpTest, HealthzAndMetricsNeedNoSessionAndMetricsParseAsPrometheusText) {
  SendBadlySignedBatch(server_);
  auto health = http_->Get("/healthz");
  ASSERT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\ndatabase: sqlite\n");
  auto metrics = http_->Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  EXPECT_TRUE(
      absl::StartsWith(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4"));
  const std::string input = server_.data_dir() + "/metrics.txt";
  std::ofstream(input) << metrics->body;
  const std::string command = std::string("/usr/bin/python3 ") + PROCTOR_SOURCE_DIR +
                              "/tests/integration/parse_metrics.py < " + input;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  ASSERT_EQ(::pclose(pipe), 0) << "the Prometheus parser refused /metrics:\n" << metrics->body;
  const auto families = nlohmann::json::parse(out);

  auto value = [&](const std::string& family, const std::string& sample,
                   const nlohmann::json& labels = nlohmann::json::object()) -> double {
    if (!families.contains(family)) {
      ADD_FAILURE() << "no family " << family;
      return -1;
    }
    for (const auto& s : families[family]["samples"]) {
      if (s["name"] == sample && s["labels"] == labels) return s["value"].get<double>();
    }
    ADD_FAILURE() << "no sample " << sample << " " << labels.dump();
    return -1;
  };
  EXPECT_EQ(families["proctor_sessions_open"]["type"], "gauge");
  EXPECT_EQ(value("proctor_sessions_open", "proctor_sessions_open"), 1);  // the bad one is open
  EXPECT_EQ(value("proctor_sessions_pending_review", "proctor_sessions_pending_review"), 1);
  EXPECT_EQ(families["proctor_events_ingested"]["type"], "counter");
  EXPECT_EQ(value("proctor_events_ingested", "proctor_events_ingested_total"),
            static_cast<double>(seed_.events_sent));
  EXPECT_EQ(families["proctor_ingest_latency_seconds"]["type"], "histogram");
  EXPECT_GE(value("proctor_ingest_latency_seconds", "proctor_ingest_latency_seconds_count"), 1);
  EXPECT_EQ(value("proctor_ingest_latency_seconds", "proctor_ingest_latency_seconds_count"),
            value("proctor_ingest_latency_seconds", "proctor_ingest_latency_seconds_bucket",
                  {{"le", "+Inf"}}));
  EXPECT_GT(value("proctor_ingest_latency_seconds", "proctor_ingest_latency_seconds_sum"), 0);
  EXPECT_EQ(families["proctor_flags"]["type"], "counter");
  EXPECT_EQ(value("proctor_flags", "proctor_flags_total", {{"kind", "MULTIPLE_FACES"}}), 1);
  EXPECT_EQ(value("proctor_flags", "proctor_flags_total", {{"kind", "FACE_ABSENT"}}), 1);
  EXPECT_GE(value("proctor_flags", "proctor_flags_total", {{"kind", "IDENTITY_MISMATCH"}}), 1);
  EXPECT_EQ(value("proctor_verification_failures", "proctor_verification_failures_total",
                  {{"check", "signature"}}),
            1);
  EXPECT_EQ(value("proctor_verification_failures", "proctor_verification_failures_total",
                  {{"check", "fork"}}),
            0);
}

// With --tls-cert/--tls-key the console is HTTPS only, and its cookies are Secure.
TEST(ConsoleTlsTest, ServesHttpsWithTheServersCertificateAndSecureCookies) {
  char pattern[] = "/tmp/proctor_console_tls_XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(openssl.c_str()), 0) << "openssl could not make a test certificate";
  const int port = FreeLoopbackPort();
  const std::string http = "127.0.0.1:" + std::to_string(port);
  const std::string grpc = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const std::string models = ModelsDir(), data = dir + "/data", log = dir + "/server.log";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stderr);
    std::freopen(log.c_str(), "a", stdout);
    ::execl(PROCTOR_SERVER_BINARY, PROCTOR_SERVER_BINARY, "--listen", grpc.c_str(), "--http",
            http.c_str(), "--tls-cert", cert.c_str(), "--tls-key", key.c_str(), "--db",
            "memory:", "--data-dir", data.c_str(), "--models", models.c_str(), nullptr);
    ::_exit(127);
  }
  httplib::SSLClient https("127.0.0.1", port);
  https.set_ca_cert_path(cert.c_str());
  https.enable_server_certificate_verification(true);
  int health_status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && health_status == 0) {
    if (auto res = https.Get("/healthz")) {
      health_status = res->status;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  ASSERT_EQ(health_status, 200) << "no HTTPS answer on " << http;
  auto login = https.Get("/login");
  ASSERT_TRUE(login);
  EXPECT_TRUE(absl::StrContains(login->get_header_value("Set-Cookie"), "; Secure"));
  httplib::Client plain("127.0.0.1", port);
  plain.set_read_timeout(5, 0);
  auto refused = plain.Get("/healthz");
  EXPECT_FALSE(refused && refused->status == 200) << "plain HTTP answered on the TLS port";
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// Every page speaks the reader's language: Accept-Language first, the switch (?lang=) kept in a
// cookie after, the report printed in the language its link asks for without changing the
// console's, and the CSV's headings for a Russian spreadsheet (with the BOM Excel needs). The
// server's own words (risk reasons, flag details, the policy) follow too.
TEST_F(ConsoleHttpTest, PagesFollowTheReadersLanguageAndTheSwitchIsKept) {
  const std::string cookie = SignIn(seed_.examiner_token);
  ASSERT_FALSE(cookie.empty());
  // GET with the session cookie, the proctor_lang cookie when `lang` is set, and `extra`.
  auto get = [&](const std::string& path, httplib::Headers extra, const std::string& lang = "") {
    extra.emplace("Cookie",
                  "proctor_session=" + cookie + (lang.empty() ? "" : "; proctor_lang=" + lang));
    return http_->Get(path, extra);
  };
  const std::string session = "/sessions/" + seed_.session_id;

  auto english = get("/queue", {});
  ASSERT_EQ(english->status, 200);
  EXPECT_TRUE(absl::StrContains(english->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(english->body, "Review queue"));
  EXPECT_TRUE(absl::StrContains(english->body, "href=\"?lang=ru\" id=\"lang-ru\""));

  auto russian = get("/queue", {{"Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5"}});
  ASSERT_EQ(russian->status, 200);
  EXPECT_TRUE(absl::StrContains(russian->body, "<html lang=\"ru\""));
  EXPECT_TRUE(absl::StrContains(russian->body, "Очередь на проверку")) << russian->body;
  EXPECT_TRUE(absl::StrContains(russian->body, "1 сессия ждёт решения"));
  EXPECT_FALSE(absl::StrContains(russian->body, "Review queue"));

  // The switch sets the cookie; with it, an English browser still gets Russian.
  auto switched = get(session + "?lang=ru", {{"Accept-Language", "en"}});
  ASSERT_EQ(switched->status, 200);
  std::string lang_cookie;
  for (size_t i = 0; i < switched->get_header_value_count("Set-Cookie"); ++i) {
    const std::string header = switched->get_header_value("Set-Cookie", i);
    if (absl::StartsWith(header, "proctor_lang=")) lang_cookie = header;
  }
  EXPECT_TRUE(absl::StartsWith(lang_cookie, "proctor_lang=ru;")) << lang_cookie;
  for (const char* expected :
       {"Хронология", "Почему на проверке", "порог 0,55", "допуск", "на проверку при риске",
        "требует проверки", "снимки хранятся до окончательного решения"}) {
    EXPECT_TRUE(absl::StrContains(switched->body, expected)) << expected;
  }
  auto kept = get(session, {{"Accept-Language", "en"}}, "ru");
  EXPECT_TRUE(absl::StrContains(kept->body, "Хронология"));

  // The report in English from a Russian console, and the console stays Russian.
  auto report = get(session + "/report?lang=en", {}, "ru");
  ASSERT_EQ(report->status, 200);
  EXPECT_TRUE(absl::StrContains(report->body, "Hash chain verified."));
  EXPECT_FALSE(report->has_header("Set-Cookie") &&
               absl::StrContains(report->get_header_value("Set-Cookie"), "proctor_lang"));
  auto report_ru = get(session + "/report?lang=ru", {});
  EXPECT_TRUE(absl::StrContains(report_ru->body, "Цепочка хешей проверена."));
  EXPECT_TRUE(absl::StrContains(report_ru->body, "Отчёт о прокторинге"));

  auto csv_ru = get("/results.csv", {}, "ru");
  ASSERT_EQ(csv_ru->status, 200);
  EXPECT_TRUE(absl::StartsWith(csv_ru->body, "\xEF\xBB\xBFid_сессии,id_учащегося,"))
      << csv_ru->body.substr(0, 80);
  EXPECT_TRUE(absl::StrContains(csv_ru->body, ",PENDING_REVIEW,")) << "values stay stable";
  auto csv_en = get("/results.csv", {});
  EXPECT_TRUE(absl::StartsWith(csv_en->body, "session_id,learner_id,"));

  // A language the console does not have falls back to English.
  auto unknown = get("/queue?lang=de", {{"Accept-Language", "de"}});
  EXPECT_TRUE(absl::StrContains(unknown->body, "Review queue"));
}

}  // namespace
}  // namespace proctor::testing
