// proctor-server as a real process on a loopback port: the whole flow from enrollment to the
// recorded result, every kind of bad input with its gRPC status and nothing stored, and crash
// safety under SIGKILL.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include "biometrics/image_codec.h"
#include "biometrics/testing/photo_encoders.h"
#include "gtest/gtest.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/liveness_script.h"
#include "tests/support/free_port.h"
#include "tests/support/server_harness.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(server_.Start(&why)) << why;
    admin_ = v1::AdminService::NewStub(server_.channel());
    review_ = v1::ReviewService::NewStub(server_.channel());
    results_ = v1::ResultService::NewStub(server_.channel());
  }

  grpc::Status CreateAssessment(const std::string& id, v1::AssessmentKind kind,
                                const std::string& token) {
    grpc::ClientContext context;
    Authorize(&context, token);
    v1::CreateAssessmentRequest request;
    request.set_assessment_id(id);
    request.set_course("Algebra 101");
    request.set_title("Final exam");
    request.set_kind(kind);
    v1::CreateAssessmentResponse response;
    return admin_->CreateAssessment(&context, request, &response);
  }

  grpc::Status Enroll(const std::string& learner, const std::vector<const FaceSample*>& photos,
                      v1::EnrollLearnerResponse* response) {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id(learner);
    request.set_name("Learner " + learner);
    for (const FaceSample* f : photos) {
      request.add_photos(std::string(f->photo_jpeg.begin(), f->photo_jpeg.end()));
    }
    return admin_->EnrollLearner(&context, request, response);
  }

  std::string IssuePass(const std::string& learner, const std::string& assessment) {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::IssuePassRequest request;
    request.set_learner_id(learner);
    request.set_assessment_id(assessment);
    v1::IssuePassResponse response;
    const grpc::Status status = admin_->IssuePass(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.pass();
  }

  std::string IssueToken(v1::Role role, const std::string& label) {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::IssueTokenRequest request;
    request.set_role(role);
    request.set_label(label);
    v1::IssueTokenResponse response;
    EXPECT_TRUE(admin_->IssueToken(&context, request, &response).ok());
    return response.token();
  }

  v1::SessionDetail Show(const std::string& session_id) {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::GetSessionRequest request;
    request.set_session_id(session_id);
    v1::SessionDetail detail;
    const grpc::Status status = review_->GetSession(&context, request, &detail);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return detail;
  }

  // A learner enrolled from `face`, with an open session of a new assessment of `kind`.
  std::unique_ptr<LearnerSession> OpenLearner(const std::string& learner, const FaceSample& face,
                                              v1::AssessmentKind kind) {
    const std::string assessment = "exam-" + learner;
    EXPECT_TRUE(CreateAssessment(assessment, kind, server_.admin_token()).ok());
    v1::EnrollLearnerResponse enrolled;
    const grpc::Status status = Enroll(learner, {&face}, &enrolled);
    EXPECT_TRUE(status.ok()) << status.error_message();
    auto session = std::make_unique<LearnerSession>(server_.channel());
    EXPECT_TRUE(session->Open(IssuePass(learner, assessment)).ok());
    return session;
  }

  static Event Identity(LearnerSession& s, int64_t at_ms, const std::vector<float>& descriptor,
                        float client_distance, const std::vector<uint8_t>& chip,
                        EventKind kind = EventKind::kIdentityVerified) {
    return s.Next(kind, at_ms, EventPhase::kInstant, [&](Event& e) {
      e.descriptor = descriptor;
      e.client_distance = client_distance;
      e.face_count = 1;
      e.evidence_jpeg = chip;
    });
  }

  static float Distance(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    return static_cast<float>(std::sqrt(sum));
  }

  ServerProcess server_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::ReviewService::Stub> review_;
  std::unique_ptr<v1::ResultService::Stub> results_;
};

