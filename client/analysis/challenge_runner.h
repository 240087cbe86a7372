// ChallengeRunner: the server's liveness challenge (protocol/liveness.h) as the client runs it —
// which step the learner is asked for, whether the frame in front of it shows that step, and
// when the challenge is over. Step 0 is the learner looking straight at the camera with open
// eyes; it becomes the reference the other steps are measured from, on the same kind of crop
// the client sends the server as the step's evidence, with the protocol's thresholds plus the
// client's margin (so that what the client sends passes the server's own measurement).
// Not thread-safe (the analysis thread owns it).
#ifndef PROCTOR_CLIENT_ANALYSIS_CHALLENGE_RUNNER_H_
#define PROCTOR_CLIENT_ANALYSIS_CHALLENGE_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "client/analysis/liveness_challenge.h"
#include "protocol/liveness.h"

namespace proctor::client {

// One face measured for the challenge.
struct ChallengeFrame {
  // On the evidence crop, as the server will measure it.
  double yaw_deg = 0;
  double pitch_deg = 0;
  double eye_aspect_ratio = 0;
  // Head pose in the whole frame relative to the learner's neutral pose; nullopt until the
  // neutral pose is known. Step 0 waits for the learner to face the camera.
  std::optional<double> yaw_off_deg;
  std::optional<double> pitch_off_deg;
};

class ChallengeRunner {
 public:
  // `start_window_ms` > 0: how long after Start the learner has to face the camera for step 0.
  ChallengeRunner(protocol::LivenessChallengeSpec spec, int64_t start_window_ms);

  // Starts (or, after a client restart, starts again) at step 0.
  void Start(int64_t at_ms);
  bool pending() const { return started_ && !decided_; }

  struct Outcome {
    std::optional<protocol::LivenessStepClaim> step;  // the frame shows this step: send it
    std::optional<LivenessDecision> decision;         // the challenge is over
  };
  Outcome Observe(const ChallengeFrame& frame, int64_t at_ms);
  // Whether `frame` would complete the step asked for now (Observe then takes it), without
  // changing anything: the client checks the step again on the JPEG it will send.
  bool Shows(const ChallengeFrame& frame, int64_t at_ms) const;
  // A frame without a usable face: only a window can run out.
  std::optional<LivenessDecision> Tick(int64_t at_ms);
  // The session ends: failed unless every step was seen.
  std::optional<LivenessDecision> End();

  // What the learner is asked for now (kUnspecified when nothing is pending).
  protocol::LivenessAction wanted() const;
  const protocol::LivenessChallengeSpec& spec() const { return spec_; }
  // The step index asked for now: 0 (the look at the camera) .. the number of actions.
  int next_index() const { return next_; }
  // "turn your head to your left" etc. (English; the display words it in the learner's language).
  static std::string PromptFor(protocol::LivenessAction action);

 private:
  // Each step must come this much before the server's window closes (frames are 100 ms apart;
  // an honest step near the edge must not fail on the server).
  static constexpr int64_t kWindowSafetyMs = 500;
  // Step 0: the learner faces the camera within this of their neutral pose, degrees.
  static constexpr double kFacingDeg = 10.0;
  // A movement not asked for ends the challenge from this multiple of its threshold (above 1:
  // a small drift of the head is not a movement).
  static constexpr double kWrongMovementStrength = 1.3;

  LivenessDecision Fail(std::string why);

  const protocol::LivenessChallengeSpec spec_;
  const int64_t start_window_ms_;
  bool started_ = false;
  bool decided_ = false;
  int next_ = 0;  // the step index asked for
  int64_t deadline_ms_ = 0;
  int64_t last_step_ms_ = 0;
  ChallengeFrame reference_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_CHALLENGE_RUNNER_H_
