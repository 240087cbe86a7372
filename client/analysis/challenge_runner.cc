#include "client/analysis/challenge_runner.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace proctor::client {

using protocol::LivenessAction;

ChallengeRunner::ChallengeRunner(protocol::LivenessChallengeSpec spec, int64_t start_window_ms)
    : spec_(std::move(spec)), start_window_ms_(start_window_ms) {}

void ChallengeRunner::Start(int64_t at_ms) {
  started_ = true;
  decided_ = false;
  next_ = 0;
  deadline_ms_ = at_ms + start_window_ms_;
  last_step_ms_ = at_ms;
}

LivenessAction ChallengeRunner::wanted() const {
  if (!pending()) return LivenessAction::kUnspecified;
  return next_ == 0 ? LivenessAction::kLookStraight : spec_.actions[next_ - 1];
}

std::string ChallengeRunner::PromptFor(LivenessAction action) {
  switch (action) {
    case LivenessAction::kLookStraight:
      return "look straight at the camera";
    case LivenessAction::kTurnLeft:
      return "turn your head to your left";
    case LivenessAction::kTurnRight:
      return "turn your head to your right";
    case LivenessAction::kLookUp:
      return "look up";
    case LivenessAction::kBlink:
      return "blink";
    case LivenessAction::kUnspecified:
      break;
  }
  return "";
}

LivenessDecision ChallengeRunner::Fail(std::string why) {
  decided_ = true;
  return LivenessDecision{false, absl::StrCat("challenge ", spec_.nonce_hex.substr(0, 8), ": ",
                                              why)};
}

bool ChallengeRunner::Shows(const ChallengeFrame& f, int64_t at_ms) const {
  if (!pending()) return false;
  const LivenessAction want = wanted();
  if (next_ == 0) {
    return f.yaw_off_deg && f.pitch_off_deg && std::fabs(*f.yaw_off_deg) <= kFacingDeg &&
           std::fabs(*f.pitch_off_deg) <= kFacingDeg &&
           protocol::ShowsAction(want, 0, 0, f.eye_aspect_ratio, f.eye_aspect_ratio, 0,
                                 protocol::kClientMarginEar);
  }
  return at_ms - last_step_ms_ >= protocol::kLivenessMinReactionMs + 50 &&
         protocol::ShowsAction(want, f.yaw_deg - reference_.yaw_deg,
                               f.pitch_deg - reference_.pitch_deg, f.eye_aspect_ratio,
                               reference_.eye_aspect_ratio, protocol::kClientMarginDeg,
                               protocol::kClientMarginEar, protocol::kClientMarginRatio);
}

ChallengeRunner::Outcome ChallengeRunner::Observe(const ChallengeFrame& f, int64_t at_ms) {
  Outcome out;
  if (!pending()) return out;
  const LivenessAction want = wanted();
  const bool shown = Shows(f, at_ms);
  if (!shown) {
    if (next_ > 0) {
      // A clear head movement that was not asked for (nor is the last one still held) ends the
      // challenge: a learner does what the prompt says, footage that runs through every
      // movement does not. Blinks are involuntary and never count against the learner.
      double strength = 0;
      const LivenessAction moved = protocol::DominantMovement(
          f.yaw_deg - reference_.yaw_deg, f.pitch_deg - reference_.pitch_deg, &strength);
      const LivenessAction previous =
          next_ >= 2 ? spec_.actions[next_ - 2] : LivenessAction::kLookStraight;
      if (moved != LivenessAction::kUnspecified && moved != want && moved != previous &&
          strength >= kWrongMovementStrength) {
        out.decision = Fail(absl::StrFormat("step %d/%d: %s seen when %s was asked", next_,
                                            spec_.actions.size(), protocol::LivenessActionName(moved),
                                            protocol::LivenessActionName(want)));
        return out;
      }
    }
    out.decision = Tick(at_ms);
    return out;
  }
  if (next_ == 0) reference_ = f;
  out.step = protocol::LivenessStepClaim{spec_.nonce_hex, next_,
                                         static_cast<int>(spec_.actions.size()), want};
  last_step_ms_ = at_ms;
  deadline_ms_ = at_ms + spec_.step_window_ms - kWindowSafetyMs;
  ++next_;
  if (next_ > static_cast<int>(spec_.actions.size())) {
    decided_ = true;
    out.decision = LivenessDecision{
        true, absl::StrCat("challenge ", spec_.nonce_hex.substr(0, 8), ": all ",
                           spec_.actions.size(), " steps seen (the server measures them)")};
  }
  return out;
}

std::optional<LivenessDecision> ChallengeRunner::Tick(int64_t at_ms) {
  if (!pending() || at_ms <= deadline_ms_) return std::nullopt;
  if (next_ == 0) {
    return Fail(absl::StrFormat(
        "the learner was not seen facing the camera with open eyes within %.0f s",
        start_window_ms_ / 1000.0));
  }
  return Fail(absl::StrFormat("step %d/%d %s not seen within %.1f s", next_, spec_.actions.size(),
                              protocol::LivenessActionName(wanted()),
                              (spec_.step_window_ms - kWindowSafetyMs) / 1000.0));
}

std::optional<LivenessDecision> ChallengeRunner::End() {
  if (!pending()) return std::nullopt;
  return Fail(absl::StrFormat("the session ended at step %d/%d %s", next_, spec_.actions.size(),
                              protocol::LivenessActionName(wanted())));
}

}  // namespace proctor::client
