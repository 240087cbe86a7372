// proctor-client end to end: a real proctor-server process and the real client binary on a video
// the test builds from photos (the enrolled learner alone; nobody; the learner and someone else;
// someone else alone; the learner again). What the server recorded is checked against the
// script; then the faults: the server stopped mid-session and started again, the client killed
// with SIGKILL and run again, the journal's tail corrupted — every event arrives exactly once —
// and bad input: each with a clear message, its exit code and nothing lost.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "biometrics/image_codec.h"
#include "client/tools/sample_video.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/client_process.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/server_harness.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/test_data.h"

extern char** environ;

namespace proctor::testing {
namespace {

namespace fs = std::filesystem;

// A sanitizer slows the analysis two to five times: the check's processor-load figure is then a
// measure of the sanitizer, not of the client, and may exceed the limit on a busy machine.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
using Clock = std::chrono::steady_clock;

// Media time of the scripted video's segments, ms.
constexpr int64_t kAloneEnd = 12'000;
constexpr int64_t kNobodyEnd = 18'000;
constexpr int64_t kTwoEnd = 24'000;
constexpr int64_t kOtherEnd = 30'000;
constexpr int64_t kVideoEnd = 40'000;
// Debounce (1 s) plus one analysis interval at 3 fps, and a margin.
constexpr int64_t kSlackMs = 1'800;

class ClientEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    faces_ = new std::vector<FaceSample>(DemoFaces(2));
    if (faces_->size() < 2) return;
    video_dir_ =
        new std::string(fs::temp_directory_path() / ("client_e2e_" + std::to_string(::getpid())));
    fs::create_directories(*video_dir_);
    const auto& learner = (*faces_)[0].photo_jpeg;
    const auto& other = (*faces_)[1].photo_jpeg;
    // The learner is shown mirrored: the same person, not the enrollment photo's pixels.
    std::vector<client::VideoSegment> script = {
        {{learner}, kAloneEnd / 1000.0, true},
        {{}, (kNobodyEnd - kAloneEnd) / 1000.0, false},
        {{learner, other}, (kTwoEnd - kNobodyEnd) / 1000.0, true},
        {{other}, (kOtherEnd - kTwoEnd) / 1000.0, false},
        {{learner}, (kVideoEnd - kOtherEnd) / 1000.0, true},
    };
    const auto status = client::BuildProctoringVideo(*video_dir_ + "/exam.avi", script);
    if (!status.ok()) ADD_FAILURE() << status;
    std::ofstream(*video_dir_ + "/broken.avi") << "RIFF this is not a video at all";
  }
  static void TearDownTestSuite() {
    if (video_dir_ != nullptr) fs::remove_all(*video_dir_);
    delete video_dir_;
    delete faces_;
    video_dir_ = nullptr;
    faces_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(faces_, nullptr);
    ASSERT_GE(faces_->size(), 2u) << "demo faces missing: run scripts/setup.sh";
    std::string why;
    ASSERT_TRUE(server_.Start(&why)) << why;
    admin_ = v1::AdminService::NewStub(server_.channel());
    review_ = v1::ReviewService::NewStub(server_.channel());
    work_ = server_.data_dir() + "/client";
    fs::create_directories(work_);
    Admin("exam", v1::FINAL);
  }

  // Replaces ada's templates with those of `photos`, in that order.
  void Enroll(const std::vector<std::vector<uint8_t>>& photos) {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id("ada");
    request.set_name("Ada");
    for (const auto& p : photos) request.add_photos(std::string(p.begin(), p.end()));
    v1::EnrollLearnerResponse response;
    const auto status = admin_->EnrollLearner(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.templates(), static_cast<int>(photos.size()));
  }