TEST_F(ServerTest, EnrollProctorScoreSubmitReviewAndListResults) {
  // sample6.jpg's people: the first faces the camera (it performs the liveness challenge).
  const auto faces = DemoFaces(4);
  ASSERT_GE(faces.size(), 2u);
  const FaceSample& alice = faces[0];
  const FaceSample& stranger = faces[1];

  // An honest FINAL session: liveness, identity every 20 s, a 3 s absence (tolerated).
  auto honest = OpenLearner("alice", alice, v1::FINAL);
  ASSERT_EQ(honest->opened().reference_descriptor_size(), 128);
  EXPECT_FLOAT_EQ(honest->opened().match_threshold(), 0.55f);
  // The client sends the descriptor of the chip it attaches (the server re-embeds the chip and
  // compares); the reference was computed by the server from the enrollment photo.
  const float genuine = Distance(alice.descriptor, {honest->opened().reference_descriptor().begin(),
                                                    honest->opened().reference_descriptor().end()});
  // The liveness challenge performed by alice (frames of her photo turned and blinking); the
  // server measures them itself.
  std::vector<Event> events = {honest->Consent(), honest->Next(EventKind::kSessionStarted, 0)};
  for (Event& e : PerformChallenge(*honest, alice.photo_jpeg, 500)) events.push_back(std::move(e));
  for (int64_t t = 8000; t <= 120000; t += 20000) {
    events.push_back(Identity(*honest, t, alice.descriptor, genuine, alice.chip_jpeg));
  }
  events.push_back(honest->Next(EventKind::kFaceAbsent, 121000, EventPhase::kBegin));
  events.push_back(honest->Next(EventKind::kFaceAbsent, 124000, EventPhase::kEnd,
                                [](Event& e) { e.duration_ms = 3000; }));
  events.push_back(Identity(*honest, 125000, alice.descriptor, genuine, {}));
  events.push_back(honest->Next(EventKind::kSessionEnded, 130000));
  v1::BatchAck ack;
  grpc::Status status = honest->Send(events, &ack);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.acked_seq(), events.size());
  v1::CloseSessionResponse closed;
  ASSERT_TRUE(honest->Close(130000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::AUTO_ACCEPTED) << Show(honest->session_id()).DebugString();

  const v1::SessionDetail detail = Show(honest->session_id());
  EXPECT_EQ(detail.summary().event_count(), static_cast<int64_t>(events.size()));
  ASSERT_EQ(detail.flags_size(), 1);
  EXPECT_EQ(detail.flags(0).kind(), v1::FACE_ABSENT);
  EXPECT_EQ(detail.flags(0).from_ms(), 121000);
  EXPECT_EQ(detail.flags(0).to_ms(), 124000);
  for (const auto& e : detail.events()) {
    if (e.kind() == v1::IDENTITY_VERIFIED) {
      EXPECT_NEAR(e.distance(), genuine, 1e-4);  // the server's own distance
      EXPECT_FALSE(e.from_server());
    }
  }

  // A FINAL session where someone else sits the exam and the client claims it is fine.
  auto impostor = OpenLearner("bob", alice, v1::FINAL);
  std::vector<Event> lies = {
      impostor->Consent(), impostor->Next(EventKind::kSessionStarted, 0),
      impostor->Next(EventKind::kLivenessPassed, 1000),
      Identity(*impostor, 2000, stranger.descriptor, 0.2f, stranger.chip_jpeg)};
  ASSERT_TRUE(impostor->Send(lies, &ack).ok());
  ASSERT_TRUE(impostor->Close(10000, &closed).ok());
  EXPECT_EQ(closed.verdict(), v1::PENDING_REVIEW);
  const v1::SessionDetail flagged = Show(impostor->session_id());
  std::map<v1::EventKind, int> kinds;
  for (const auto& f : flagged.flags()) ++kinds[f.kind()];
  EXPECT_GE(kinds[v1::IDENTITY_MISMATCH], 1);
  EXPECT_GE(kinds[v1::EVIDENCE_MISMATCH], 1);  // the claimed distance 0.2 is a lie

  // The LMS records both results; the examiner rejects the flagged session.
  const std::string lms = IssueToken(v1::LMS_CONNECTOR, "moodle");
  const std::string examiner = IssueToken(v1::EXAMINER, "dr-examiner");
  const std::string second_examiner = IssueToken(v1::EXAMINER, "dr-second");
  for (const auto* s : {honest.get(), impostor.get()}) {
    grpc::ClientContext context;
    Authorize(&context, lms);
    v1::SubmitResultRequest request;
    request.set_session_id(s->session_id());
    request.set_score(42);
    request.set_max_score(50);
    v1::SubmitResultResponse response;
    ASSERT_TRUE(results_->SubmitResult(&context, request, &response).ok());
    EXPECT_EQ(response.status(), s == honest.get() ? v1::OFFICIAL : v1::RESULT_PENDING_REVIEW);
  }
  // A FINAL rejection: proposed by one examiner, confirmed by another.
  for (const std::string* who : {&examiner, &second_examiner}) {
    grpc::ClientContext context;
    Authorize(&context, *who);
    v1::DecideRequest request;
    request.set_session_id(impostor->session_id());
    request.set_verdict(v1::REJECTED);
    request.set_note("a different person on camera at 0:02");
    v1::DecideResponse response;
    ASSERT_TRUE(review_->Decide(&context, request, &response).ok());
    EXPECT_EQ(response.verdict(), who == &examiner ? v1::PENDING_REVIEW : v1::REJECTED);
  }
  grpc::ClientContext context;
  Authorize(&context, lms);
  v1::ListResultsResponse listed;
  ASSERT_TRUE(results_->ListResults(&context, v1::ListResultsRequest(), &listed).ok());
  ASSERT_EQ(listed.results_size(), 2);
  for (const auto& r : listed.results()) {
    if (r.session_id() == honest->session_id()) {
      EXPECT_EQ(r.status(), v1::OFFICIAL);
      EXPECT_EQ(r.verdict(), v1::AUTO_ACCEPTED);
      EXPECT_EQ(r.kind(), v1::FINAL);
    } else {
      EXPECT_EQ(r.status(), v1::RESULT_REJECTED);
      EXPECT_EQ(r.verdict(), v1::REJECTED);
    }
    EXPECT_DOUBLE_EQ(r.score(), 42);
  }
}

