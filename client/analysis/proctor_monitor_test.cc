// ProctorMonitor against the real face models, on frames composed from single-face crops of the
// face-api demo photos (distinct people): the scripted session of the issue, dark frames,
// debounce, and the contract on at_ms and on what each event may carry.
#include "client/analysis/proctor_monitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "biometrics/face_matcher.h"
#include "biometrics/image_codec.h"
#include "client/tools/sample_video.h"
#include "tests/support/test_data.h"

namespace proctor::client {
namespace {

constexpr int64_t kFrameMs = 1000 / 3;  // one frame at the client's default 3 per second

struct Fixture {
  std::unique_ptr<biometrics::FaceAnalyzer> analyzer;
  std::vector<biometrics::Image> photos;  // single-face crops of distinct people
  std::vector<float> reference;           // descriptor of photos[0]
};

// Models and faces load once per process (~1.5 s): one analyzer, the people cut from one demo
// group photo (faces in one photo are different people) by a descriptor-free clone.
const Fixture& Shared() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    biometrics::FaceAnalyzerOptions options;
    options.models_dir = testing::ModelsDir();
    auto analyzer = biometrics::FaceAnalyzer::Create(options);
    if (!analyzer.ok()) return f;
    f->analyzer = std::move(*analyzer);
    auto group = biometrics::ReadImageFile(testing::DemoPhotosDir() + "/sample1.jpg", {});
    auto cutter = f->analyzer->CloneWith(false, false);
    if (!group.ok() || !cutter.ok()) return f;
    auto people = CutSingleFacePhotos(**cutter, *group);
    if (!people.ok()) return f;
    for (const auto& jpeg : *people) {
      f->photos.push_back(*biometrics::DecodeImage(jpeg.data(), jpeg.size(), {}));
    }
    if (f->photos.empty()) return f;
    auto faces = f->analyzer->Analyze(f->photos[0]);
    if (faces.ok() && faces->size() == 1) {
      f->reference.assign(faces->front().descriptor->begin(), faces->front().descriptor->end());
    }
    return f;
  }();
  return *fixture;
}

class ProctorMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Fixture& f = Shared();
    ASSERT_NE(f.analyzer, nullptr) << "face models missing in " << testing::ModelsDir();
    ASSERT_GE(f.photos.size(), 2u)
        << "demo photos missing in " << testing::DemoPhotosDir() << " (run scripts/setup.sh)";
    ASSERT_EQ(f.reference.size(), kDescriptorSize);
    learner_ = Compose({0});
    other_ = Compose({1});
    both_ = Compose({0, 1});
    nobody_ = Compose({});
  }

  static biometrics::Image Compose(const std::vector<int>& who) {
    std::vector<biometrics::Image> photos;
    for (int i : who) photos.push_back(Shared().photos[i]);
    return *ComposeFrame(photos, 640, 480);
  }

  static MonitorOptions Options() {
    MonitorOptions o;
    o.templates = {Shared().reference};
    o.liveness_window_ms = 0;
    return o;
  }

  std::unique_ptr<ProctorMonitor> NewMonitor(const MonitorOptions& options) {
    auto monitor = ProctorMonitor::Create(Shared().analyzer.get(), options);
    EXPECT_TRUE(monitor.ok()) << monitor.status();
    return monitor.ok() ? std::move(*monitor) : nullptr;
  }

  // Feeds `image` for `ms` of media time from now at 3 frames per second (frame j of the
  // segment at now + j * 1000 / 3), then moves now to the segment's end.
  void Feed(ProctorMonitor& monitor, const biometrics::Image& image, int64_t ms) {
    for (int64_t j = 0; j * 1000 / 3 < ms; ++j) {
      auto events = monitor.OnFrame(Frame{image, now_ + j * 1000 / 3});
      ASSERT_TRUE(events.ok()) << events.status();
      for (Event& e : *events) events_.push_back(std::move(e));
    }
    now_ += ms;
  }
  void Take(std::vector<Event> events) {
    for (Event& e : events) events_.push_back(std::move(e));
  }

  std::vector<const Event*> Of(EventKind kind) const {
    std::vector<const Event*> out;
    for (const Event& e : events_) {
      if (e.kind == kind) out.push_back(&e);
    }
    return out;
  }

  // What the server's validation demands of every event (server/core/event_validation.cc).
  void ExpectValidForServer() const {
    int64_t last = 0;
    for (const Event& e : events_) {
      SCOPED_TRACE(EventKindName(e.kind) + " " + EventPhaseName(e.phase) + " at " +
                   std::to_string(e.at_ms));
      EXPECT_GE(e.at_ms, last);
      last = e.at_ms;
      const bool identity =
          e.kind == EventKind::kIdentityVerified || e.kind == EventKind::kIdentityMismatch;
      EXPECT_EQ(e.descriptor.size(), identity ? kDescriptorSize : 0u);
      if (!identity) {
        EXPECT_EQ(e.client_distance, -1.0f);
      }
      if (e.phase == EventPhase::kEnd) {
        EXPECT_GE(e.duration_ms, 0);
        EXPECT_LE(e.duration_ms, e.at_ms);
      } else {
        EXPECT_EQ(e.duration_ms, 0);
      }
      EXPECT_GE(e.face_count, -1);
      EXPECT_LE(e.face_count, 64);
      EXPECT_LE(e.detail.size(), kMaxDetailBytes);
      EXPECT_LE(e.evidence_jpeg.size(), kMaxEvidenceBytes);
      EXPECT_TRUE(e.session_id.empty());
      EXPECT_EQ(e.seq, 0u);
    }
  }

  biometrics::Image learner_, other_, both_, nobody_;
  std::vector<Event> events_;
  int64_t now_ = 0;
};

