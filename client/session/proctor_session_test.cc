// The client's session life cycle in process: the real journal, monitor and face models, a
// scripted server behind the ServerConnection seam, and frames the test makes. What the e2e
// tests check with processes (pass refused, no server, a server gone mid-session and a second
// run delivering the rest exactly once), here without a process or a socket.
#include "client/session/proctor_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "client/uplink/testing/fake_session_server.h"
#include "common/testing/test_dir.h"
#include "tests/support/test_data.h"

namespace proctor::client {
namespace {

namespace fs = std::filesystem;
using testing::Behaviour;
using testing::FakeSessionStore;

// `count` grey frames 500 ms apart: nobody in view.
class EmptyRoom : public FrameSource {
 public:
  explicit EmptyRoom(int count) : count_(count) {}
  absl::StatusOr<std::optional<Frame>> Next() override {
    if (next_ >= count_) return std::optional<Frame>();
    Frame f;
    f.image = biometrics::Image::Blank(320, 240);
    std::fill(f.image.rgb.begin(), f.image.rgb.end(), 128);
    f.at_ms = 500 * next_++;
    return std::optional<Frame>(std::move(f));
  }
  absl::Status SetSampleFps(double) override { return absl::OkStatus(); }
  bool realtime() const override { return false; }
  std::string Describe() const override { return "an empty room"; }

 private:
  const int count_;
  int next_ = 0;
};

class RecordingView : public SessionView {
 public:
  void Message(const std::string& text) override { messages.push_back(text); }
  void OnEvents(const std::vector<protocol::SignedEvent>& events) override {
    shown += events.size();
  }
  void Update(const LiveStatus&, const DeliveryView&) override {}
  void ShowFrame(const Frame&, const LiveStatus&) override {}
  void Finish() override {}
  std::vector<std::string> messages;
  size_t shown = 0;
};

class ProctorSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    biometrics::FaceAnalyzerOptions options;
    options.models_dir = proctor::testing::ModelsDir();
    options.keep_chips = true;
    auto analyzer = biometrics::FaceAnalyzer::Create(options);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status() << " (run scripts/setup.sh)";
    analyzer_ = analyzer->release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(analyzer_, nullptr);
    dir_ = proctor::testing::FreshTestDir("session_test");
  }
  void TearDown() override { fs::remove_all(dir_); }

  SessionSummary RunOnce(int frames, const std::string& pass = "pass-1", bool consent = true) {
    auto journal = Journal::Open(dir_, nullptr);
    EXPECT_TRUE(journal.ok()) << journal.status();
    EmptyRoom room(frames);
    SessionConfig config;
    config.server = "a:1";
    config.pass = pass;
    config.uplink.servers = {"a:1"};
    config.uplink.initial_backoff_ms = 5;
    config.uplink.max_backoff_ms = 20;
    config.uplink.rpc_timeout_ms = 500;
    config.liveness_window_ms = 0;
    config.connect_timeout_ms = 300;
    config.drain_timeout_ms = 1500;
    if (consent) config.consent = protocol::ConsentRecord{1, std::string(64, 'a'), 1'765'000'000'000};
    SessionParts parts;
    parts.journal = journal->get();
    parts.source = &room;
    parts.analyzer = analyzer_;
    parts.view = &view_;
    parts.connect = testing::FakeServers(&store_, &behaviour_);
    return ProctorSession(config, parts).Run();
  }

  void ExpectStoredOnceEndingWithSessionEnded(size_t count) {
    std::lock_guard<std::mutex> lock(store_.mu);
    ASSERT_EQ(store_.events.size(), count);
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(store_.events[i].event.seq, i + 1);
    // The learner's consent heads the session, naming the notice it agreed to.
    EXPECT_EQ(store_.events.front().event.kind, EventKind::kConsentGiven);
    EXPECT_EQ(store_.events.front().event.detail,
              "notice v1 sha256 " + std::string(64, 'a') + " given 1765000000000");
    ASSERT_GE(store_.events.size(), 2u);
    EXPECT_EQ(store_.events[1].event.kind, EventKind::kSessionStarted);
    EXPECT_EQ(store_.events.back().event.kind, EventKind::kSessionEnded);
  }

  static biometrics::FaceAnalyzer* analyzer_;
  std::string dir_;
  RecordingView view_;
  FakeSessionStore store_;
  std::map<std::string, Behaviour> behaviour_;
};

biometrics::FaceAnalyzer* ProctorSessionTest::analyzer_ = nullptr;

