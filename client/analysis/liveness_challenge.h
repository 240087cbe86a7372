// LivenessChallenge: the start-of-session liveness check as its own small state machine — a
// blink (eye aspect ratio closing and opening, biometrics::BlinkDetector) and a head turn of at
// least turn_deg from the learner's neutral pose, both within the window. The monitor feeds it
// what each usable face showed and emits the decision it returns; what the learner is asked to
// do next is prompt(). Not thread-safe (the analysis thread owns it).
#ifndef PROCTOR_CLIENT_ANALYSIS_LIVENESS_CHALLENGE_H_
#define PROCTOR_CLIENT_ANALYSIS_LIVENESS_CHALLENGE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "biometrics/eye_state.h"

namespace proctor::client {

struct LivenessDecision {
  bool passed = false;
  std::string detail;  // what was and was not seen, for the examiner
};

class LivenessChallenge {
 public:
  // `window_ms` 0 disables the check (never pending); `turn_deg` > 0.
  LivenessChallenge(int64_t window_ms, double turn_deg)
      : window_ms_(window_ms), turn_deg_(turn_deg) {}

  // The session (re)starts at `at_ms`: the window runs from here.
  void Start(int64_t at_ms) { deadline_ms_ = at_ms + window_ms_; }
  // Not yet decided (and enabled).
  bool pending() const { return window_ms_ > 0 && !decided_; }

  // One usable face at `at_ms`: its eye aspect ratio and, once the neutral pose is known, its
  // yaw from it. Returns the decision when this settles it (both seen, or the window is over).
  std::optional<LivenessDecision> Observe(std::optional<double> eye_aspect_ratio,
                                          std::optional<double> yaw_off_deg, int64_t at_ms);
  // A frame without a usable face: only the window can run out.
  std::optional<LivenessDecision> Tick(int64_t at_ms);
  // Decides now (the session ends): failed unless both were seen.
  std::optional<LivenessDecision> End(bool neutral_known);

  // "blink", "turn your head", "blink, turn your head"; empty when not pending.
  std::string prompt() const;
  // What prompt() asks for, for a display that words it in the learner's language.
  bool wants_blink() const { return pending() && !blinked_; }
  bool wants_turn() const { return pending() && !turned_; }
  // The learner's neutral pose is known (a decision says so when it never was).
  void set_neutral_known(bool known) { neutral_known_ = known; }

 private:
  std::optional<LivenessDecision> Decide(bool ended);

  const int64_t window_ms_;
  const double turn_deg_;
  int64_t deadline_ms_ = 0;
  biometrics::BlinkDetector blink_;
  bool blinked_ = false;
  bool turned_ = false;
  double max_turn_deg_ = 0;
  bool neutral_known_ = false;
  bool decided_ = false;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_LIVENESS_CHALLENGE_H_
