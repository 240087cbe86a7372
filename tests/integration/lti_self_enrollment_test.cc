// Self-enrollment: a learner the LMS created (nobody photographed them) gives the server their
// reference photos through SessionService.SelfEnroll with the attempt's pass, after consenting.
// Until an examiner has compared the kept photo with the institution's record, every session of
// the learner goes to review; the examiner confirms or rejects it with proctorctl, and the photo
// is deleted either way. Bad input is refused with a clear error and changes nothing.
#include <fstream>
#include <iterator>

#include "proctor/v1/review.grpc.pb.h"
#include "proctor/v1/session.grpc.pb.h"
#include "tests/support/lti_flow.h"

namespace proctor::testing {
namespace {

class LtiSelfEnrollmentTest : public LtiFlowTest {
 protected:
  // The pass of a fresh LtiStartProctoring launch of `user`.
  std::string LaunchPass(const std::string& user, int attempt, bool enrolled = false) {
    const Outcome o =
        Launch(absl::StrCat("user=", user, "&message_type=LtiStartProctoring&attempt=", attempt,
                            "&resource=quiz-7&context=math"));
    EXPECT_EQ(o.status, 200) << o.body;
    EXPECT_EQ(absl::StrContains(o.body, "id=\"no-template\""), !enrolled) << o.body;
    const std::string command = Match(o.body, "<pre id=\"command\">([^<]*)</pre>");
    return command.substr(command.find("--pass ") + 7);
  }

  v1::ConsentNotice Notice(const std::string& pass) {
    auto sessions = v1::SessionService::NewStub(server_.channel());
    grpc::ClientContext context;
    v1::GetConsentNoticeRequest request;
    request.set_pass(pass);
    v1::ConsentNotice notice;
    const grpc::Status status = sessions->GetConsentNotice(&context, request, &notice);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return notice;
  }

  grpc::Status SelfEnroll(const std::string& pass, const std::vector<std::vector<uint8_t>>& photos,
                          const std::string& sha256, v1::SelfEnrollResponse* response) {
    auto sessions = v1::SessionService::NewStub(server_.channel());
    grpc::ClientContext context;
    v1::SelfEnrollRequest request;
    request.set_pass(pass);
    for (const auto& p : photos) request.add_photos(std::string(p.begin(), p.end()));
    request.set_consented_notice_sha256(sha256);
    return sessions->SelfEnroll(&context, request, response);
  }

  CommandRun Examiner(const std::string& args) {
    if (examiner_token_.empty()) {
      const CommandRun token = Ctl("token issue --role examiner --label erin --json");
      EXPECT_EQ(token.exit_code, 0) << token.out;
      examiner_token_ = nlohmann::json::parse(token.out)["token"];
    }
    return Shell(absl::StrCat("PROCTOR_TOKEN='", examiner_token_, "' ", PROCTORCTL_BINARY,
                              " --server ", server_.address(), " ", args, " 2>&1"));
  }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    sqlite3* db = nullptr;
    sqlite3_open_v2((server_.data_dir() + "/proctor.db").c_str(), &db, SQLITE_OPEN_READONLY,
                    nullptr);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT action FROM audit ORDER BY rowid", -1, &s, nullptr);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      actions.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return actions;
  }