  void Admin(const std::string& assessment, v1::AssessmentKind kind) {
    {
      grpc::ClientContext context;
      Authorize(&context, server_.admin_token());
      v1::CreateAssessmentRequest request;
      request.set_assessment_id(assessment);
      request.set_course("Algebra 101");
      request.set_title("Final exam");
      request.set_kind(kind);
      v1::CreateAssessmentResponse response;
      const auto status = admin_->CreateAssessment(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id("ada");
    request.set_name("Ada");
    const auto& photo = (*faces_)[0].photo_jpeg;
    request.add_photos(std::string(photo.begin(), photo.end()));
    v1::EnrollLearnerResponse response;
    const auto status = admin_->EnrollLearner(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string IssuePass() {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::IssuePassRequest request;
    request.set_learner_id("ada");
    request.set_assessment_id("exam");
    v1::IssuePassResponse response;
    const grpc::Status status = admin_->IssuePass(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.pass();
  }

  std::vector<std::string> Args(const std::string& pass, const std::string& journal,
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--server",   server_.address(), "--pass",   pass,       "--journal", work_ + "/" + journal,
        "--headless", "--json",          "--models", ModelsDir()};
    bool has_source = false;
    for (const auto& e : extra) has_source |= e == "--camera" || e == "--video";
    if (!has_source) {
      args.push_back("--video");
      args.push_back(*video_dir_ + "/exam.avi");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::vector<v1::SessionSummary> Sessions() {
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::ListSessionsResponse response;
    const auto status = review_->ListSessions(&context, v1::ListSessionsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.sessions().begin(), response.sessions().end()};
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

  // The client's events as stored: seq 1..n each exactly once (the server's own findings,
  // seq 0, are skipped).
  std::vector<v1::RecordedEvent> ClientEvents(const v1::SessionDetail& detail) {
    std::vector<v1::RecordedEvent> out;
    for (const auto& e : detail.events()) {
      if (!e.from_server()) out.push_back(e);
    }
    return out;
  }

  void ExpectExactlyOnce(const std::vector<v1::RecordedEvent>& events, uint64_t expected) {
    ASSERT_EQ(events.size(), expected);
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].seq(), i + 1) << "seqs must be 1..n with no gap and no duplicate";
    }
    std::map<v1::EventKind, int> kinds;
    for (const auto& e : events) ++kinds[e.kind()];
    EXPECT_EQ(kinds[v1::SESSION_STARTED], 1);
    EXPECT_EQ(kinds[v1::SESSION_ENDED], 1);
    EXPECT_EQ(events.back().kind(), v1::SESSION_ENDED);
    for (size_t i = 1; i < events.size(); ++i) {
      EXPECT_GE(events[i].at_ms(), events[i - 1].at_ms()) << "at_ms went back at seq " << i + 1;
    }
  }

  static std::vector<FaceSample>* faces_;
  static std::string* video_dir_;
  ServerProcess server_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::ReviewService::Stub> review_;
  std::string work_;
};

std::vector<FaceSample>* ClientEndToEndTest::faces_ = nullptr;
std::string* ClientEndToEndTest::video_dir_ = nullptr;

bool Within(int64_t at_ms, int64_t from, int64_t to) { return at_ms >= from && at_ms <= to; }

// A learner whose system speaks Russian (LANG) reads every line in Russian, plurals and
// decimal commas included; what is recorded (kinds, verdict) is the same as in English.
TEST_F(ClientEndToEndTest, ARussianLearnerReadsRussianAndTheRecordIsTheSame) {
  const char* old_lang = std::getenv("LANG");
  const std::string saved = old_lang != nullptr ? old_lang : "";
  ::setenv("LANG", "ru_RU.UTF-8", 1);
  ::unsetenv("LC_ALL");
  ::unsetenv("LC_MESSAGES");
  ::unsetenv("LANGUAGE");
  ClientProcess client(work_, Args(IssuePass(), "journal"));
  const int exit_code = client.Wait();
  if (old_lang != nullptr) {
    ::setenv("LANG", saved.c_str(), 1);
  } else {
    ::unsetenv("LANG");
  }
  ASSERT_EQ(exit_code, 0) << client.err();
  SCOPED_TRACE("the client's log:\n" + client.err());
  for (const char* expected : {"открытие сессии на ", "открыта (порог сходства 0,", "1 эталон лица",
                               "прокторинг: ", "FACE_ABSENT начало",
                               "FACE_ABSENT конец через 6,0 с", "(расстояние 0,", "[снимок]"}) {
    EXPECT_NE(client.err().find(expected), std::string::npos) << expected;
  }
  for (const char* english : {"opening the session", "enrolled template", "proctoring from"}) {
    EXPECT_EQ(client.err().find(english), std::string::npos) << english;
  }
  const auto summary = client.summary();  // --json: the same keys and names in any language
  EXPECT_EQ(summary["verdict"], "PENDING_REVIEW");
  EXPECT_EQ(summary["kinds"]["FACE_ABSENT"], 2);
  EXPECT_EQ(summary["pending"], 0);
}

// `proctor-client check` on the sample video (the learner alone for its first 12 s): every
// check passes, one line each in the JSON, and nothing is recorded on the server. Under a
// sanitizer the processor-load check may fail (see kSanitized); the exit code and "ok" must then
// say so, and every other check must still pass.
TEST_F(ClientEndToEndTest, CheckOnTheSampleVideoPassesAndRecordsNothing) {
  ClientProcess check(work_,
                      {"--server", server_.address(), "--video", *video_dir_ + "/exam.avi",
                       "--journal", work_ + "/check-journal", "--models", ModelsDir(), "--json"},
                      "check");
  const int exit_code = check.Wait();
  const auto doc = check.summary();
  ASSERT_TRUE(doc.contains("checks")) << check.out() << check.err();
  bool cpu_ok = false;
  std::vector<std::string> names;
  for (const auto& c : doc["checks"]) {
    names.push_back(c["name"]);
    EXPECT_FALSE(c["detail"].get<std::string>().empty()) << c.dump();
    if (c["name"] == "cpu") {
      cpu_ok = c["ok"].get<bool>();
      std::cout << "cpu check: " << c["detail"].get<std::string>() << "\n";
      if (kSanitized && !cpu_ok) {
        EXPECT_FALSE(c["advice"].get<std::string>().empty()) << c.dump();
        continue;
      }
    }
    EXPECT_EQ(c["ok"], true) << c.dump();
  }
  EXPECT_EQ(exit_code, cpu_ok ? 0 : 1) << check.out() << check.err();
  EXPECT_EQ(doc["ok"], cpu_ok);
  if (!kSanitized) {
    EXPECT_TRUE(cpu_ok);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"journal", "models", "camera", "face", "cpu", "server",
                                             "tls", "clock"}));
  EXPECT_TRUE(Sessions().empty()) << "a system check must not open a session";
  EXPECT_FALSE(fs::exists(work_ + "/check-journal/session.json"));
}

// No camera, a dark room, an unreachable server: each check says what is wrong and what to do,
// the others still run, and the exit code is 1.
TEST_F(ClientEndToEndTest, CheckSaysWhatIsWrongAndWhatToDo) {
  auto by_name = [](const nlohmann::json& doc, const std::string& name) {
    for (const auto& c : doc["checks"]) {
      if (c["name"] == name) return c;
    }
    ADD_FAILURE() << "no check " << name << " in " << doc.dump();
    return nlohmann::json();
  };
  {
    ClientProcess no_camera(work_,
                            {"--server", server_.address(), "--camera", "9", "--journal",
                             work_ + "/j", "--models", ModelsDir(), "--json"},
                            "check");
    EXPECT_EQ(no_camera.Wait(), 1);
    const auto doc = no_camera.summary();
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(by_name(doc, "camera")["ok"], false);
    EXPECT_NE(by_name(doc, "camera")["detail"].get<std::string>().find("camera"),
              std::string::npos);
    EXPECT_FALSE(by_name(doc, "camera")["advice"].get<std::string>().empty());
    EXPECT_EQ(by_name(doc, "server")["ok"], true) << "the other checks still run";
    EXPECT_EQ(by_name(doc, "journal")["ok"], true);
  }
  {
    // The learner's photo at a quarter of its brightness, as in an unlit room.
    auto image = biometrics::DecodeImage(faces_->at(0).photo_jpeg.data(),
                                         faces_->at(0).photo_jpeg.size(), {});
    ASSERT_TRUE(image.ok()) << image.status();
    for (uint8_t& v : image->rgb) v = static_cast<uint8_t>(v / 5);
    auto dark = biometrics::EncodeJpeg(*image, 90);
    ASSERT_TRUE(dark.ok());
    fs::create_directories(work_ + "/dark");
    for (int i = 0; i < 4; ++i) {
      std::ofstream(work_ + "/dark/" + std::to_string(i) + ".jpg", std::ios::binary)
          .write(reinterpret_cast<const char*>(dark->data()),
                 static_cast<std::streamsize>(dark->size()));
    }
    ClientProcess dark_room(
        work_,
        {"--server", "127.0.0.1:1", "--images", work_ + "/dark", "--seconds", "1", "--journal",
         work_ + "/j", "--models", ModelsDir(), "--json", "--lang", "ru"},
        "check");
    EXPECT_EQ(dark_room.Wait(), 1);
    const auto doc = dark_room.summary();
    const auto face = by_name(doc, "face");
    EXPECT_EQ(face["ok"], false) << face.dump();
    EXPECT_NE(face["advice"].get<std::string>().find("больше света"), std::string::npos)
        << face.dump();
    EXPECT_EQ(by_name(doc, "server")["ok"], false) << "nothing listens on port 1";
    EXPECT_FALSE(by_name(doc, "server")["advice"].get<std::string>().empty());
  }
  {
    ClientProcess usage(work_, {"--video", *video_dir_ + "/exam.avi"}, "check");
    EXPECT_EQ(usage.Wait(), 2) << "--server is required";
  }
}

TEST_F(ClientEndToEndTest, ServerRecordsWhatTheVideoShows) {
  ClientProcess client(work_, Args(IssuePass(), "journal"));
  ASSERT_EQ(client.Wait(), 0) << client.err();
  SCOPED_TRACE("the client's log:\n" + client.err());
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  EXPECT_EQ(summary["closed"], true);
  EXPECT_EQ(summary["verdict"], "PENDING_REVIEW");
  const std::string session_id = summary["session_id"];
  EXPECT_FALSE(fs::exists(work_ + "/journal/session.json"))
      << "a delivered, closed session must leave no secrets or evidence on disk";

  const auto detail = Show(session_id);
  EXPECT_EQ(detail.summary().verdict(), v1::PENDING_REVIEW);
  const auto events = ClientEvents(detail);
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());

  auto find = [&](v1::EventKind kind, v1::EventPhase phase) {
    std::vector<v1::RecordedEvent> out;
    for (const auto& e : events) {
      if (e.kind() == kind && e.phase() == phase) out.push_back(e);
    }
    return out;
  };
  // Nobody in view 12-18 s: one absence, begun and ended at the segment's edges.
  const auto absent_begin = find(v1::FACE_ABSENT, v1::BEGIN);
  const auto absent_end = find(v1::FACE_ABSENT, v1::END);
  ASSERT_EQ(absent_begin.size(), 1u);
  ASSERT_EQ(absent_end.size(), 1u);
  EXPECT_TRUE(Within(absent_begin[0].at_ms(), kAloneEnd, kAloneEnd + kSlackMs))
      << absent_begin[0].at_ms();
  EXPECT_TRUE(Within(absent_end[0].at_ms(), kNobodyEnd, kNobodyEnd + kSlackMs))
      << absent_end[0].at_ms();
  EXPECT_NEAR(absent_end[0].duration_ms(), kNobodyEnd - kAloneEnd, kSlackMs);
  EXPECT_TRUE(absent_begin[0].has_evidence());
  // Two people 18-24 s.
  const auto multi_begin = find(v1::MULTIPLE_FACES, v1::BEGIN);
  const auto multi_end = find(v1::MULTIPLE_FACES, v1::END);
  ASSERT_EQ(multi_begin.size(), 1u);
  ASSERT_EQ(multi_end.size(), 1u);
  EXPECT_TRUE(Within(multi_begin[0].at_ms(), kNobodyEnd, kNobodyEnd + kSlackMs));
  EXPECT_EQ(multi_begin[0].face_count(), 2);
  EXPECT_TRUE(Within(multi_end[0].at_ms(), kTwoEnd, kTwoEnd + kSlackMs));
  // Someone else alone 24-30 s: a mismatch there, the server's distance above its threshold;
  // never a mismatch while the learner is alone.
  const auto mismatches = find(v1::IDENTITY_MISMATCH, v1::INSTANT);
  ASSERT_GE(mismatches.size(), 1u);
  for (const auto& m : mismatches) {
    EXPECT_TRUE(Within(m.at_ms(), kTwoEnd, kOtherEnd + kSlackMs)) << "mismatch at " << m.at_ms();
    EXPECT_GT(m.distance(), detail.match_threshold());
  }
  const auto verified = find(v1::IDENTITY_VERIFIED, v1::INSTANT);
  int verified_alone = 0;
  for (const auto& v : verified) {
    EXPECT_FALSE(Within(v.at_ms(), kTwoEnd + kSlackMs, kOtherEnd)) << "verified someone else";
    EXPECT_LE(v.distance(), detail.match_threshold()) << "server disagrees at " << v.at_ms();
    if (v.at_ms() < kAloneEnd || v.at_ms() > kOtherEnd) ++verified_alone;
  }
  EXPECT_GE(verified_alone, 3) << "identity is checked every few seconds";
  // A video of still photos never blinks: liveness fails (the photo-spoofing check).
  EXPECT_EQ(find(v1::LIVENESS_FAILED, v1::INSTANT).size(), 1u);
  EXPECT_TRUE(find(v1::LIVENESS_PASSED, v1::INSTANT).empty());
  // The server's flags follow the events.
  std::map<v1::EventKind, int> flags;
  for (const auto& f : detail.flags()) ++flags[f.kind()];
  EXPECT_GE(flags[v1::FACE_ABSENT], 1);
  EXPECT_GE(flags[v1::MULTIPLE_FACES], 1);
  EXPECT_GE(flags[v1::IDENTITY_MISMATCH], 1);
  EXPECT_EQ(flags[v1::EVIDENCE_MISMATCH], 0) << "the server's re-check agrees with the client";
}

// Enrolled with three photos of herself, the first a weak scan: the client measures the nearest
// template as the server does (protocol/identity_rule.h), so an honest learner is not accused of
// tampering; the stranger is still a mismatch.
TEST_F(ClientEndToEndTest, LearnerEnrolledWithSeveralPhotosWeakestFirstRaisesNoEvidenceMismatch) {
  const FaceSample& learner = (*faces_)[0];
  std::vector<float> weak_descriptor;
  const std::vector<uint8_t> weak = WeakPhoto(learner, &weak_descriptor);
  ASSERT_FALSE(weak.empty());
  // Against the weak template alone the video's learner (shown mirrored) is measurably farther
  // than against her good photo: a client that used only the first template would disagree
  // with the server by more than the 0.02 tolerance.
  double weak_sq = 0, good_sq = 0;
  for (size_t i = 0; i < weak_descriptor.size(); ++i) {
    weak_sq += std::pow(weak_descriptor[i] - learner.mirrored_descriptor[i], 2);
    good_sq += std::pow(learner.descriptor[i] - learner.mirrored_descriptor[i], 2);
  }
  ASSERT_GT(std::sqrt(weak_sq) - std::sqrt(good_sq), 0.02)
      << "the weak photo is not weak enough to tell the rules apart";
  // The good photo twice (enrolled from two uploads): three templates, the weak one first.
  Enroll({weak, learner.photo_jpeg, learner.photo_jpeg});

  ClientProcess client(work_, Args(IssuePass(), "journal"));
  ASSERT_EQ(client.Wait(), 0) << client.err();
  SCOPED_TRACE("the client's log:\n" + client.err());
  EXPECT_NE(client.err().find("3 enrolled templates"), std::string::npos);
  const auto detail = Show(client.summary()["session_id"]);
  std::map<v1::EventKind, int> flags;
  for (const auto& f : detail.flags()) ++flags[f.kind()];
  EXPECT_EQ(flags[v1::EVIDENCE_MISMATCH], 0) << "an honest client was accused of tampering";
  EXPECT_GE(flags[v1::IDENTITY_MISMATCH], 1) << "the stranger at 24-30 s must still be caught";
  int verified = 0;
  for (const auto& e : ClientEvents(detail)) {
    if (e.kind() != v1::IDENTITY_VERIFIED) continue;
    ++verified;
    EXPECT_LE(e.distance(), detail.match_threshold()) << "server disagrees at " << e.at_ms();
  }
  EXPECT_GE(verified, 3);
}

TEST_F(ClientEndToEndTest, ServerStoppedMidSessionAndRestartedGetsEveryEventOnce) {
  ClientProcess client(work_, Args(IssuePass(), "journal", {"--drain-timeout", "120"}));
  ASSERT_TRUE(client.WaitForOutput("proctoring from")) << client.err();
  server_.Kill();
  // The client goes on offline: everything it sees goes to the journal.
  ASSERT_TRUE(client.WaitForOutput("SESSION_ENDED")) << client.err();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::string why;
  ASSERT_TRUE(server_.Start(&why)) << why;
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  EXPECT_GE(summary["reconnects"].get<int>(), 1) << "the stop was not noticed";
  const auto events = ClientEvents(Show(summary["session_id"]));
  std::printf("[ counts ] journaled %llu, acknowledged %llu, stored %zu, resent duplicates %d\n",
              static_cast<unsigned long long>(summary["events"].get<uint64_t>()),
              static_cast<unsigned long long>(summary["acknowledged"].get<uint64_t>()),
              events.size(), summary["duplicates"].get<int>());
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());
}