std::vector<std::string> StateEvents(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (e.phase == EventPhase::kInstant) continue;
    out.push_back(EventKindName(e.kind) + " " + EventPhaseName(e.phase) + " " +
                  std::to_string(e.at_ms) + " " + std::to_string(e.duration_ms));
  }
  return out;
}

TEST_F(ProctorMonitorTest, ScriptedSessionGivesExactlyTheExpectedEvents) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 8000);  // frames 0 .. 7666 ms
  Feed(*monitor, nobody_, 4000);   // 8000 .. 11666
  Feed(*monitor, both_, 4000);     // 12000 .. 15666
  Feed(*monitor, other_, 4000);    // 16000 .. 19666
  Feed(*monitor, learner_, 6000);  // 20000 .. 25666
  Take(monitor->Finish(now_));

  // Each state is dated to its first frame and ends at the first frame without it.
  EXPECT_EQ(StateEvents(events_), (std::vector<std::string>{
                                      "FACE_ABSENT BEGIN 8000 0",
                                      "FACE_ABSENT END 12000 4000",
                                      "MULTIPLE_FACES BEGIN 12000 0",
                                      "MULTIPLE_FACES END 16000 4000",
                                  }));
  ASSERT_FALSE(events_.empty());
  EXPECT_EQ(events_.front().kind, EventKind::kSessionStarted);
  EXPECT_EQ(events_.back().kind, EventKind::kSessionEnded);
  for (const Event* e : Of(EventKind::kFaceAbsent)) {
    EXPECT_EQ(e->face_count, e->phase == EventPhase::kBegin ? 0 : 2);
  }
  EXPECT_EQ(Of(EventKind::kFaceAbsent)[0]->detail, "no face in view");
  EXPECT_EQ(Of(EventKind::kMultipleFaces)[0]->face_count, 2);
  EXPECT_EQ(Of(EventKind::kMultipleFaces)[0]->detail, "2 faces in view");
  EXPECT_EQ(Of(EventKind::kMultipleFaces)[1]->detail, "1 face in view") << "not \"1 faces\"";
  EXPECT_FALSE(Of(EventKind::kFaceAbsent)[0]->evidence_jpeg.empty());
  EXPECT_FALSE(Of(EventKind::kMultipleFaces)[0]->evidence_jpeg.empty());
  EXPECT_TRUE(Of(EventKind::kLookingAway).empty());
  EXPECT_TRUE(Of(EventKind::kLivenessPassed).empty());
  EXPECT_TRUE(Of(EventKind::kLivenessFailed).empty());

  // Someone else alone: exactly one mismatch, confirmed on a second frame, right after the
  // several-faces state ended; never while the learner is alone.
  const auto mismatches = Of(EventKind::kIdentityMismatch);
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_GE(mismatches[0]->at_ms, 16000);
  EXPECT_LT(mismatches[0]->at_ms, 20000);
  EXPECT_GT(mismatches[0]->client_distance, 0.6f);
  EXPECT_FALSE(mismatches[0]->evidence_jpeg.empty());

  // The learner: verified at the start, every 5 s, and again once back.
  const auto verified = Of(EventKind::kIdentityVerified);
  ASSERT_GE(verified.size(), 3u);
  EXPECT_EQ(verified.front()->at_ms, 0);
  EXPECT_FALSE(verified.front()->evidence_jpeg.empty());
  bool back = false;
  for (const Event* e : verified) {
    EXPECT_LE(e->client_distance, 0.6f);
    EXPECT_TRUE(e->at_ms < 8000 || e->at_ms >= 20000) << e->at_ms;
    back = back || e->at_ms >= 20000;
  }
  EXPECT_TRUE(back);
  ExpectValidForServer();
}

