#include "protocol/liveness.h"

#include <array>
#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "protocol/identity_rule.h"

namespace proctor::protocol {
namespace {

constexpr std::array<absl::string_view, 6> kActionNames = {
    "LIVENESS_ACTION_UNSPECIFIED", "LOOK_STRAIGHT", "TURN_LEFT", "TURN_RIGHT", "LOOK_UP", "BLINK"};

bool IsHex(absl::string_view s, size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

std::string Signed(double v) { return absl::StrFormat("%+.0f", v); }

}  // namespace

std::string LivenessActionName(LivenessAction action) {
  const int i = static_cast<int>(action);
  if (i < 0 || i >= static_cast<int>(kActionNames.size())) return std::string(kActionNames[0]);
  return std::string(kActionNames[i]);
}

std::optional<LivenessAction> LivenessActionFromName(absl::string_view name) {
  for (size_t i = 1; i < kActionNames.size(); ++i) {
    if (kActionNames[i] == name) return static_cast<LivenessAction>(i);
  }
  return std::nullopt;
}

absl::StatusOr<LivenessChallengeSpec> ChallengeFromNonce(absl::string_view nonce_hex) {
  if (!IsHex(nonce_hex, 2 * kLivenessNonceBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a liveness nonce is ", 2 * kLivenessNonceBytes, " lowercase hex digits, got \"",
        nonce_hex.substr(0, 40), "\""));
  }
  LivenessChallengeSpec spec;
  spec.nonce_hex = std::string(nonce_hex);
  // Rejection sampling over a hash stream: uniform over the admissible orders, and the same
  // order on every end that knows the nonce.
  for (uint32_t counter = 0;; ++counter) {
    const std::string input = absl::StrCat("proctor liveness v1 ", nonce_hex, " ", counter);
    const std::vector<uint8_t> h =
        Blake2b(reinterpret_cast<const uint8_t*>(input.data()), input.size(), 16);
    std::vector<LivenessAction> actions;
    std::array<bool, 4> used{};
    bool ok = true;
    for (int i = 0; i < kLivenessSteps; ++i) {
      const int a = h[i] % 4;
      if (!actions.empty() && static_cast<int>(actions.back()) == a + 2) ok = false;
      used[a] = true;
      actions.push_back(static_cast<LivenessAction>(a + 2));
    }
    for (bool u : used) ok = ok && u;
    if (ok) {
      spec.actions = std::move(actions);
      return spec;
    }
  }
}

std::string LivenessStepDetail(const LivenessStepClaim& s) {
  return absl::StrCat("challenge ", s.nonce_hex, " step ", s.index, "/", s.count, " ",
                      LivenessActionName(s.action));
}

absl::StatusOr<LivenessStepClaim> ParseLivenessStepDetail(absl::string_view detail) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LIVENESS_STEP detail must read \"challenge <32 hex> step <i>/<n> <ACTION>\": ", why));
  };
  const std::vector<absl::string_view> parts = absl::StrSplit(detail, ' ');
  if (parts.size() != 5 || parts[0] != "challenge" || parts[2] != "step") return bad("wrong words");
  LivenessStepClaim s;
  if (!IsHex(parts[1], 2 * kLivenessNonceBytes)) return bad("the nonce is not 32 hex digits");
  s.nonce_hex = std::string(parts[1]);
  const std::vector<absl::string_view> frac = absl::StrSplit(parts[3], '/');
  if (frac.size() != 2 || !absl::SimpleAtoi(frac[0], &s.index) ||
      !absl::SimpleAtoi(frac[1], &s.count) || s.count < 1 || s.count > 16 || s.index < 0 ||
      s.index > s.count) {
    return bad("bad step number");
  }
  const auto action = LivenessActionFromName(parts[4]);
  if (!action) return bad("unknown action");
  s.action = *action;
  if ((s.index == 0) != (s.action == LivenessAction::kLookStraight)) {
    return bad("step 0, and only step 0, is LOOK_STRAIGHT");
  }
  return s;
}

LivenessAction DominantMovement(double d_yaw, double d_pitch, double* strength) {
  const double turn = std::fabs(d_yaw) / kTurnDeg;
  const double up = d_pitch / kLookUpDeg;
  const double best = std::max(turn, up);
  if (strength != nullptr) *strength = best;
  if (best < 1.0) return LivenessAction::kUnspecified;
  if (up > turn) return LivenessAction::kLookUp;
  return d_yaw > 0 ? LivenessAction::kTurnLeft : LivenessAction::kTurnRight;
}

bool ShowsAction(LivenessAction action, double d_yaw, double d_pitch, double ear,
                 double reference_ear, double margin_deg, double margin_ear, double margin_ratio) {
  switch (action) {
    case LivenessAction::kTurnLeft:
      return d_yaw >= kTurnDeg + margin_deg && DominantMovement(d_yaw, d_pitch) == action;
    case LivenessAction::kTurnRight:
      return d_yaw <= -(kTurnDeg + margin_deg) && DominantMovement(d_yaw, d_pitch) == action;
    case LivenessAction::kLookUp:
      return d_pitch >= kLookUpDeg + margin_deg && DominantMovement(d_yaw, d_pitch) == action;
    case LivenessAction::kBlink:
      return ear <= (kClosedToOpenRatio - margin_ratio) * reference_ear;
    case LivenessAction::kLookStraight:
      return ear >= kEyesOpenEar + margin_ear;
    case LivenessAction::kUnspecified:
      break;
  }
  return false;
}