TEST_F(ClientEndToEndTest, ClientKilledMidSessionRunsAgainAndTheRestArrives) {
  const std::string pass = IssuePass();
  std::string session_id;
  {
    ClientProcess first(work_, Args(pass, "journal"));
    ASSERT_TRUE(first.WaitForOutput("FACE_ABSENT begin")) << first.err();
    first.Kill();
    // The second run finds the session in the journal.
  }
  ASSERT_EQ(Sessions().size(), 1u);
  session_id = Sessions()[0].session_id();
  const size_t before = ClientEvents(Show(session_id)).size();
  ClientProcess second(work_, Args(pass, "journal"));
  ASSERT_EQ(second.Wait(), 0) << second.err();
  EXPECT_NE(second.err().find("resuming session " + session_id), std::string::npos) << second.err();
  const auto summary = second.summary();
  EXPECT_EQ(summary["resumed"], true);
  EXPECT_EQ(summary["session_id"], session_id);
  const auto events = ClientEvents(Show(session_id));
  std::printf("[ counts ] stored before the rerun %zu, journaled %llu, stored %zu\n", before,
              static_cast<unsigned long long>(summary["events"].get<uint64_t>()), events.size());
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());
  EXPECT_GT(events.size(), before);
  // The restart is on the record, and the absence open at the kill was closed at the restart.
  int restarts = 0;
  int absent_begin = 0;
  int absent_end = 0;
  for (const auto& e : events) {
    restarts += e.kind() == v1::HEARTBEAT && e.detail().find("restarted") != std::string::npos;
    absent_begin += e.kind() == v1::FACE_ABSENT && e.phase() == v1::BEGIN;
    absent_end += e.kind() == v1::FACE_ABSENT && e.phase() == v1::END;
  }
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(absent_begin, absent_end) << "every BEGIN has its END";
  // Media time went on from where the first run stopped: nothing analysed twice.
  EXPECT_LE(events.back().at_ms(), kVideoEnd);
}