// Everything an examiner sees of an event, to compare runs.
std::string Describe(const Event& e) {
  return EventKindName(e.kind) + " " + EventPhaseName(e.phase) + " at " + std::to_string(e.at_ms) +
         " faces " + std::to_string(e.face_count) + " for " + std::to_string(e.duration_ms) +
         " distance " + std::to_string(e.client_distance) + " evidence " +
         (e.evidence_jpeg.empty() ? "no" : "yes") + ": " + e.detail;
}

// Tracking changes the cost, not the events: the scripted session gives the very same events
// with it on (the default), off, and on with a schedule too long to matter, also when the script
// starts off the detection schedule's grid (at 700 ms: changes at 8700, 12700, ...). No
// tolerance is needed: each change in the script empties the frame, replaces the face or
// changes the picture around it, which the follower sees on that same frame, and every identity
// check gets a full detection, so its chip and distance are those of the untracked run.
TEST_F(ProctorMonitorTest, ScriptedSessionGivesTheSameEventsWithTrackingOnAndOff) {
  for (int64_t start : {int64_t{0}, int64_t{700}}) {
    std::vector<std::vector<std::string>> runs;
    for (int variant = 0; variant < 3; ++variant) {
      MonitorOptions options = Options();
      options.track_face = variant != 1;
      if (variant == 2) options.redetect_interval_ms = 60000;
      auto monitor = NewMonitor(options);
      ASSERT_NE(monitor, nullptr);
      events_.clear();
      now_ = start;
      Take(monitor->Start(start));
      Feed(*monitor, learner_, 8000);
      Feed(*monitor, nobody_, 4000);
      Feed(*monitor, both_, 4000);
      Feed(*monitor, other_, 4000);
      Feed(*monitor, learner_, 6000);
      Take(monitor->Finish(now_));
      std::vector<std::string> described;
      for (const Event& e : events_) described.push_back(Describe(e));
      runs.push_back(std::move(described));
    }
    SCOPED_TRACE(start);
    EXPECT_GE(runs[0].size(), 10u);
    EXPECT_EQ(runs[0], runs[1]) << "tracking on vs off";
    EXPECT_EQ(runs[2], runs[1]) << "tracking with a 60 s schedule vs off";
  }
}

// Someone sits down beside the learner, who does not move: the tracker alone could not tell
// (it follows the learner's face), the picture around it can. MULTIPLE_FACES is dated to the
// same frame as without tracking, and ends the same.
TEST_F(ProctorMonitorTest, SomeoneJoiningTheTrackedLearnerIsReportedAsWithoutTracking) {
  const biometrics::Image& o = Shared().photos[1];
  const biometrics::Image small = biometrics::ResizeImage(o, 200, 200 * o.height / o.width);
  biometrics::Image joined = learner_;
  for (int y = 0; y < std::min(small.height, 240); ++y) {
    std::copy(&small.rgb[small.stride() * y], &small.rgb[small.stride() * y] + small.stride(),
              &joined.rgb[joined.stride() * y]);
  }
  std::vector<std::vector<std::string>> runs;
  for (bool track : {true, false}) {
    MonitorOptions options = Options();
    options.track_face = track;
    auto monitor = NewMonitor(options);
    ASSERT_NE(monitor, nullptr);
    events_.clear();
    now_ = 0;
    Take(monitor->Start(0));
    // Joined from 6100 ms: the first frame analysed then is at 6433 (the 3/s analysis grid),
    // off the 2 s detection schedule.
    Feed(*monitor, learner_, 6100);
    Feed(*monitor, joined, 4000);
    Feed(*monitor, learner_, 4000);
    Take(monitor->Finish(now_));
    runs.push_back(StateEvents(events_));
  }
  EXPECT_EQ(runs[0], (std::vector<std::string>{"MULTIPLE_FACES BEGIN 6433 0",
                                               "MULTIPLE_FACES END 10100 3667"}));
  EXPECT_EQ(runs[0], runs[1]);
}

