#include "client/analysis/liveness_challenge.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace proctor::client {

std::optional<LivenessDecision> LivenessChallenge::Observe(std::optional<double> eye_aspect_ratio,
                                                           std::optional<double> yaw_off_deg,
                                                           int64_t at_ms) {
  if (!pending()) return std::nullopt;
  if (eye_aspect_ratio && blink_.Update(*eye_aspect_ratio, at_ms)) blinked_ = true;
  if (yaw_off_deg) {
    max_turn_deg_ = std::max(max_turn_deg_, std::fabs(*yaw_off_deg));
    turned_ = turned_ || std::fabs(*yaw_off_deg) >= turn_deg_;
  }
  return Tick(at_ms);
}

std::optional<LivenessDecision> LivenessChallenge::Tick(int64_t at_ms) {
  if (!pending()) return std::nullopt;
  if ((blinked_ && turned_) || at_ms >= deadline_ms_) return Decide(false);
  return std::nullopt;
}

std::optional<LivenessDecision> LivenessChallenge::End(bool neutral_known) {
  if (!pending()) return std::nullopt;
  neutral_known_ = neutral_known;
  return Decide(true);
}

std::optional<LivenessDecision> LivenessChallenge::Decide(bool ended) {
  decided_ = true;
  LivenessDecision d;
  d.passed = blinked_ && turned_;
  d.detail = absl::StrCat(blinked_ ? "blink seen" : "no blink seen", ", ",
                          turned_ ? "head turn seen" : "no head turn seen");
  absl::StrAppendFormat(&d.detail, " (largest turn %.0f deg of %.0f needed)", max_turn_deg_,
                        turn_deg_);
  if (!neutral_known_) d.detail += "; the face was never seen clearly enough to judge";
  if (!d.passed && ended) d.detail += "; the session ended first";
  return d;
}

std::string LivenessChallenge::prompt() const {
  if (!pending()) return "";
  std::string prompt;
  if (!blinked_) prompt = "blink";
  if (!turned_) prompt += prompt.empty() ? "turn your head" : ", turn your head";
  return prompt;
}

}  // namespace proctor::client