TEST_F(ClientEndToEndTest, CorruptedJournalTailIsReportedAndTheIntactPartDelivered) {
  const std::string pass = IssuePass();
  {
    ClientProcess offline(work_, Args(pass, "journal", {"--drain-timeout", "2"}));
    ASSERT_TRUE(offline.WaitForOutput("proctoring from")) << offline.err();
    server_.Kill();
    ASSERT_EQ(offline.Wait(), 4) << offline.err();
    EXPECT_NE(offline.err().find("still journaled"), std::string::npos) << offline.err();
    EXPECT_GT(offline.summary()["pending"].get<int>(), 0);
  }
  const std::string log = work_ + "/journal/events.log";
  const auto size = fs::file_size(log);
  std::string why;
  ASSERT_TRUE(server_.Start(&why)) << why;
  {
    // Another pass cannot take over a journal that holds an undelivered session.
    ClientProcess intruder(work_, Args("pass-wrong", "journal"));
    EXPECT_EQ(intruder.Wait(), 3) << intruder.err();
    EXPECT_NE(intruder.err().find("another pass"), std::string::npos) << intruder.err();
    EXPECT_EQ(fs::file_size(log), size) << "the journal must stay as it was";
  }
  fs::resize_file(log, size - 25);  // a torn last write

  ClientProcess again(work_, Args(pass, "journal"));
  ASSERT_EQ(again.Wait(), 0) << again.err();
  EXPECT_NE(again.err().find("damaged"), std::string::npos) << again.err();
  EXPECT_NE(again.err().find("intact events"), std::string::npos) << again.err();
  const auto summary = again.summary();
  const auto events = ClientEvents(Show(summary["session_id"]));
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());
  // The damaged bytes were kept aside while the session was undelivered, and go with the rest
  // of the journal once it is delivered and closed: they hold evidence too.
  EXPECT_NE(again.err().find("bytes to " + work_ + "/journal/events.log.damaged-"),
            std::string::npos)
      << again.err();
  for (const auto& entry : fs::directory_iterator(work_ + "/journal")) {
    EXPECT_NE(entry.path().filename().string().rfind("events.log.damaged-", 0), 0u)
        << entry.path() << " left on the learner's disk after the session closed";
  }
}