TEST_F(ProctorMonitorTest, IdentityEvidenceIsTheAlignedChipOfTheSentDescriptor) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 1000);
  const auto verified = Of(EventKind::kIdentityVerified);
  ASSERT_EQ(verified.size(), 1u);
  const Event& e = *verified[0];
  auto chip = biometrics::DecodeImage(e.evidence_jpeg.data(), e.evidence_jpeg.size(), {});
  ASSERT_TRUE(chip.ok()) << chip.status();
  EXPECT_EQ(chip->width, 150);
  EXPECT_EQ(chip->height, 150);
  // What the server does: re-embed the chip and compare with the descriptor sent.
  auto again = Shared().analyzer->EmbedChip(*chip);
  ASSERT_TRUE(again.ok()) << again.status();
  biometrics::Descriptor sent;
  std::copy(e.descriptor.begin(), e.descriptor.end(), sent.begin());
  EXPECT_LT(biometrics::DescriptorDistance(sent, *again), 0.1);
  EXPECT_NEAR(e.client_distance, 0.0, 0.3);  // the reference is this very photo's chip
}

// The identity rule at the client: the distance is to the NEAREST enrolled template, so a
// learner whose first enrollment photo is a poor one is still verified (and reports the
// distance the server will compute from the same templates).
TEST_F(ProctorMonitorTest, IdentityIsMeasuredAgainstTheNearestOfSeveralTemplates) {
  std::vector<float> far = Shared().reference;
  for (size_t i = 0; i < far.size(); i += 2) far[i] += 0.09f;  // ~0.72 away: someone else
  const double far_distance = protocol::DescriptorDistance(far, Shared().reference);
  ASSERT_GT(far_distance, 0.6);
  MonitorOptions options = Options();
  options.templates = {far, Shared().reference};
  auto monitor = NewMonitor(options);
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 1000);
  const auto verified = Of(EventKind::kIdentityVerified);
  ASSERT_EQ(verified.size(), 1u) << "measured against the first template only, a mismatch";
  const Event& e = *verified[0];
  const auto expected = protocol::IdentityDistance(e.descriptor, options.templates);
  ASSERT_TRUE(expected.has_value());
  EXPECT_FLOAT_EQ(e.client_distance, static_cast<float>(*expected));
  EXPECT_LT(e.client_distance, protocol::DescriptorDistance(e.descriptor, far));
  EXPECT_TRUE(Of(EventKind::kIdentityMismatch).empty());
}

TEST_F(ProctorMonitorTest, DarkFrameIsCouldNotTellNotAbsent) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  biometrics::Image dark = biometrics::Image::Blank(640, 480);
  std::fill(dark.rgb.begin(), dark.rgb.end(), uint8_t{12});
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 2000);
  Feed(*monitor, dark, 2000);
  EXPECT_EQ(monitor->status().face, LiveStatus::Face::kCouldNotTell);
  EXPECT_EQ(monitor->status().detail, "could not tell: frame too dark (brightness 12)");
  Feed(*monitor, learner_, 2000);
  Take(monitor->Finish(now_));
  const auto absent = Of(EventKind::kFaceAbsent);
  ASSERT_EQ(absent.size(), 2u);
  EXPECT_EQ(absent[0]->detail, "could not tell: frame too dark (brightness 12)");
  EXPECT_EQ(absent[1]->phase, EventPhase::kEnd);
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, OneFrameWithoutAFaceIsNoEvent) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 2000);
  Feed(*monitor, nobody_, kFrameMs);
  Feed(*monitor, learner_, 2000);
  Feed(*monitor, both_, kFrameMs);
  Feed(*monitor, learner_, 2000);
  EXPECT_TRUE(StateEvents(events_).empty()) << ::testing::PrintToString(StateEvents(events_));
  EXPECT_TRUE(Of(EventKind::kIdentityMismatch).empty());
  EXPECT_EQ(monitor->status().face, LiveStatus::Face::kOk);
  EXPECT_EQ(monitor->status().face_count, 1);
  EXPECT_TRUE(monitor->status().box.has_value());
}