  std::string examiner_token_;
};

TEST_F(LtiSelfEnrollmentTest, BadPhotosAndPassesAreRefusedAndChangeNothing) {
  Register();
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  const std::string pass = LaunchPass("alice", 1);
  const v1::ConsentNotice notice = Notice(pass);
  EXPECT_TRUE(notice.self_enrollment_needed()) << "the LMS's learner has no template";
  v1::SelfEnrollResponse response;

  grpc::Status s = SelfEnroll("pass-unknown", {faces[0].photo_jpeg}, notice.sha256(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  s = SelfEnroll(pass, {faces[0].photo_jpeg}, std::string(64, '0'), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "consent notice")) << s.error_message();
  s = SelfEnroll(pass, {}, notice.sha256(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = SelfEnroll(pass, std::vector<std::vector<uint8_t>>(6, faces[0].photo_jpeg), notice.sha256(),
                 &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  // The second photo holds no face (not even an image): nothing is stored, not even the first.
  const std::vector<uint8_t> garbage = {'n', 'o', 't', ' ', 'a', ' ', 'p', 'h', 'o', 't', 'o'};
  s = SelfEnroll(pass, {faces[0].photo_jpeg, garbage}, notice.sha256(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "photo 2")) << s.error_message();
  EXPECT_TRUE(Notice(pass).self_enrollment_needed()) << "nothing was stored";
  const CommandRun none = Examiner("--json review enrollment list --all");
  ASSERT_EQ(none.exit_code, 0) << none.out << none.out;
  EXPECT_EQ(nlohmann::json::parse(none.out).size(), 0u) << none.out;

  // A good one: the templates are stored, the pass is not spent, a second is refused.
  s = SelfEnroll(pass, {faces[0].photo_jpeg, faces[0].photo_jpeg}, notice.sha256(), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.templates(), 2);
  EXPECT_FALSE(Notice(pass).self_enrollment_needed()) << "the pass still works, enrolled now";
  s = SelfEnroll(pass, {faces[1].photo_jpeg}, notice.sha256(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "enrolled already")) << s.error_message();

  // The examiner rejects it (someone else's face): the templates go; the learner cannot
  // enroll themselves again, the institution does.
  const std::string learner = OnlyLearnerId();
  const CommandRun empty_note =
      Examiner("review enrollment decide " + learner + " --decision reject --note ''");
  EXPECT_NE(empty_note.exit_code, 0) << "a decision needs a note";
  const CommandRun rejected = Examiner("--json review enrollment decide " + learner +
                                       " --decision reject --note 'not the student ID photo'");
  ASSERT_EQ(rejected.exit_code, 0) << rejected.out << rejected.out;
  EXPECT_EQ(nlohmann::json::parse(rejected.out)["state"], "rejected");
  const CommandRun again = Examiner("review enrollment decide " + learner +
                                    " --decision confirm --note 'second thoughts'");
  EXPECT_NE(again.exit_code, 0) << "decided already";
  EXPECT_TRUE(absl::StrContains(again.out, "already decided")) << again.out;
  EXPECT_FALSE(Notice(pass).self_enrollment_needed())
      << "the templates were deleted, but a rejected learner is not asked for photos again";
  s = SelfEnroll(pass, {faces[1].photo_jpeg}, notice.sha256(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "did not confirm")) << s.error_message();
  const auto actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "learner.self_enroll"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "learner.self_enroll.reject"), 1);
}

TEST_F(LtiSelfEnrollmentTest, NoTemplateOrARejectionDuringTheExamIsNeverAcceptedAutomatically) {
  Register();
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  // Carol's client skips the photos (an old or modified client): the server has no template and
  // cannot check the client's IDENTITY_VERIFIED claims.
  const std::string carol_pass = LaunchPass("carol", 1);
  LearnerSession carol(server_.channel());
  ASSERT_TRUE(carol.Open(carol_pass).ok());
  EXPECT_EQ(carol.opened().enrolled_templates_size(), 0);
  v1::BatchAck ack;
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(carol
                  .Send({carol.Consent(), carol.Next(EventKind::kSessionStarted, 0),
                         Identity(carol, 1000, faces[0], EventKind::kIdentityVerified)},
                        &ack)
                  .ok());
  ASSERT_TRUE(carol.Close(2000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::PENDING_REVIEW) << "the client's word alone accepts nobody";
  const CommandRun carol_shown = Examiner("--json session show " + carol.session_id());
  EXPECT_TRUE(absl::StrContains(carol_shown.out, "no enrolled face template")) << carol_shown.out;

  // Dave self-enrolls with someone else's face and sits the exam; the examiner rejects the photo
  // while the session is open (its templates go): the session still goes to review.
  const std::string dave_pass = LaunchPass("dave", 1);
  v1::SelfEnrollResponse response;
  ASSERT_TRUE(
      SelfEnroll(dave_pass, {faces[1].photo_jpeg}, Notice(dave_pass).sha256(), &response).ok());
  LearnerSession dave(server_.channel());
  ASSERT_TRUE(dave.Open(dave_pass).ok());
  ASSERT_TRUE(dave.Send({dave.Consent(), dave.Next(EventKind::kSessionStarted, 0),
                         Identity(dave, 1000, faces[1], EventKind::kIdentityVerified)},
                        &ack)
                  .ok());
  std::string dave_id;
  for (const auto& e : nlohmann::json::parse(Examiner("--json review enrollment list").out)) {
    if (e["state"] == "pending") dave_id = e["learner_id"];
  }
  ASSERT_FALSE(dave_id.empty());
  const CommandRun rejected = Examiner("review enrollment decide " + dave_id +
                                       " --decision reject --note 'not the student ID photo'");
  ASSERT_EQ(rejected.exit_code, 0) << rejected.out;
  ASSERT_TRUE(
      dave.Send({Identity(dave, 20000, faces[1], EventKind::kIdentityVerified)}, &ack).ok());
  ASSERT_TRUE(dave.Close(21000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::PENDING_REVIEW) << "rejected during the exam";
  const CommandRun dave_shown = Examiner("--json session show " + dave.session_id());
  EXPECT_TRUE(absl::StrContains(dave_shown.out, "enrolled themselves")) << dave_shown.out;
}

TEST_F(LtiSelfEnrollmentTest, SessionsWaitForTheExaminersCheckOfThePhoto) {
  Register();
  const auto faces = DemoFaces(1);
  ASSERT_GE(faces.size(), 1u);
  const std::string pass = LaunchPass("bob", 1);
  v1::SelfEnrollResponse response;
  const grpc::Status enrolled =
      SelfEnroll(pass, {faces[0].photo_jpeg}, Notice(pass).sha256(), &response);
  ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
  const std::string learner = OnlyLearnerId();

  // The learner alone, verified all along: the policy would accept it, the examiner must look.
  LearnerSession session(server_.channel());
  ASSERT_TRUE(session.Open(pass).ok());
  EXPECT_EQ(session.opened().enrolled_templates_size(), 1);
  v1::BatchAck ack;
  ASSERT_TRUE(session
                  .Send({session.Consent(), session.Next(EventKind::kSessionStarted, 0),
                         Identity(session, 1000, faces[0], EventKind::kIdentityVerified),
                         Identity(session, 30000, faces[0], EventKind::kIdentityVerified)},
                        &ack)
                  .ok());
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(session.Close(31000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::PENDING_REVIEW) << "self-enrolled, not confirmed yet";
  const CommandRun shown = Examiner("--json session show " + session.session_id());
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  EXPECT_TRUE(absl::StrContains(shown.out, "enrolled themselves")) << shown.out;

  // The examiner lists, looks at the photo (a JPEG, written to a new 0600 file), and confirms.
  const CommandRun listed = Examiner("--json review enrollment list");
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  const auto list = nlohmann::json::parse(listed.out);
  ASSERT_EQ(list.size(), 1u) << listed.out;
  EXPECT_EQ(list[0]["learner_id"], learner);
  EXPECT_EQ(list[0]["state"], "pending");
  EXPECT_EQ(list[0]["photos"], 1);
  EXPECT_EQ(list[0]["assessment_id"].get<std::string>().empty(), false);
  const std::string out = server_.data_dir() + "/examiner-photo.jpg";  // removed with the server
  const CommandRun photo = Examiner("review enrollment photo " + learner + " --out " + out);
  ASSERT_EQ(photo.exit_code, 0) << photo.out;
  std::ifstream in(out, std::ios::binary);
  const std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GE(jpeg.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpeg[1]), 0xD8);
  const CommandRun exists = Examiner("review enrollment photo " + learner + " --out " + out);
  EXPECT_NE(exists.exit_code, 0) << "never over an existing file";
  const CommandRun confirmed = Examiner("review enrollment decide " + learner +
                                        " --decision confirm --note 'matches the student ID'");
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.out;
  const CommandRun gone =
      Examiner("review enrollment photo " + learner + " --out " + out + ".again");
  EXPECT_NE(gone.exit_code, 0) << "the photo was deleted with the decision";
  EXPECT_TRUE(absl::StrContains(gone.out, "confirmed")) << gone.out;
  const CommandRun all = Examiner("--json review enrollment list --all");
  ASSERT_EQ(all.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(all.out)[0]["decided_by"], "erin");
  EXPECT_EQ(nlohmann::json::parse(Examiner("--json review enrollment list").out).size(), 0u);

  // The next attempt of the confirmed learner is judged by the policy alone.
  const std::string pass2 = LaunchPass("bob", 2, /*enrolled=*/true);
  EXPECT_FALSE(Notice(pass2).self_enrollment_needed());
  LearnerSession next(server_.channel());
  ASSERT_TRUE(next.Open(pass2).ok());
  ASSERT_TRUE(next.Send({next.Consent(), next.Next(EventKind::kSessionStarted, 0),
                         Identity(next, 1000, faces[0], EventKind::kIdentityVerified),
                         Identity(next, 30000, faces[0], EventKind::kIdentityVerified)},
                        &ack)
                  .ok());
  ASSERT_TRUE(next.Close(31000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::AUTO_ACCEPTED) << "confirmed: no forced review";
}

}  // namespace
}  // namespace proctor::testing