// The learner's network dies mid-session and comes back: through a proxy the test controls,
// either reset (connections refused) or blackholed (connections hang: only the client's ack
// timeout and keepalives notice) for longer than the client's 10 s ack timeout.
class NetworkCutTest : public ClientEndToEndTest,
                       public ::testing::WithParamInterface<TcpProxy::Cut> {};

TEST_P(NetworkCutTest, EverythingIsDeliveredOnceAfterTheNetworkReturns) {
  const std::string server = server_.address();
  TcpProxy proxy(std::stoi(server.substr(server.rfind(':') + 1)));
  auto args = Args(IssuePass(), "journal", {"--drain-timeout", "120"});
  args[1] = proxy.address();  // --server
  ClientProcess client(work_, args);
  ASSERT_TRUE(client.WaitForOutput("proctoring from")) << client.err();
  const auto cut_at = Clock::now();
  proxy.CutNetwork(GetParam());
  ASSERT_TRUE(client.WaitForOutput("SESSION_ENDED")) << client.err();
  std::this_thread::sleep_until(cut_at + std::chrono::seconds(15));
  EXPECT_TRUE(client.Running()) << "it cannot have delivered and closed while the network was down";
  proxy.Restore();
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  EXPECT_GE(summary["reconnects"].get<int>(), 1) << "the cut was not noticed";
  const auto events = ClientEvents(Show(summary["session_id"]));
  std::printf(
      "[ counts ] journaled %llu, acknowledged %llu, stored %zu, reconnects %d, "
      "connections through the proxy %d\n",
      static_cast<unsigned long long>(summary["events"].get<uint64_t>()),
      static_cast<unsigned long long>(summary["acknowledged"].get<uint64_t>()), events.size(),
      summary["reconnects"].get<int>(), proxy.connections_accepted());
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());
}