TEST_F(ProctorMonitorTest, FinishClosesOpenStatesAndEndsTheSession) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 2000);
  Feed(*monitor, both_, 3000);
  Take(monitor->Finish(6000));
  EXPECT_EQ(StateEvents(events_), (std::vector<std::string>{"MULTIPLE_FACES BEGIN 2000 0",
                                                            "MULTIPLE_FACES END 6000 4000"}));
  EXPECT_EQ(events_.back().kind, EventKind::kSessionEnded);
  EXPECT_EQ(events_.back().at_ms, 6000);
  EXPECT_TRUE(monitor->Finish(7000).empty());
  auto after = monitor->OnFrame(Frame{learner_, 7000});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, CameraStallBeginsAtOnceAndEndsWithTheNextFrame) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 1000);
  Take(monitor->OnNoFrame(3000, "camera 0: no frame for 2000 ms"));
  Take(monitor->OnNoFrame(5000, "camera 0: no frame for 4000 ms"));
  now_ = 6000;
  Feed(*monitor, learner_, 1000);
  EXPECT_EQ(StateEvents(events_), (std::vector<std::string>{"CAMERA_UNAVAILABLE BEGIN 3000 0",
                                                            "CAMERA_UNAVAILABLE END 6000 3000"}));
  EXPECT_EQ(Of(EventKind::kCameraUnavailable)[0]->detail, "camera 0: no frame for 2000 ms");
  // Identity is checked again right after the anomaly.
  const auto verified = Of(EventKind::kIdentityVerified);
  ASSERT_EQ(verified.size(), 2u);
  EXPECT_EQ(verified[1]->at_ms, 6000);
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, WithoutAReferenceEveryCheckIsAMismatch) {
  MonitorOptions options = Options();
  options.templates.clear();
  auto monitor = NewMonitor(options);
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 1000);
  const auto mismatches = Of(EventKind::kIdentityMismatch);
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(mismatches[0]->detail, "no enrolled reference");
  EXPECT_EQ(mismatches[0]->client_distance, -1.0f);
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, LivenessFailsWithWhatWasNotSeen) {
  MonitorOptions options = Options();
  options.liveness_window_ms = 4000;
  auto monitor = NewMonitor(options);
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 1000);
  EXPECT_EQ(monitor->status().prompt, "blink, turn your head");
  Feed(*monitor, learner_, 4000);
  const auto failed = Of(EventKind::kLivenessFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]->at_ms, 4000);
  EXPECT_NE(failed[0]->detail.find("no blink seen"), std::string::npos) << failed[0]->detail;
  EXPECT_NE(failed[0]->detail.find("no head turn seen"), std::string::npos) << failed[0]->detail;
  EXPECT_EQ(monitor->status().liveness_passed, std::optional<bool>(false));
  EXPECT_TRUE(monitor->status().prompt.empty());
  EXPECT_TRUE(Of(EventKind::kLivenessPassed).empty());
}

