// The verdict goes back to the LMS: a real proctor-server and the independent platform
// (tests/lti/lti_platform.py), which checks every score and Assessment Control Service request
// the tool sends and records them. The LMS ends the assessment (LtiEndAssessment), the session is
// scored, and the verdict reaches the platform through the durable outbox — once per change, even
// when the LMS was down when the verdict was ready — with the flag, the termination of a FINAL
// attempt the examiners confirmed was someone else's, and the LMS's own grade recorded as the
// session's result.
#include <chrono>
#include <functional>
#include <thread>

#include "tests/support/lti_flow.h"

namespace proctor::testing {
namespace {

class LtiVerdictTest : public LtiFlowTest {
 protected:
  // Rows of a query on the server's database, each column as text ("" for NULL).
  std::vector<std::vector<std::string>> Sql(const std::string& query) {
    std::vector<std::vector<std::string>> rows;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((server_.data_dir() + "/proctor.db").c_str(), &db,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &s, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const unsigned char* text = sqlite3_column_text(s, i);
        row.push_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rows;
  }

  nlohmann::json Platform(const std::string& path) {
    auto res = platform_.http().Get(path);
    EXPECT_TRUE(res && res->status == 200) << path;
    return res && res->status == 200 ? nlohmann::json::parse(res->body) : nlohmann::json::array();
  }

  static bool WaitFor(const std::function<bool()>& done, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return done();
  }

  void SetDown(const char* service, bool down) {
    auto res = platform_.http().Post(absl::StrCat("/test/", service, "?down=", down ? 1 : 0), "",
                                     "text/plain");
    ASSERT_TRUE(res && res->status == 200);
  }

  // The learner's session for the attempt: the enrolled face (faces[0]) verified, and someone
  // else (faces[1]) in front of the camera for a moment, which the server measures itself.
  std::string RunSession(const std::string& pass, const std::vector<FaceSample>& faces) {
    LearnerSession session(server_.channel());
    EXPECT_TRUE(session.Open(pass).ok());
    v1::BatchAck ack;
    EXPECT_TRUE(session
                    .Send({session.Consent(), session.Next(EventKind::kSessionStarted, 0),
                           Identity(session, 1000, faces[0], EventKind::kIdentityVerified),
                           Identity(session, 2000, faces[1], EventKind::kIdentityMismatch)},
                          &ack)
                    .ok());
    const auto rows = Sql("SELECT id FROM sessions");
    return rows.size() == 1 ? rows[0][0] : "";
  }

  std::string Examiner(const std::string& label) {
    const CommandRun token = Ctl("token issue --role examiner --label " + label + " --json");
    EXPECT_EQ(token.exit_code, 0) << token.out;
    return nlohmann::json::parse(token.out)["token"];
  }

  CommandRun Decide(const std::string& token, const std::string& session_id,
                    const std::string& verdict) {
    return Shell(absl::StrCat("PROCTOR_TOKEN='", token, "' ", PROCTORCTL_BINARY, " --server ",
                              server_.address(), " review decide ", session_id, " --verdict ",
                              verdict, " --note 'checked the evidence frames'"));
  }

  int Pending() {
    return std::stoi(Sql("SELECT count(*) FROM lti_outbox WHERE done_at_unix_ms = 0")[0][0]);
  }
};

TEST_F(LtiVerdictTest, TheVerdictReachesTheLmsOncePerChangeEvenWhenItWasDown) {
  Register();
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  const Outcome o =
      Launch("user=alice&message_type=LtiStartProctoring&attempt=2&resource=quiz-7&context=math");
  ASSERT_EQ(o.status, 200) << o.body;
  const std::string command = Match(o.body, "<pre id=\"command\">([^<]*)</pre>");
  Enroll(OnlyLearnerId(), faces[0]);
  const std::string session_id = RunSession(command.substr(command.find("--pass ") + 7), faces);
  ASSERT_FALSE(session_id.empty());
  // The LMS grades its quiz: 8 of 10.
  auto graded = platform_.http().Post(
      "/test/lineitem-score?ctx=math&label=Quiz+7&user=alice&score=8&max=10&resource=quiz-7", "",
      "text/plain");
  ASSERT_TRUE(graded && graded->status == 200) << (graded ? graded->body : "");

  // The LMS is down when the verdict is ready.
  SetDown("ags", true);
  SetDown("acs", true);
  const Outcome ended =
      Launch("user=alice&message_type=LtiEndAssessment&attempt=2&resource=quiz-7&context=math");
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_TRUE(absl::StrContains(ended.body, "id=\"lti-ended\"")) << ended.body;
  EXPECT_EQ(Match(ended.body, "id=\"lti-return\" href=\"([^\"]*)\""),
            platform_.issuer() + "/return");
  const auto session = Sql("SELECT state, verdict FROM sessions WHERE id = '" + session_id + "'");
  ASSERT_EQ(session.size(), 1u);
  EXPECT_EQ(session[0][0], "2") << "the LMS's end closed the session";
  ASSERT_EQ(session[0][1], "3") << "someone else was on camera: PENDING_REVIEW";

  ASSERT_TRUE(WaitFor(
      [&] {
        return !Sql("SELECT 1 FROM lti_outbox WHERE tries >= 2 AND last_error LIKE '%503%'")
                    .empty();
      },
      30))
      << "the tool keeps trying while the LMS is down";
  EXPECT_EQ(Pending(), 3) << "the score, the flag and the read of the LMS's grade wait";
  EXPECT_TRUE(Platform("/test/scores").empty());
  EXPECT_TRUE(Platform("/test/acs").empty());

  // The LMS is back: everything is delivered, once.
  SetDown("ags", false);
  SetDown("acs", false);
  ASSERT_TRUE(WaitFor([&] { return Pending() == 0; }, 60))
      << "still pending: " << Sql("SELECT kind, tries, last_error FROM lti_outbox").size();
  nlohmann::json scores = Platform("/test/scores");
  ASSERT_EQ(scores.size(), 1u) << scores.dump();
  EXPECT_EQ(scores[0]["userId"], "alice");
  EXPECT_TRUE(scores[0]["scoreGiven"].is_null()) << "pending review is not graded yet";
  EXPECT_EQ(scores[0]["gradingProgress"], "PendingManual");
  EXPECT_TRUE(absl::StrContains(scores[0]["comment"].get<std::string>(),
                                tool_base_ + "/sessions/" + session_id))
      << scores[0]["comment"];
  const nlohmann::json controls = Platform("/test/acs");
  ASSERT_EQ(controls.size(), 1u) << controls.dump();
  EXPECT_EQ(controls[0]["action"], "flag");
  EXPECT_EQ(controls[0]["status"], "flagged");
  EXPECT_EQ(controls[0]["attempt_number"], 2);
  EXPECT_EQ(controls[0]["user"]["sub"], "alice");
  EXPECT_EQ(controls[0]["resource_link"]["id"], "quiz-7");
  // The LMS's quiz grade is the session's result, gated by the verdict.
  const auto result =
      Sql("SELECT r.score, r.max_score FROM results r JOIN sessions s ON s.sid = r.session_sid "
          "WHERE s.id = '" +
          session_id + "'");
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(std::stod(result[0][0]), 8.0);
  EXPECT_EQ(std::stod(result[0][1]), 10.0);
  const CommandRun results = Ctl("--json result list");
  EXPECT_TRUE(absl::StrContains(results.out, "PENDING_REVIEW")) << results.out;

  // An examiner accepts it: one more change, one more score (1), no flag.
  ASSERT_EQ(Decide(Examiner("examiner-1"), session_id, "accept").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Platform("/test/scores").size() == 2; }, 30));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few more rounds: nothing more
  scores = Platform("/test/scores");
  ASSERT_EQ(scores.size(), 2u) << scores.dump();
  EXPECT_EQ(scores[1]["scoreGiven"], 1);
  EXPECT_EQ(scores[1]["gradingProgress"], "FullyGraded");
  EXPECT_EQ(Platform("/test/acs").size(), 1u);
  EXPECT_EQ(Sql("SELECT 1 FROM audit WHERE action = 'lti.deliver'").size(), 4u);
  EXPECT_TRUE(absl::StrContains(Ctl("--json result list").out, "OFFICIAL"));
}

TEST_F(LtiVerdictTest, AFinalAttemptTheExaminersConfirmedWasSomeoneElsesIsTerminated) {
  Register();
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  const Outcome o = Launch(
      "user=bob&message_type=LtiStartProctoring&attempt=1&resource=final&context=math&kind=final");
  ASSERT_EQ(o.status, 200) << o.body;
  const std::string command = Match(o.body, "<pre id=\"command\">([^<]*)</pre>");
  Enroll(OnlyLearnerId(), faces[0]);
  const std::string session_id = RunSession(command.substr(command.find("--pass ") + 7), faces);
  ASSERT_FALSE(session_id.empty());
  ASSERT_EQ(
      Launch("user=bob&message_type=LtiEndAssessment&attempt=1&resource=final&context=math").status,
      200);
  ASSERT_TRUE(WaitFor([&] { return Platform("/test/acs").size() == 1; }, 30));
  EXPECT_EQ(Platform("/test/acs")[0]["action"], "flag");

  // One examiner's rejection of a FINAL is a proposal: nothing changes for the LMS.
  ASSERT_EQ(Decide(Examiner("examiner-1"), session_id, "reject").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(Platform("/test/acs").size(), 1u);
  EXPECT_EQ(Platform("/test/scores").size(), 1u);
  // A second examiner confirms it: score 0, and the attempt is terminated.
  ASSERT_EQ(Decide(Examiner("examiner-2"), session_id, "reject").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Platform("/test/acs").size() == 2; }, 30));
  const nlohmann::json controls = Platform("/test/acs");
  EXPECT_EQ(controls[1]["action"], "terminate");
  EXPECT_EQ(controls[1]["status"], "terminated");
  EXPECT_EQ(controls[1]["reason_code"], "proctor.identity_mismatch");
  ASSERT_TRUE(WaitFor([&] { return Platform("/test/scores").size() == 2; }, 30));
  EXPECT_EQ(Platform("/test/scores")[1]["scoreGiven"], 0);
}

}  // namespace
}  // namespace proctor::testing
