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
  // Measures a render as the client would (the whole frame here; the client crops).
  struct Shot {
    std::vector<uint8_t> jpeg;
    double yaw = 0, pitch = 0, ear = 0;
    bool found = false;
  };
  auto shoot = [&](const client::ActorPose& pose) {
    Shot shot;
    auto frame = client::ComposeFrame({actor->Render(pose)}, 640, 480);
    auto jpeg = frame.ok() ? biometrics::EncodeJpeg(*frame, 90) : frame.status();
    if (!jpeg.ok()) return shot;
    auto decoded = biometrics::DecodeImage(jpeg->data(), jpeg->size(), {});
    auto faces = decoded.ok() ? (*analyzer)->Analyze(*decoded) : decoded.status();
    shot.jpeg = std::move(*jpeg);
    if (!faces.ok() || faces->size() != 1 || !faces->front().pose) return shot;
    shot.found = true;
    shot.yaw = faces->front().pose->yaw_deg;
    shot.pitch = faces->front().pose->pitch_deg;
    shot.ear = faces->front().eye_aspect_ratio;
    return shot;
  };
  const Shot reference = shoot({});
  std::vector<Event> out;
  for (int i = 0; i <= count; ++i) {
    const auto action = i == 0 ? protocol::LivenessAction::kLookStraight
                               : static_cast<protocol::LivenessAction>(challenge.actions(i - 1));
    // As a learner moves and the client takes the first frame that shows the step: the
    // movement grows 5 degrees at a time until the client's rule sees it.
    Shot shot = reference;
    for (double angle = 5; i > 0 && angle <= 35; angle += 5) {
      client::ActorPose pose;
      if (action == protocol::LivenessAction::kTurnLeft) pose.yaw_deg = angle;
      if (action == protocol::LivenessAction::kTurnRight) pose.yaw_deg = -angle;
      if (action == protocol::LivenessAction::kLookUp) pose.pitch_deg = std::min(angle, 30.0);
      pose.eyes_closed = action == protocol::LivenessAction::kBlink;
      Shot candidate = shoot(pose);
      if (candidate.jpeg.empty()) break;
      if (!candidate.found) continue;
      shot = std::move(candidate);
      if (protocol::ShowsAction(action, shot.yaw - reference.yaw, shot.pitch - reference.pitch,
                                shot.ear, reference.ear, protocol::kClientMarginDeg,
                                protocol::kClientMarginEar, protocol::kClientMarginRatio)) {
        break;
      }
    }
    if (shot.jpeg.empty()) {
      ADD_FAILURE() << "the scripted learner's frame could not be made";
      return {};
    }
    const std::string detail =
        protocol::LivenessStepDetail({challenge.nonce(), i, count, action});
    out.push_back(session.Next(EventKind::kLivenessStep, at_ms + 1200 * i, EventPhase::kInstant,
                               [&](Event& e) {
                                 e.detail = detail;
                                 e.face_count = 1;
                                 e.evidence_jpeg = shot.jpeg;
                               }));
  }
  out.push_back(session.Next(EventKind::kLivenessPassed, at_ms + 1200 * count + 100));
  return out;
}

}  // namespace proctor::testing