TEST_F(ProctorMonitorTest, LivenessSeesAHeadTurnInTheFramesBetweenFullAnalyses) {
  MonitorOptions options = Options();
  options.liveness_window_ms = 5000;
  auto monitor = NewMonitor(options);
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->status().wanted_fps, 10.0);  // the liveness check wants more frames
  // The learner's photo mirrored reads as a head turn of ~60 degrees (its yaw is ~30).
  const biometrics::Image turned =
      *ComposeFrame({biometrics::MirrorHorizontally(Shared().photos[0])}, 640, 480);
  Take(monitor->Start(0));
  // 10 frames per second. Full analyses fall on a 333 ms grid (0, 400, 700, 1000, 1400, ...):
  // the turned frames at x100 and x200 ms after the first 2 s are never among them, so only
  // the liveness pass around the face can see the turn.
  for (int64_t at = 0; at < 6000; at += 100) {
    const bool turn = at >= 2000 && (at % 1000 == 100 || at % 1000 == 200);
    auto events = monitor->OnFrame(Frame{turn ? turned : learner_, at});
    ASSERT_TRUE(events.ok()) << events.status();
    Take(std::move(*events));
  }
  const auto failed = Of(EventKind::kLivenessFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]->at_ms, 5000);
  EXPECT_NE(failed[0]->detail.find("no blink seen, head turn seen"), std::string::npos)
      << failed[0]->detail;
  EXPECT_EQ(monitor->status().wanted_fps, 3.0);
  EXPECT_TRUE(StateEvents(events_).empty()) << ::testing::PrintToString(StateEvents(events_));
  EXPECT_TRUE(Of(EventKind::kIdentityMismatch).empty());
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, HeadTurnedAwayIsLookingAwayWithTheFaceChip) {
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  // The learner's photo mirrored reads as a head turn of ~60 degrees from the neutral pose
  // learnt on the first frames (its yaw is ~30).
  const biometrics::Image turned =
      *ComposeFrame({biometrics::MirrorHorizontally(Shared().photos[0])}, 640, 480);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 3000);
  Feed(*monitor, turned, 3000);
  EXPECT_EQ(monitor->status().face, LiveStatus::Face::kLookingAway);
  Feed(*monitor, learner_, 3000);
  Take(monitor->Finish(now_));
  EXPECT_EQ(StateEvents(events_),
            (std::vector<std::string>{"LOOKING_AWAY BEGIN 3000 0", "LOOKING_AWAY END 6000 3000"}));
  const Event& begin = *Of(EventKind::kLookingAway)[0];
  EXPECT_EQ(begin.face_count, 1);
  EXPECT_NE(begin.detail.find("deg yaw"), std::string::npos) << begin.detail;
  auto chip = biometrics::DecodeImage(begin.evidence_jpeg.data(), begin.evidence_jpeg.size(), {});
  ASSERT_TRUE(chip.ok()) << chip.status();
  EXPECT_EQ(chip->width, 150);
  // Identity is checked right after, and the turned frames raised no mismatch.
  const auto verified = Of(EventKind::kIdentityVerified);
  ASSERT_GE(verified.size(), 2u);
  EXPECT_EQ(verified.back()->at_ms, 7000);  // when the END was decided
  EXPECT_TRUE(Of(EventKind::kIdentityMismatch).empty());
  ExpectValidForServer();
}

TEST_F(ProctorMonitorTest, HeartbeatsFollowMediaTime) {
  MonitorOptions options = Options();
  options.heartbeat_interval_ms = 2000;
  auto monitor = NewMonitor(options);
  ASSERT_NE(monitor, nullptr);
  Take(monitor->Start(0));
  Feed(*monitor, learner_, 7000);
  const auto beats = Of(EventKind::kHeartbeat);
  ASSERT_EQ(beats.size(), 3u);
  EXPECT_EQ(beats[0]->at_ms, 2000);
  EXPECT_EQ(beats[0]->face_count, 1);
}

TEST_F(ProctorMonitorTest, RefusesBadOptionsAndBadFrames) {
  MonitorOptions options = Options();
  options.templates = {std::vector<float>(5, 0.1f)};
  EXPECT_EQ(ProctorMonitor::Create(Shared().analyzer.get(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.evidence_jpeg_quality = 0;
  EXPECT_FALSE(ValidateMonitorOptions(options).ok());
  EXPECT_EQ(ProctorMonitor::Create(nullptr, Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto monitor = NewMonitor(Options());
  ASSERT_NE(monitor, nullptr);
  biometrics::Image broken = biometrics::Image::Blank(10, 10);
  broken.rgb.resize(7);
  EXPECT_EQ(monitor->OnFrame(Frame{broken, 0}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace proctor::client