TEST_F(ServerTest, PurgeRemovesTemplatesAndEvidence) {
  const auto faces = DemoFaces(1);
  ASSERT_FALSE(faces.empty());
  auto s = OpenLearner("carol", faces[0], v1::INTERMEDIATE);
  v1::BatchAck ack;
  ASSERT_TRUE(s->Send({s->Consent(),
                       Identity(*s, 1000, faces[0].descriptor, 0.0f, faces[0].chip_jpeg),
                       Identity(*s, 2000, faces[0].descriptor, 0.0f, faces[0].chip_jpeg)},
                      &ack)
                  .ok());
  grpc::ClientContext context;
  Authorize(&context, server_.admin_token());
  v1::PurgeLearnerRequest request;
  request.set_learner_id("carol");
  v1::PurgeLearnerResponse purged;
  ASSERT_TRUE(admin_->PurgeLearner(&context, request, &purged).ok());
  EXPECT_EQ(purged.templates_removed(), 1);
  EXPECT_EQ(purged.evidence_removed(), 2);
  // The events and their timeline stay; the biometric data is gone.
  EXPECT_EQ(Show(s->session_id()).events_size(), 3);
}

// Every rejection leaves the session exactly as it was.
class ServerBadInputTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    faces_ = DemoFaces(1);
    ASSERT_FALSE(faces_.empty());
    session_ = OpenLearner("dave", faces_[0], v1::INTERMEDIATE);
    first_ = {session_->Consent(), session_->Next(EventKind::kSessionStarted, 0)};
    v1::BatchAck ack;
    ASSERT_TRUE(session_->Send(first_, &ack).ok());
  }
  void ExpectRejected(const std::vector<Event>& events, grpc::StatusCode code,
                      const std::string& signature = "") {
    v1::BatchAck ack;
    const grpc::Status status = signature.empty() ? session_->Send(events, &ack)
                                                  : session_->SendSigned(events, signature, &ack);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_FALSE(status.error_message().empty());
    EXPECT_EQ(Show(session_->session_id()).summary().event_count(),
              static_cast<int64_t>(first_.size()))
        << "something was stored";
    session_->Rewind(first_);
  }
  std::vector<FaceSample> faces_;
  std::unique_ptr<LearnerSession> session_;
  std::vector<Event> first_;
};