LivenessJudgement JudgeLiveness(const LivenessChallengeSpec& spec,
                                const std::vector<StepMeasure>& steps,
                                std::optional<double> match_threshold) {
  std::map<int, const StepMeasure*> by_index;
  for (const StepMeasure& s : steps) by_index.emplace(s.index, &s);
  const int count = static_cast<int>(spec.actions.size());
  std::vector<std::string> seen;
  auto fail = [&](int index, LivenessAction action, const std::string& why) {
    LivenessJudgement j;
    j.detail = absl::StrCat("failed at step ", index, "/", count, " ", LivenessActionName(action),
                            ": ", why);
    if (!seen.empty()) absl::StrAppend(&j.detail, " (before it: ", absl::StrJoin(seen, "; "), ")");
    return j;
  };
  const StepMeasure* ref = nullptr;
  const StepMeasure* prev = nullptr;
  for (int i = 0; i <= count; ++i) {
    const LivenessAction want = i == 0 ? LivenessAction::kLookStraight : spec.actions[i - 1];
    auto it = by_index.find(i);
    if (it == by_index.end()) return fail(i, want, "never shown");
    const StepMeasure& s = *it->second;
    const std::string at = absl::StrFormat("at %.1f s", s.at_ms / 1000.0);
    if (s.claimed_nonce_hex != spec.nonce_hex) {
      return fail(i, want, absl::StrCat(at, " answers another challenge (nonce ",
                                        s.claimed_nonce_hex.substr(0, 8), "...)"));
    }
    if (s.claimed != want) {
      return fail(i, want, absl::StrCat(at, " the client claimed ", LivenessActionName(s.claimed)));
    }
    if (!s.problem.empty()) return fail(i, want, absl::StrCat(at, " ", s.problem));
    if (s.faces != 1) {
      return fail(i, want, absl::StrCat(at, " the frame shows ", s.faces, " faces, not one"));
    }
    const double slack = i == 0 ? 0.0 : kStepIdentitySlack;
    if (match_threshold && s.identity_distance &&
        !SamePerson(*s.identity_distance,
                    static_cast<MatchThreshold>(*match_threshold + slack))) {
      return fail(i, want,
                  absl::StrFormat("%s the face is not the learner's (distance %.3f > %.2f)", at,
                                  *s.identity_distance, *match_threshold + slack));
    }
    if (prev != nullptr) {
      const int64_t gap = s.at_ms - prev->at_ms;
      if (gap < kLivenessMinReactionMs) {
        return fail(i, want, absl::StrFormat("%s came %d ms after the previous step, sooner than "
                                             "a person reacts (%d ms)",
                                             at, gap, kLivenessMinReactionMs));
      }
      if (gap > spec.step_window_ms) {
        return fail(i, want, absl::StrFormat("%s came %.1f s after the previous step (at most %.0f s)",
                                             at, gap / 1000.0, spec.step_window_ms / 1000.0));
      }
    }
    if (i == 0) {
      if (!ShowsAction(want, 0, 0, s.eye_aspect_ratio, s.eye_aspect_ratio)) {
        return fail(i, want, absl::StrFormat("%s eyes not open (eye aspect ratio %.2f < %.2f)", at,
                                             s.eye_aspect_ratio, kEyesOpenEar));
      }
      ref = &s;
      seen.push_back(absl::StrFormat("0 %s eyes %.2f", at, s.eye_aspect_ratio));
    } else {
      const double d_yaw = s.yaw_deg - ref->yaw_deg, d_pitch = s.pitch_deg - ref->pitch_deg;
      const std::string measured =
          want == LivenessAction::kBlink
              ? absl::StrFormat("eyes %.2f", s.eye_aspect_ratio)
              : absl::StrCat("yaw ", Signed(d_yaw), ", pitch ", Signed(d_pitch));
      if (!ShowsAction(want, d_yaw, d_pitch, s.eye_aspect_ratio, ref->eye_aspect_ratio)) {
        std::string needed;
        switch (want) {
          case LivenessAction::kTurnLeft:
            needed = absl::StrFormat("yaw %+.0f needed", kTurnDeg);
            break;
          case LivenessAction::kTurnRight:
            needed = absl::StrFormat("yaw %+.0f needed", -kTurnDeg);
            break;
          case LivenessAction::kLookUp:
            needed = absl::StrFormat("pitch %+.0f needed", kLookUpDeg);
            break;
          default:
            needed = absl::StrFormat("eyes %.2f or less needed (open %.2f)",
                                     kClosedToOpenRatio * ref->eye_aspect_ratio,
                                     ref->eye_aspect_ratio);
        }
        return fail(i, want, absl::StrCat(at, " ", measured, " (", needed, ")"));
      }
      seen.push_back(absl::StrCat(i, " ", LivenessActionName(want), " ", measured));
    }
    prev = &s;
  }
  LivenessJudgement j;
  j.passed = true;
  j.detail = absl::StrCat("passed challenge ", spec.nonce_hex.substr(0, 8), "...: ",
                          absl::StrJoin(seen, "; "));
  return j;
}

}  // namespace proctor::protocol
