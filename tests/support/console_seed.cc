#include "tests/support/console_seed.h"

#include "gtest/gtest.h"
#include "tests/support/face_fixtures.h"

namespace proctor::testing {
namespace {

std::string Token(v1::AdminService::Stub& admin, const std::string& admin_token, v1::Role role,
                  const std::string& label) {
  grpc::ClientContext context;
  Authorize(&context, admin_token);
  v1::IssueTokenRequest request;
  request.set_role(role);
  request.set_label(label);
  v1::IssueTokenResponse response;
  const grpc::Status status = admin.IssueToken(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.token();
}

std::string Pass(v1::AdminService::Stub& admin, const std::string& admin_token,
                 const std::string& learner, const std::string& assessment) {
  grpc::ClientContext context;
  Authorize(&context, admin_token);
  v1::IssuePassRequest request;
  request.set_learner_id(learner);
  request.set_assessment_id(assessment);
  v1::IssuePassResponse response;
  const grpc::Status status = admin.IssuePass(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.pass();
}

void Setup(v1::AdminService::Stub& admin, const std::string& admin_token, const FaceSample& face) {
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::CreateAssessmentRequest request;
    request.set_assessment_id("alg-final");
    request.set_course("Algebra 101");
    request.set_title("Final exam");
    request.set_kind(v1::FINAL);
    v1::CreateAssessmentResponse response;
    const grpc::Status status = admin.CreateAssessment(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  grpc::ClientContext context;
  Authorize(&context, admin_token);
  v1::EnrollLearnerRequest request;
  request.set_learner_id("mallory");
  request.set_name(kScriptLearnerName);
  request.add_photos(std::string(face.photo_jpeg.begin(), face.photo_jpeg.end()));
  v1::EnrollLearnerResponse response;
  const grpc::Status status = admin.EnrollLearner(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace

ConsoleSeed SeedFlaggedSession(ServerProcess& server) {
  ConsoleSeed seed;
  const auto faces = DemoFaces(2);
  if (faces.size() < 2) return seed;
  const FaceSample& learner = faces[0];
  const FaceSample& stranger = faces[1];
  auto admin = v1::AdminService::NewStub(server.channel());
  const std::string admin_token = server.admin_token();
  Setup(*admin, admin_token, learner);
  seed.examiner_token = Token(*admin, admin_token, v1::EXAMINER, "Dr. Examiner");
  seed.second_examiner_token = Token(*admin, admin_token, v1::EXAMINER, "Dr. Second");
  seed.lms_token = Token(*admin, admin_token, v1::LMS_CONNECTOR, "LMS connector");

  LearnerSession s(server.channel());
  const grpc::Status opened = s.Open(Pass(*admin, admin_token, "mallory", "alg-final"));
  EXPECT_TRUE(opened.ok()) << opened.error_message();
  if (!opened.ok()) return seed;
  seed.session_id = s.session_id();
  auto identity = [&](int64_t at_ms, const FaceSample& face, EventKind kind) {
    Event e = s.Next(kind, at_ms, EventPhase::kInstant, [&](Event& x) {
      x.descriptor = face.descriptor;
      x.face_count = 1;
      x.evidence_jpeg = face.chip_jpeg;
    });
    seed.evidence_seqs.push_back(e.seq);
    seed.chips.push_back(face.chip_jpeg);
    return e;
  };
  std::vector<Event> events = {
      s.Consent(),
      s.Next(EventKind::kSessionStarted, 0),
      s.Next(EventKind::kLivenessPassed, 1500),
      identity(2000, learner, EventKind::kIdentityVerified),
      s.Next(EventKind::kMultipleFaces, 20000, EventPhase::kBegin),
      identity(30000, learner, EventKind::kIdentityVerified),
      s.Next(EventKind::kMultipleFaces, 32000, EventPhase::kEnd,
             [](Event& e) { e.duration_ms = 12000; }),
      identity(55000, stranger, EventKind::kIdentityVerified),  // someone else, claimed as a match
      s.Next(EventKind::kFaceAbsent, 70000, EventPhase::kBegin),
      s.Next(EventKind::kFaceAbsent, 85000, EventPhase::kEnd,
             [](Event& e) { e.duration_ms = 15000; }),
      identity(90000, learner, EventKind::kIdentityVerified),
      identity(110000, learner, EventKind::kIdentityVerified),
      s.Next(EventKind::kSessionEnded, 120000),
  };
  seed.events_sent = events.size();
  // Two batches, so that the report has two batch signatures to verify.
  const size_t half = events.size() / 2;
  for (const std::vector<Event>& batch :
       {std::vector<Event>(events.begin(), events.begin() + half),
        std::vector<Event>(events.begin() + half, events.end())}) {
    v1::BatchAck ack;
    const grpc::Status sent = s.Send(batch, &ack);
    EXPECT_TRUE(sent.ok()) << sent.error_message();
    seed.batch_heads.push_back(batch.back().seq);
  }
  v1::CloseSessionResponse closed;
  const grpc::Status close = s.Close(120000, &closed);
  EXPECT_TRUE(close.ok()) << close.error_message();
  EXPECT_EQ(closed.verdict(), v1::PENDING_REVIEW);

  auto results = v1::ResultService::NewStub(server.channel());
  grpc::ClientContext context;
  Authorize(&context, seed.lms_token);
  v1::SubmitResultRequest request;
  request.set_session_id(seed.session_id);
  request.set_score(42);
  request.set_max_score(50);
  v1::SubmitResultResponse response;
  const grpc::Status submitted = results->SubmitResult(&context, request, &response);
  EXPECT_TRUE(submitted.ok()) << submitted.error_message();
  EXPECT_EQ(response.status(), v1::RESULT_PENDING_REVIEW);
  return seed;
}

std::vector<std::vector<uint8_t>> SeedSelfEnrolledLearner(ServerProcess& server,
                                                          const std::string& learner_id,
                                                          const std::string& name,
                                                          int photo_count) {
  const auto faces = DemoFaces(3);
  if (faces.size() < 3) return {};
  const std::vector<uint8_t>& photo = faces[2].photo_jpeg;  // neither of SeedFlaggedSession's
  auto admin = v1::AdminService::NewStub(server.channel());
  const std::string admin_token = server.admin_token();
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::EnrollLearnerRequest request;
    request.set_learner_id(learner_id);
    request.set_name(name);
    request.add_photos(std::string(photo.begin(), photo.end()));
    v1::EnrollLearnerResponse response;
    const grpc::Status status = admin->EnrollLearner(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::PurgeLearnerRequest request;
    request.set_learner_id(learner_id);
    v1::PurgeLearnerResponse response;
    const grpc::Status status = admin->PurgeLearner(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.templates_removed(), 1);
  }
  const std::string pass = Pass(*admin, admin_token, learner_id, "alg-final");
  auto sessions = v1::SessionService::NewStub(server.channel());
  v1::ConsentNotice notice;
  {
    grpc::ClientContext context;
    v1::GetConsentNoticeRequest request;
    request.set_pass(pass);
    const grpc::Status status = sessions->GetConsentNotice(&context, request, &notice);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(notice.self_enrollment_needed());
  }
  std::vector<std::vector<uint8_t>> photos(photo_count, photo);
  grpc::ClientContext context;
  v1::SelfEnrollRequest request;
  request.set_pass(pass);
  request.set_consented_notice_sha256(notice.sha256());
  for (const std::vector<uint8_t>& p : photos) request.add_photos(std::string(p.begin(), p.end()));
  v1::SelfEnrollResponse response;
  const grpc::Status status = sessions->SelfEnroll(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.templates(), photo_count);
  return photos;
}

void SendBadlySignedBatch(ServerProcess& server) {
  auto admin = v1::AdminService::NewStub(server.channel());
  LearnerSession s(server.channel());
  const grpc::Status opened = s.Open(Pass(*admin, server.admin_token(), "mallory", "alg-final"));
  ASSERT_TRUE(opened.ok()) << opened.error_message();
  v1::BatchAck ack;
  const grpc::Status sent =
      s.SendSigned({s.Next(EventKind::kSessionStarted, 0)}, std::string(64, '\0'), &ack);
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace proctor::testing