TEST_F(ProctorSessionTest, ASessionIsDeliveredClosedAndLeavesNoJournalBehind) {
  const SessionSummary s = RunOnce(20);
  ASSERT_EQ(s.outcome, SessionOutcome::kDone)
      << s.error << " / " << (view_.messages.empty() ? "" : view_.messages.back());
  EXPECT_TRUE(s.closed);
  EXPECT_EQ(s.verdict, "AUTO_ACCEPTED");
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.acknowledged, s.events);
  EXPECT_GE(s.kinds.at("FACE_ABSENT"), 1) << "nobody was in view";
  ExpectStoredOnceEndingWithSessionEnded(s.events);
  EXPECT_EQ(view_.shown, s.events);
  EXPECT_FALSE(fs::exists(dir_ + "/session.json")) << "secrets and evidence leave the disk";
}

TEST_F(ProctorSessionTest, WithoutConsentNoSessionIsOpenedAndThePassIsKept) {
  const SessionSummary s = RunOnce(5, "pass-1", /*consent=*/false);
  EXPECT_EQ(s.outcome, SessionOutcome::kConsentDeclined);
  EXPECT_NE(s.error.find("the pass is still valid"), std::string::npos) << s.error;
  EXPECT_FALSE(fs::exists(dir_ + "/session.json"));
  std::lock_guard<std::mutex> lock(store_.mu);
  for (const auto& call : store_.calls) EXPECT_EQ(call.find("OpenSession"), std::string::npos);
}

TEST_F(ProctorSessionTest, AnUnknownPassIsRefusedAndNothingIsJournaled) {
  behaviour_["a:1"].open_error = absl::UnauthenticatedError("unknown exam pass");
  const SessionSummary s = RunOnce(5);
  EXPECT_EQ(s.outcome, SessionOutcome::kPassRefused);
  EXPECT_NE(s.error.find("refused the pass"), std::string::npos) << s.error;
  EXPECT_FALSE(s.reported);
  EXPECT_FALSE(fs::exists(dir_ + "/session.json"));
}

TEST_F(ProctorSessionTest, NoServerAtTheStartSpendsNothingAndSaysThePassIsStillValid) {
  behaviour_["a:1"].open_error = absl::UnavailableError("connection refused");
  const SessionSummary s = RunOnce(5);
  EXPECT_EQ(s.outcome, SessionOutcome::kUndelivered);
  EXPECT_NE(s.error.find("the pass is still valid"), std::string::npos) << s.error;
  EXPECT_FALSE(fs::exists(dir_ + "/session.json"));
}

TEST_F(ProctorSessionTest, AServerGoneMidSessionKeepsEverythingForTheNextRunWhichDeliversItOnce) {
  behaviour_["a:1"].batch_error = absl::UnavailableError("the server went away");
  const SessionSummary first = RunOnce(12);
  ASSERT_EQ(first.outcome, SessionOutcome::kUndelivered) << first.error;
  EXPECT_GT(first.pending, 0u);
  EXPECT_EQ(first.pending, first.events) << "nothing was acknowledged";
  {
    std::lock_guard<std::mutex> lock(store_.mu);
    EXPECT_TRUE(store_.events.empty());
  }
  ASSERT_TRUE(fs::exists(dir_ + "/session.json")) << "the journal waits for the next run";

  behaviour_["a:1"].batch_error = absl::OkStatus();
  const SessionSummary second = RunOnce(12);
  ASSERT_EQ(second.outcome, SessionOutcome::kDone) << second.error;
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.events_this_run, 0u) << "the video was analysed to its end the first time";
  ExpectStoredOnceEndingWithSessionEnded(first.events);
  EXPECT_FALSE(fs::exists(dir_ + "/session.json"));
}

TEST_F(ProctorSessionTest, AJournalHoldingAnotherPasssSessionIsRefused) {
  behaviour_["a:1"].batch_error = absl::UnavailableError("down");
  ASSERT_EQ(RunOnce(4, "pass-1").outcome, SessionOutcome::kUndelivered);
  const SessionSummary other = RunOnce(4, "pass-2");
  EXPECT_EQ(other.outcome, SessionOutcome::kPassRefused);
  EXPECT_NE(other.error.find("opened with another pass"), std::string::npos) << other.error;
}

TEST_F(ProctorSessionTest, AServerThatRefusesTheEventsIsAFailureAndTheEventsStay) {
  behaviour_["a:1"].batch_error = absl::InvalidArgumentError("event seq 1: malformed");
  const SessionSummary s = RunOnce(6);
  EXPECT_EQ(s.outcome, SessionOutcome::kFailure);
  EXPECT_NE(s.error.find("the server refused the events"), std::string::npos) << s.error;
  EXPECT_EQ(s.pending, s.events);
}

}  // namespace
}  // namespace proctor::client
