// The sample video, end to end through capture and analysis (no server): the scripted
// session written with BuildProctoringVideo, read back with OpenVideo in media time, analysed by
// ProctorMonitor at the client's defaults, gives the expected states in their time windows.
#include "client/tools/sample_video.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "biometrics/image_codec.h"
#include "client/analysis/proctor_monitor.h"
#include "client/capture/frame_source.h"
#include "tests/support/test_data.h"

namespace proctor::client {
namespace {

std::string Describe(const Event& e) {
  return EventKindName(e.kind) + " " + EventPhaseName(e.phase) + " " + std::to_string(e.at_ms);
}

TEST(SampleVideoTest, ScriptedSessionThroughCaptureAndAnalysis) {
  biometrics::FaceAnalyzerOptions analyzer_options;
  analyzer_options.models_dir = testing::ModelsDir();
  auto analyzer = biometrics::FaceAnalyzer::Create(analyzer_options);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  auto group = biometrics::ReadImageFile(testing::DemoPhotosDir() + "/sample1.jpg", {});
  ASSERT_TRUE(group.ok()) << group.status() << " (run scripts/setup.sh)";
  auto people = CutSingleFacePhotos(**analyzer, *group);
  ASSERT_TRUE(people.ok()) << people.status();
  ASSERT_GE(people->size(), 2u);

  // Enrolled from the mirrored photo, as proctor-sample-video's --enroll-photo-out writes it.
  const auto& learner = (*people)[0];
  auto photo = biometrics::DecodeImage(learner.data(), learner.size(), {});
  ASSERT_TRUE(photo.ok());
  auto enrolled = (*analyzer)->Analyze(biometrics::MirrorHorizontally(*photo));
  ASSERT_TRUE(enrolled.ok());
  ASSERT_EQ(enrolled->size(), 1u);

  const std::string path =
      ::testing::TempDir() + "sample_video_test_" + std::to_string(::getpid()) + ".avi";
  ASSERT_TRUE(BuildProctoringVideo(path, DemoScript(learner, (*people)[1])).ok());
  MonitorOptions options;
  const auto& d = *enrolled->front().descriptor;
  options.templates = {std::vector<float>(d.begin(), d.end())};
  // The video through capture and a monitor; `frames` counts what the source gave.
  auto run = [&](bool track_face, int* frames) {
    std::vector<Event> events;
    auto source = OpenVideo(path, FrameSourceOptions{});
    EXPECT_TRUE(source.ok()) << source.status();
    options.track_face = track_face;
    auto monitor = ProctorMonitor::Create(analyzer->get(), options);
    EXPECT_TRUE(monitor.ok()) << monitor.status();
    if (!source.ok() || !monitor.ok()) return events;
    events = (*monitor)->Start(0);
    int64_t last_at = 0;
    *frames = 0;
    while (true) {
      auto frame = (*source)->Next();
      EXPECT_TRUE(frame.ok()) << frame.status();
      if (!frame.ok() || !frame->has_value()) break;
      ++*frames;
      last_at = (*frame)->at_ms;
      auto out = (*monitor)->OnFrame(**frame);
      EXPECT_TRUE(out.ok()) << out.status();
      if (!out.ok()) break;
      events.insert(events.end(), out->begin(), out->end());
      // As the client does: more frames while the liveness check runs.
      EXPECT_TRUE((*source)->SetSampleFps((*monitor)->status().wanted_fps).ok());
    }
    for (Event& e : (*monitor)->Finish(last_at)) events.push_back(std::move(e));
    return events;
  };
  int frames = 0, untracked_frames = 0;
  const std::vector<Event> events = run(/*track_face=*/true, &frames);  // the default
  const std::vector<Event> untracked = run(false, &untracked_frames);
  std::remove(path.c_str());
  ASSERT_FALSE(events.empty());

  // Tracking changes the cost, not the events: the same kinds, phases, times (to the frame: no
  // tolerance, see ProctorMonitorTest.ScriptedSessionGivesTheSameEventsWithTrackingOnAndOff),
  // face counts and distances.
  auto described = [](const std::vector<Event>& v) {
    std::vector<std::string> out;
    for (const Event& e : v) {
      out.push_back(Describe(e) + " faces " + std::to_string(e.face_count) + " distance " +
                    std::to_string(e.client_distance));
    }
    return out;
  };
  EXPECT_EQ(described(events), described(untracked));
  EXPECT_EQ(frames, untracked_frames);

  // 10 per second during the 15 s liveness window, then 3 per second: about 150 + 75.
  EXPECT_NEAR(frames, 225, 3);

  std::vector<std::string> states;
  int mismatches = 0;
  for (const Event& e : events) {
    SCOPED_TRACE(Describe(e));
    if (e.phase != EventPhase::kInstant) states.push_back(Describe(e));
    if (e.kind == EventKind::kIdentityMismatch) {
      ++mismatches;
      EXPECT_GE(e.at_ms, 24000);  // the other person alone: 24-30 s
      EXPECT_LT(e.at_ms, 30000);
    }
    if (e.kind == EventKind::kIdentityVerified) {
      EXPECT_TRUE(e.at_ms < 12000 || e.at_ms >= 30000);
      EXPECT_LT(e.client_distance, 0.6f);
    }
  }
  EXPECT_EQ(states,
            (std::vector<std::string>{"FACE_ABSENT BEGIN 12000", "FACE_ABSENT END 18000",
                                      "MULTIPLE_FACES BEGIN 18000", "MULTIPLE_FACES END 24000"}));
  EXPECT_EQ(mismatches, 1);
  // A photo neither blinks nor turns: liveness fails at the end of its 15 s window.
  int liveness_failed = 0;
  for (const Event& e : events) liveness_failed += e.kind == EventKind::kLivenessFailed;
  EXPECT_EQ(liveness_failed, 1);
  EXPECT_EQ(events.front().kind, EventKind::kSessionStarted);
  EXPECT_EQ(events.back().kind, EventKind::kSessionEnded);
}

TEST(SampleVideoTest, RefusesBadInput) {
  EXPECT_EQ(ComposeFrame({}, 8, 8).status().code(), absl::StatusCode::kInvalidArgument);
  auto empty_room = ComposeFrame({}, 64, 48);
  ASSERT_TRUE(empty_room.ok());
  EXPECT_EQ(empty_room->width, 64);
  const std::vector<uint8_t> not_a_photo = {'h', 'i'};
  EXPECT_EQ(
      BuildProctoringVideo(::testing::TempDir() + "x.avi", {{{not_a_photo}, 1.0, false}}).code(),
      absl::StatusCode::kInvalidArgument);
  SampleVideoOptions options;
  options.fps = 0;
  EXPECT_EQ(BuildProctoringVideo(::testing::TempDir() + "x.avi", {}, options).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace proctor::client