INSTANTIATE_TEST_SUITE_P(Cut, NetworkCutTest,
                         ::testing::Values(TcpProxy::Cut::kReset, TcpProxy::Cut::kBlackhole),
                         [](const auto& info) {
                           return info.param == TcpProxy::Cut::kReset ? "Reset" : "Blackhole";
                         });

TEST_F(ClientEndToEndTest, DeadFirstServerInTheListFailsOverToTheNext) {
  auto args = Args(IssuePass(), "journal", {"--duration", "6"});
  args[1] = "127.0.0.1:1," + server_.address();  // --server: the first address answers nothing
  ClientProcess client(work_, args);
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  ExpectExactlyOnce(ClientEvents(Show(summary["session_id"])), summary["events"].get<uint64_t>());
}

TEST_F(ClientEndToEndTest, BadInputGetsAClearMessageAndTheRightExitCode) {
  const std::string pass = IssuePass();
  {
    ClientProcess no_camera(work_, Args(pass, "j1", {"--camera", "9"}));
    EXPECT_EQ(no_camera.Wait(), 1);
    EXPECT_NE(no_camera.err().find("camera"), std::string::npos) << no_camera.err();
    EXPECT_FALSE(fs::exists(work_ + "/j1/session.json")) << "the pass must not be spent";
  }
  {
    ClientProcess missing(work_, Args(pass, "j2", {"--video", work_ + "/no-such.avi"}));
    EXPECT_EQ(missing.Wait(), 1);
    EXPECT_NE(missing.err().find("no-such.avi"), std::string::npos) << missing.err();
  }
  {
    ClientProcess broken(work_, Args(pass, "j3", {"--video", *video_dir_ + "/broken.avi"}));
    EXPECT_EQ(broken.Wait(), 1);
    EXPECT_NE(broken.err().find("broken.avi"), std::string::npos) << broken.err();
  }
  {
    ClientProcess wrong(work_, Args("pass-not-issued", "j4"));
    EXPECT_EQ(wrong.Wait(), 3);
    EXPECT_NE(wrong.err().find("refused the pass"), std::string::npos) << wrong.err();
  }
  {
    auto args = Args(pass, "j5", {"--connect-timeout", "2"});
    args[1] = "127.0.0.1:1";  // --server: nothing listens there
    ClientProcess unreachable(work_, args);
    EXPECT_EQ(unreachable.Wait(), 4);
    EXPECT_NE(unreachable.err().find("cannot reach"), std::string::npos) << unreachable.err();
  }
  {
    ClientProcess usage(work_, {"--server", server_.address(), "--headless"});
    EXPECT_EQ(usage.Wait(), 2) << "no --pass";
  }
  // The learner says no to the consent notice, or gives no answer: exit 5, nothing captured.
  for (const std::string answer : {"no\n", ""}) {
    ClientProcess declined(work_, Args(pass, "j8", {"--duration", "3"}), "run", answer);
    EXPECT_EQ(declined.Wait(), 5) << declined.err();
    EXPECT_NE(declined.err().find("the pass is still valid"), std::string::npos) << declined.err();
    EXPECT_NE(declined.err().find("How to withdraw"), std::string::npos)
        << "the notice is shown first (on stderr with --json)";
  }
  // None of that spent the pass: it still opens the session, once, and the learner's "да"
  // heads it.
  {
    ClientProcess good(work_, Args(pass, "j6", {"--duration", "3"}), "run", "да\n");
    EXPECT_EQ(good.Wait(), 0) << good.err();
    const auto summary = nlohmann::json::parse(good.out());
    EXPECT_EQ(summary["kinds"]["CONSENT_GIVEN"], 1) << good.out();
  }
  {
    ClientProcess used(work_, Args(pass, "j7", {"--duration", "3"}));
    EXPECT_EQ(used.Wait(), 3);
    EXPECT_NE(used.err().find("already"), std::string::npos) << used.err();
  }
}