// Consent, as the server holds it: the notice is read with the pass without spending it; a
// changed notice refuses OpenSession (pass still valid); an administrator's own notice is
// versioned and audited; identity events from a session without CONSENT_GIVEN are refused.
TEST_F(ServerTest, ConsentNoticeComesBeforeThePassAndGuardsBiometricEvents) {
  auto sessions = v1::SessionService::NewStub(server_.channel());
  ASSERT_TRUE(CreateAssessment("consent-exam", v1::FINAL, server_.admin_token()).ok());
  const auto faces = DemoFaces(1);
  ASSERT_FALSE(faces.empty());
  v1::EnrollLearnerResponse enrolled;
  ASSERT_TRUE(Enroll("erin", {&faces[0]}, &enrolled).ok());
  const std::string pass = IssuePass("erin", "consent-exam");
  auto read_notice = [&](const std::string& p, v1::ConsentNotice* notice) {
    grpc::ClientContext context;
    v1::GetConsentNoticeRequest request;
    request.set_pass(p);
    return sessions->GetConsentNotice(&context, request, notice);
  };
  v1::ConsentNotice built_in;
  ASSERT_TRUE(read_notice(pass, &built_in).ok());
  EXPECT_EQ(built_in.version(), 0);
  EXPECT_NE(built_in.text().find("биометрические"), std::string::npos) << "Russian first";
  EXPECT_NE(built_in.text().find("How to withdraw"), std::string::npos);
  EXPECT_EQ(built_in.sha256().size(), 64u);
  v1::ConsentNotice none;
  EXPECT_EQ(read_notice("no-such-pass", &none).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The institution writes its own notice: version 1, audited.
  v1::ConsentNotice own;
  {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::SetConsentNoticeRequest request;
    request.set_assessment_id("consent-exam");
    request.set_text("Школа №5: камера, снимки лица, хранение 30 дней.");
    ASSERT_TRUE(admin_->SetConsentNotice(&context, request, &own).ok());
    EXPECT_EQ(own.version(), 1);
    grpc::ClientContext bad_context;
    Authorize(&bad_context, server_.admin_token());
    request.set_text("");
    v1::ConsentNotice ignored;
    EXPECT_EQ(admin_->SetConsentNotice(&bad_context, request, &ignored).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // The learner read the built-in notice before the change: OpenSession refuses, pass kept.
  v1::OpenSessionRequest open;
  open.set_pass(pass);
  open.set_client_public_key(std::string(32, 'k'));
  open.set_consented_notice_sha256(built_in.sha256());
  v1::OpenSessionResponse opened;
  {
    grpc::ClientContext context;
    const grpc::Status refused = sessions->OpenSession(&context, open, &opened);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << refused.error_message();
  }
  // A client that predates consent (no digest) is told to update; the pass is not spent.
  {
    grpc::ClientContext context;
    open.clear_consented_notice_sha256();
    const grpc::Status old_client = sessions->OpenSession(&context, open, &opened);
    EXPECT_EQ(old_client.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(old_client.error_message().find("update proctor-client"), std::string::npos);
  }
  v1::ConsentNotice now;
  ASSERT_TRUE(read_notice(pass, &now).ok()) << "the pass is still valid";
  EXPECT_EQ(now.sha256(), own.sha256());

  LearnerSession learner(server_.channel());
  ASSERT_TRUE(learner.Open(pass).ok());
  EXPECT_EQ(learner.opened().consent_notice().version(), 1);
  EXPECT_EQ(read_notice(pass, &now).error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "a spent pass shows nothing";
  // Without consent: a heartbeat is fine, an identity check is refused and not stored.
  v1::BatchAck ack;
  ASSERT_TRUE(learner.Send({learner.Next(EventKind::kHeartbeat, 0)}, &ack).ok());
  const Event identity =
      Identity(learner, 1000, faces[0].descriptor, 0.1f, faces[0].chip_jpeg);
  const grpc::Status refused = learner.Send({identity}, &ack);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(Show(learner.session_id()).summary().event_count(), 1);

  // An administrator reads the notice in force.
  bool in_force = false;
  {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::GetAssessmentNoticeRequest request;
    request.set_assessment_id("consent-exam");
    request.set_version(0);
    v1::ConsentNotice shown;
    ASSERT_TRUE(admin_->GetAssessmentNotice(&context, request, &shown).ok());
    in_force = shown.version() == 1 && shown.text() == own.text();
  }
  EXPECT_TRUE(in_force);
}

TEST_F(ServerBadInputTest, PassesAreOneTimeAndKnown) {
  LearnerSession again(server_.channel());
  EXPECT_EQ(again.Open("pass-not-a-real-one").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const std::string pass = IssuePass("dave", "exam-dave");
  EXPECT_TRUE(again.Open(pass).ok());
  LearnerSession twice(server_.channel());
  const grpc::Status used = twice.Open(pass);
  EXPECT_EQ(used.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(used.error_message().find("already used"), std::string::npos) << used.error_message();
}

TEST_F(ServerBadInputTest, RolesAreEnforced) {
  const std::string examiner = IssueToken(v1::EXAMINER, "ex");
  EXPECT_EQ(CreateAssessment("x", v1::FINAL, examiner).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateAssessment("x", v1::FINAL, session_->token()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateAssessment("x", v1::FINAL, "forged-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CreateAssessment("x", v1::FINAL, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The learner's token streams only its own session; an examiner cannot stream at all.
  LearnerSession as_examiner(server_.channel());
  v1::BatchAck ack;
  grpc::ClientContext context;
  Authorize(&context, examiner);
  auto stream = v1::SessionService::NewStub(server_.channel())->StreamEvents(&context);
  stream->WritesDone();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerBadInputTest, EventsForSomeoneElsesSession) {
  Event e = session_->Next(EventKind::kHeartbeat, 100);
  e.session_id = "s-somebody-else";
  ExpectRejected({e}, grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerBadInputTest, ForgedSignature) {
  const std::vector<Event> events = {session_->Next(EventKind::kHeartbeat, 100)};
  std::string forged = session_->Sign(events);
  forged[10] ^= 0x01;
  ExpectRejected(events, grpc::StatusCode::UNAUTHENTICATED, forged);
  ExpectRejected(events, grpc::StatusCode::INVALID_ARGUMENT, "short");
}

TEST_F(ServerBadInputTest, ReplayIsAcknowledgedOnceAndForkIsRefused) {
  v1::BatchAck ack;
  ASSERT_TRUE(session_->Send(first_, &ack).ok());  // identical resend
  EXPECT_EQ(ack.acked_seq(), first_.size());
  EXPECT_EQ(ack.duplicates(), first_.size());
  session_->Rewind({});
  ExpectRejected({session_->Next(EventKind::kHeartbeat, 5)}, grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ServerBadInputTest, GapAndBrokenChain) {
  session_->Next(EventKind::kHeartbeat, 100);  // seq 2 never sent
  ExpectRejected({session_->Next(EventKind::kHeartbeat, 200)},
                 grpc::StatusCode::FAILED_PRECONDITION);
  Event e = session_->Next(EventKind::kHeartbeat, 100);
  e.prev_hash[0] ^= 1;
  ExpectRejected({e}, grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServerBadInputTest, MalformedDescriptors) {
  std::vector<float> short_descriptor(127, 0.1f);
  ExpectRejected({Identity(*session_, 100, short_descriptor, 0.3f, {})},
                 grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<float> nan_descriptor(128, 0.1f);
  nan_descriptor[3] = std::numeric_limits<float>::quiet_NaN();
  ExpectRejected({Identity(*session_, 100, nan_descriptor, 0.3f, {})},
                 grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerBadInputTest, CorruptEvidenceJpeg) {
  std::vector<uint8_t> truncated(faces_[0].chip_jpeg.begin(),
                                 faces_[0].chip_jpeg.begin() + faces_[0].chip_jpeg.size() / 2);
  ExpectRejected({Identity(*session_, 100, faces_[0].descriptor, 0.0f, truncated)},
                 grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<uint8_t> garbage(2000, 0x5a);
  ExpectRejected({Identity(*session_, 100, faces_[0].descriptor, 0.0f, garbage)},
                 grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerBadInputTest, OversizedMessage) {
  std::vector<Event> events;
  const std::vector<uint8_t> big(kMaxEvidenceBytes, 0xff);  // 17 x 256 KiB > 4 MiB
  for (int i = 0; i < 17; ++i) {
    events.push_back(session_->Next(EventKind::kHeartbeat, 100 + i, EventPhase::kInstant,
                                    [&](Event& e) { e.evidence_jpeg = big; }));
  }
  ExpectRejected(events, grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// SIGKILL while sessions stream; after a restart on the same database every acknowledged event
// is there exactly once, and the clients finish their sessions by resending what was not acked.
TEST_F(ServerTest, AcknowledgedEventsSurviveSigkill) {
  ASSERT_TRUE(CreateAssessment("crash", v1::INTERMEDIATE, server_.admin_token()).ok());
  constexpr int kSessions = 8;
  constexpr uint64_t kEvents = 12000;
  constexpr uint64_t kBatch = 25;
  std::vector<std::unique_ptr<LearnerSession>> sessions;
  std::vector<std::vector<Event>> planned(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    v1::EnrollLearnerResponse enrolled;
    const std::string learner = "crash-" + std::to_string(i);
    ASSERT_TRUE(Enroll(learner, {}, &enrolled).ok());
    sessions.push_back(std::make_unique<LearnerSession>(server_.channel()));
    ASSERT_TRUE(sessions.back()->Open(IssuePass(learner, "crash")).ok());
    for (uint64_t k = 0; k < kEvents; ++k) {
      planned[i].push_back(sessions.back()->Next(EventKind::kHeartbeat, k * 200));
    }
  }
  std::vector<std::atomic<uint64_t>> acked(kSessions);
  std::vector<std::thread> streams;
  for (int i = 0; i < kSessions; ++i) {
    streams.emplace_back([&, i] {
      for (uint64_t from = 0; from < kEvents; from += kBatch) {
        std::vector<Event> batch(planned[i].begin() + from, planned[i].begin() + from + kBatch);
        v1::BatchAck ack;
        if (!sessions[i]->Send(batch, &ack).ok()) return;  // the server died
        acked[i] = ack.acked_seq();
      }
    });
  }
  // Kill once the load is well under way (not after a fixed time: a loaded CI machine is slow).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    uint64_t so_far = 0;
    for (auto& a : acked) so_far += a;
    if (so_far >= 10000 || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_.Kill();
  for (auto& t : streams) t.join();
  uint64_t total_acked = 0;
  for (auto& a : acked) total_acked += a;
  ASSERT_GT(total_acked, 0u) << "nothing was acknowledged before the kill";
  ASSERT_LT(total_acked, kSessions * kEvents) << "the kill came after the load finished";

  std::string why;
  ASSERT_TRUE(server_.Start(&why)) << why;
  admin_ = v1::AdminService::NewStub(server_.channel());
  review_ = v1::ReviewService::NewStub(server_.channel());
  uint64_t total_stored = 0;
  for (int i = 0; i < kSessions; ++i) {
    const v1::SessionDetail detail = Show(sessions[i]->session_id());
    const uint64_t stored = static_cast<uint64_t>(detail.events_size());
    EXPECT_GE(stored, acked[i].load()) << "an acknowledged event was lost";
    for (int k = 0; k < detail.events_size(); ++k) {
      ASSERT_EQ(detail.events(k).seq(), static_cast<uint64_t>(k + 1)) << "gap or duplicate";
    }
    total_stored += stored;
    // The client resends everything from its last ack: duplicates are absorbed, the rest lands.
    sessions[i]->set_wait_for_ready(true);
    std::vector<Event> rest(planned[i].begin() + acked[i], planned[i].end());
    for (size_t from = 0; from < rest.size(); from += kBatch) {
      std::vector<Event> batch(rest.begin() + from,
                               rest.begin() + std::min(rest.size(), from + kBatch));
      v1::BatchAck ack;
      const grpc::Status status = sessions[i]->Send(batch, &ack);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    EXPECT_EQ(Show(sessions[i]->session_id()).events_size(), static_cast<int>(kEvents));
  }
  std::printf(
      "crash test: %llu events acknowledged before SIGKILL, %llu stored after restart, "
      "%d x %llu delivered after resume\n",
      static_cast<unsigned long long>(total_acked), static_cast<unsigned long long>(total_stored),
      kSessions, static_cast<unsigned long long>(kEvents));
}

// Runs proctor-server with `args` in a fresh data dir until it exits, for at most 60 s (then it
// is killed); returns its wait status and puts what it printed (stdout and stderr) in *output.
int RunServerUntilExit(std::vector<std::string> args, std::string* output) {
  char pattern[] = "/tmp/proctor_server_XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  const std::string log = dir + "/server.log";
  args.insert(args.end(), {"--data-dir", dir, "--models", ModelsDir()});
  std::vector<char*> argv{const_cast<char*>(PROCTOR_SERVER_BINARY)};
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(PROCTOR_SERVER_BINARY, argv.data());
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  *output = ss.str();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}

// gRPC would set SO_REUSEPORT, and a second server on a used port would then start and take
// half of the learners' connections into its own database; it must fail, and say why.
// The identity rule needs every template at the client: OpenSession sends them all, in
// enrollment order, and the first again as the reference an older client reads.
TEST_F(ServerTest, OpenSessionSendsEveryEnrolledTemplateInOrder) {
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  ASSERT_TRUE(CreateAssessment("exam-multi", v1::FINAL, server_.admin_token()).ok());
  v1::EnrollLearnerResponse enrolled;
  ASSERT_TRUE(Enroll("multi", {&faces[0], &faces[1], &faces[0]}, &enrolled).ok());
  ASSERT_EQ(enrolled.templates(), 3);
  LearnerSession session(server_.channel());
  ASSERT_TRUE(session.Open(IssuePass("multi", "exam-multi")).ok());
  const v1::OpenSessionResponse& opened = session.opened();
  ASSERT_EQ(opened.enrolled_templates_size(), 3);
  auto distance = [](const google::protobuf::RepeatedField<float>& t, const std::vector<float>& d) {
    double sum = 0;
    for (int i = 0; i < t.size(); ++i) sum += (t[i] - d[i]) * (t[i] - d[i]);
    return std::sqrt(sum);
  };
  // Each template is its own photo's (the photo's descriptor is near its chip's), in order.
  for (int i : {0, 2}) {
    EXPECT_LT(distance(opened.enrolled_templates(i).values(), faces[0].descriptor),
              distance(opened.enrolled_templates(i).values(), faces[1].descriptor));
  }
  EXPECT_LT(distance(opened.enrolled_templates(1).values(), faces[1].descriptor),
            distance(opened.enrolled_templates(1).values(), faces[0].descriptor));
  EXPECT_EQ(std::vector<float>(opened.reference_descriptor().begin(),
                               opened.reference_descriptor().end()),
            std::vector<float>(opened.enrolled_templates(0).values().begin(),
                               opened.enrolled_templates(0).values().end()));
  EXPECT_FLOAT_EQ(opened.match_threshold(), 0.55f);
}

// Enrollment photos as the desk receives them: a print shop's CMYK JPEG and a phone's WebP that
// is upright only through its EXIF orientation. The server reads both with the same decoder as
// proctor-face, and each template is the person's.
TEST_F(ServerTest, EnrollmentReadsCmykJpegAndExifRotatedWebp) {
  namespace bt = biometrics::testing;
  const auto faces = DemoFaces(2);
  ASSERT_GE(faces.size(), 2u);
  auto photo = biometrics::DecodeImage(faces[0].photo_jpeg.data(), faces[0].photo_jpeg.size(), {});
  ASSERT_TRUE(photo.ok()) << photo.status();
  FaceSample cmyk = faces[0], phone = faces[0];
  cmyk.photo_jpeg = bt::WriteJpeg(*photo, {.colour = bt::JpegColour::kCmykAdobe});
  phone.photo_jpeg = bt::WriteWebp(bt::StoreForOrientation(*photo, 8), {.exif_orientation = 8});
  ASSERT_TRUE(CreateAssessment("exam-formats", v1::INTERMEDIATE, server_.admin_token()).ok());
  v1::EnrollLearnerResponse enrolled;
  const grpc::Status status = Enroll("formats", {&cmyk, &phone}, &enrolled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(enrolled.templates(), 2);
  LearnerSession session(server_.channel());
  ASSERT_TRUE(session.Open(IssuePass("formats", "exam-formats")).ok());
  for (int i = 0; i < 2; ++i) {
    const auto& t = session.opened().enrolled_templates(i).values();
    double own = 0, other = 0;
    for (int k = 0; k < t.size(); ++k) {
      own += (t[k] - faces[0].descriptor[k]) * (t[k] - faces[0].descriptor[k]);
      other += (t[k] - faces[1].descriptor[k]) * (t[k] - faces[1].descriptor[k]);
    }
    EXPECT_LT(std::sqrt(own), 0.2) << "template " << i;
    EXPECT_GT(std::sqrt(other), 0.5) << "template " << i;
  }
}

TEST_F(ServerTest, ASecondServerOnAUsedPortFailsAndTheFirstServesOn) {
  std::string output;
  const int status =
      RunServerUntilExit({"--listen", server_.address(), "--http", "127.0.0.1:0"}, &output);
  ASSERT_TRUE(WIFEXITED(status)) << "still running after 60 s, or killed:\n" << output;
  EXPECT_NE(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("cannot listen on " + server_.address() + ": address in use"),
            std::string::npos)
      << output;
  EXPECT_TRUE(CreateAssessment("after-second", v1::INTERMEDIATE, server_.admin_token()).ok())
      << "the first server stopped answering on its connection";
  // And on a new connection (a channel of its own subchannel pool does not share the old one).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto admin = v1::AdminService::NewStub(
      grpc::CreateCustomChannel(server_.address(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  Authorize(&context, server_.admin_token());
  v1::IssueTokenRequest request;
  request.set_role(v1::EXAMINER);
  request.set_label("examiner after the second server");
  v1::IssueTokenResponse response;
  const grpc::Status issued = admin->IssueToken(&context, request, &response);
  EXPECT_TRUE(issued.ok()) << issued.error_message();
}

TEST_F(ServerTest, ASecondServerOnAUsedConsolePortFailsToo) {
  // Its own free gRPC port, the first server's console port: cpp-httplib's default socket
  // options would have let both consoles listen (SO_REUSEPORT) and split the examiners.
  std::string output;
  const std::string listen = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const int status =
      RunServerUntilExit({"--listen", listen, "--http", server_.http_address()}, &output);
  ASSERT_TRUE(WIFEXITED(status)) << "still running after 60 s, or killed:\n" << output;
  EXPECT_NE(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("HTTP console: cannot listen on " + server_.http_address()),
            std::string::npos)
      << output;
  EXPECT_TRUE(
      CreateAssessment("after-second-console", v1::INTERMEDIATE, server_.admin_token()).ok());
}

}  // namespace
}  // namespace proctor::testing

namespace proctor::testing {
namespace {

// An administrator's `systemctl stop` (SIGTERM) or Ctrl-C stops the server cleanly, exit 0:
// the signal must not fall to a library thread (OpenBLAS starts its pool before main) and kill
// the process instead.
TEST(ServerSignalTest, SigtermAndSigintStopTheServerWithExitZero) {
  for (const int signal : {SIGTERM, SIGINT}) {
    ServerProcess server;
    std::string why;
    ASSERT_TRUE(server.Start(&why)) << why;
    const int status = server.Stop(signal);
    EXPECT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
}

}  // namespace
}  // namespace proctor::testing
