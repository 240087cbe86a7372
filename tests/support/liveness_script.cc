#include "tests/support/liveness_script.h"

#include <memory>

#include "biometrics/face_analyzer.h"
#include "biometrics/image_codec.h"
#include "client/tools/face_actor.h"
#include "client/tools/sample_video.h"
#include "gtest/gtest.h"
#include "protocol/liveness.h"
#include "tests/support/test_data.h"

namespace proctor::testing {

std::vector<Event> PerformChallenge(LearnerSession& session, const std::vector<uint8_t>& photo_jpeg,
                                    int64_t at_ms) {
  biometrics::FaceAnalyzerOptions options;
  options.models_dir = ModelsDir();
  auto analyzer = biometrics::FaceAnalyzer::Create(options);
  if (!analyzer.ok()) {
    ADD_FAILURE() << analyzer.status();
    return {};
  }
  auto photo = biometrics::DecodeImage(photo_jpeg.data(), photo_jpeg.size(), {});
  if (!photo.ok()) {
    ADD_FAILURE() << photo.status();
    return {};
  }
  auto actor = client::FaceActor::Create(**analyzer, *photo);
  if (!actor.ok()) {
    ADD_FAILURE() << actor.status();
    return {};
  }
  const v1::LivenessChallenge& challenge = session.opened().liveness_challenge();
  const int count = challenge.actions_size();
  std::vector<Event> out;
  for (int i = 0; i <= count; ++i) {
    const auto action = i == 0 ? protocol::LivenessAction::kLookStraight
                               : static_cast<protocol::LivenessAction>(challenge.actions(i - 1));
    client::ActorPose pose;
    if (action == protocol::LivenessAction::kTurnLeft) pose.yaw_deg = 28;
    if (action == protocol::LivenessAction::kTurnRight) pose.yaw_deg = -28;
    if (action == protocol::LivenessAction::kLookUp) pose.pitch_deg = 22;
    pose.eyes_closed = action == protocol::LivenessAction::kBlink;
    auto frame = client::ComposeFrame({actor->Render(pose)}, 640, 480);
    auto jpeg = frame.ok() ? biometrics::EncodeJpeg(*frame, 90) : frame.status();
    if (!jpeg.ok()) {
      ADD_FAILURE() << jpeg.status();
      return {};
    }
    const std::string detail =
        protocol::LivenessStepDetail({challenge.nonce(), i, count, action});
    out.push_back(session.Next(EventKind::kLivenessStep, at_ms + 1200 * i, EventPhase::kInstant,
                               [&](Event& e) {
                                 e.detail = detail;
                                 e.face_count = 1;
                                 e.evidence_jpeg = *jpeg;
                               }));
  }
  out.push_back(session.Next(EventKind::kLivenessPassed, at_ms + 1200 * count + 100));
  return out;
}

}  // namespace proctor::testing