// A learner whose folders have Cyrillic names (C:\\Users\\Мария\\ on Windows): the video and
// the journal there work as anywhere else. A journal folder that cannot be written (read-only,
// or its parent a file): a clear message naming it, exit 1, and the pass not spent.
TEST_F(ClientEndToEndTest, CyrillicFoldersWorkAndAnUnwritableJournalFolderIsToldAndSpendsNothing) {
  const std::string pass = IssuePass();
  const std::string unwritable = work_ + "/только-чтение";
  fs::create_directories(unwritable);
  std::string journal = "только-чтение/journal";  // under work_, as Args() takes it
  if (::geteuid() == 0) {
    // root writes into a read-only folder anyway: a folder whose parent is a file cannot be made
    // by anyone.
    std::ofstream(unwritable + "/файл") << "not a folder";
    journal = "только-чтение/файл/journal";
  } else {
    fs::permissions(unwritable, fs::perms::owner_read | fs::perms::owner_exec);
  }
  {
    ClientProcess refused(work_, Args(pass, journal));
    EXPECT_EQ(refused.Wait(), 1) << refused.err();
    EXPECT_NE(refused.err().find("journal"), std::string::npos) << refused.err();
    EXPECT_NE(refused.err().find(work_ + "/" + journal), std::string::npos)
        << "the message names the folder: " << refused.err();
    EXPECT_TRUE(Sessions().empty()) << "no session was opened: the pass is not spent";
  }
  fs::permissions(unwritable, fs::perms::owner_all);

  const std::string home = work_ + "/Мария/Документы";
  fs::create_directories(home);
  fs::copy_file(*video_dir_ + "/exam.avi", home + "/экзамен.avi");
  ClientProcess client(work_, Args(pass, "Мария/Документы/журнал",
                                   {"--video", home + "/экзамен.avi", "--duration", "14"}));
  ASSERT_EQ(client.Wait(), 0) << client.err();
  const auto summary = client.summary();
  EXPECT_EQ(summary["pending"], 0);
  const auto events = ClientEvents(Show(summary["session_id"]));
  ExpectExactlyOnce(events, summary["events"].get<uint64_t>());
  int absent = 0;
  for (const auto& e : events) absent += e.kind() == v1::FACE_ABSENT && e.phase() == v1::BEGIN;
  EXPECT_EQ(absent, 1) << "the video was read: nobody is in view from 12 s";
}

#ifdef PROCTOR_LINUX_CLIENT_BINARY
// The Wine build of this file runs every test above against proctor-client.exe. This one runs
// the Linux client and the Windows client on the same video against the same server and sets
// what the server recorded side by side: the same events, flags in the same windows, identity
// distances, the same verdict.
TEST_F(ClientEndToEndTest, TheWindowsClientRecordsWhatTheLinuxClientRecords) {
  struct Run {
    std::string name;
    nlohmann::json summary;
    v1::SessionDetail detail;
    std::vector<v1::RecordedEvent> events;
  };
  std::vector<Run> runs;
  for (const auto& [name, command] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"Linux", {PROCTOR_LINUX_CLIENT_BINARY}},
           {"Windows (Wine)", ClientProcess::DefaultCommand()}}) {
    ClientProcess client(work_, Args(IssuePass(), "journal-" + std::to_string(runs.size())), "run",
                         std::nullopt, command);
    ASSERT_EQ(client.Wait(), 0) << name << ":\n" << client.err();
    Run run{name, client.summary(), {}, {}};
    run.detail = Show(run.summary["session_id"]);
    run.events = ClientEvents(run.detail);
    ExpectExactlyOnce(run.events, run.summary["events"].get<uint64_t>());
    EXPECT_EQ(run.summary["pending"], 0) << name;
    runs.push_back(std::move(run));
  }
  const Run& linux_run = runs[0];
  const Run& windows_run = runs[1];
  std::printf("[ side by side ] %-28s %-40s %s\n", "event", "Linux (at ms, distance)",
              "Windows under Wine (at ms, distance)");
  auto describe = [](const v1::RecordedEvent& e) {
    std::string text = std::to_string(e.at_ms());
    if (e.distance() > 0) text += absl::StrFormat(" d=%.3f", e.distance());
    return text;
  };
  // Matched by kind and phase in order; the same kinds in the same order is the first demand.
  auto key = [](const v1::RecordedEvent& e) {
    return v1::EventKind_Name(e.kind()) + "/" + v1::EventPhase_Name(e.phase());
  };
  std::vector<std::string> linux_keys, windows_keys;
  for (const auto& e : linux_run.events) linux_keys.push_back(key(e));
  for (const auto& e : windows_run.events) windows_keys.push_back(key(e));
  const size_t rows = std::max(linux_keys.size(), windows_keys.size());
  for (size_t i = 0; i < rows; ++i) {
    std::printf("[ side by side ] %-28s %-40s %s\n",
                (i < linux_keys.size() ? linux_keys[i] : windows_keys[i]).c_str(),
                i < linux_run.events.size() ? describe(linux_run.events[i]).c_str() : "-",
                i < windows_run.events.size() ? describe(windows_run.events[i]).c_str() : "-");
  }
  // Heartbeats follow the wall clock under load; everything else must match one for one.
  auto without_heartbeats = [](const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) {
      if (k.rfind("HEARTBEAT", 0) != 0) out.push_back(k);
    }
    return out;
  };
  EXPECT_EQ(without_heartbeats(linux_keys), without_heartbeats(windows_keys));
  std::vector<const v1::RecordedEvent*> l, w;
  for (const auto& e : linux_run.events) {
    if (e.kind() != v1::HEARTBEAT) l.push_back(&e);
  }
  for (const auto& e : windows_run.events) {
    if (e.kind() != v1::HEARTBEAT) w.push_back(&e);
  }
  for (size_t i = 0; i < std::min(l.size(), w.size()); ++i) {
    // The same frames (media time) are analysed on both: a state changes on the same frame, or
    // one analysis interval (333 ms at 3 fps) apart when a decoder's rounding tips a borderline
    // frame.
    EXPECT_NEAR(l[i]->at_ms(), w[i]->at_ms(), 400) << key(*l[i]);
    if (l[i]->distance() > 0 || w[i]->distance() > 0) {
      EXPECT_NEAR(l[i]->distance(), w[i]->distance(), 0.03)
          << key(*l[i]) << " at " << l[i]->at_ms();
    }
  }
  std::map<v1::EventKind, int> linux_flags, windows_flags;
  for (const auto& f : linux_run.detail.flags()) ++linux_flags[f.kind()];
  for (const auto& f : windows_run.detail.flags()) ++windows_flags[f.kind()];
  EXPECT_EQ(linux_flags, windows_flags);
  EXPECT_EQ(linux_run.detail.summary().verdict(), windows_run.detail.summary().verdict());
  EXPECT_EQ(linux_run.summary["verdict"], windows_run.summary["verdict"]);
  std::printf("[ side by side ] verdict: Linux %s, Windows %s; events %zu and %zu\n",
              v1::Verdict_Name(linux_run.detail.summary().verdict()).c_str(),
              v1::Verdict_Name(windows_run.detail.summary().verdict()).c_str(),
              linux_run.events.size(), windows_run.events.size());
}
#endif  // PROCTOR_LINUX_CLIENT_BINARY

}  // namespace
}  // namespace proctor::testing
