// The liveness challenge as both ends apply it. At OpenSession the server issues a challenge the
// client cannot predict: a nonce (derived by the server from the session id with a key only the
// server holds) and, from it, an order of actions (head turns left/right/up and a blink). The
// client prompts the learner step by step and sends each step it saw as a LIVENESS_STEP event
// carrying the frame it saw it on (a crop around the face); step 0 is the learner looking
// straight at the camera, the reference the others are measured from. The server measures head
// pose and eye state on those frames itself (JudgeLiveness) and records LIVENESS_PASSED or
// LIVENESS_FAILED; a client that claims a pass the frames do not show is EVIDENCE_MISMATCH.
//
// What it defeats: a still photo (no pose or eye change), a recording of the learner made for
// another challenge (another order, another nonce in every step), steps out of order or too slow.
// What it does not: a live deep-fake or a person who is present but not the learner beyond what
// the identity check on every step frame sees; an attacker replaying a long clip that cycles
// through every action quickly enough could hit each prompt within its window (the windows and
// the five-step length make that a matter of luck, measured in docs/ACCURACY.md).
//
// Pure functions; thread-safe.
#ifndef PROCTOR_PROTOCOL_LIVENESS_H_
#define PROCTOR_PROTOCOL_LIVENESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace proctor::protocol {

// Values equal proctor.v1.LivenessAction; names are the wire names.
enum class LivenessAction : int {
  kUnspecified = 0,
  kLookStraight = 1,  // step 0 only: the reference
  kTurnLeft = 2,      // the learner's left: the face turns towards the image's right (yaw up)
  kTurnRight = 3,
  kLookUp = 4,  // chin up (pitch up)
  kBlink = 5,   // a frame with the eyes closed
};
std::string LivenessActionName(LivenessAction action);  // "TURN_LEFT"
std::optional<LivenessAction> LivenessActionFromName(absl::string_view name);

// Nonce length, bytes (hex on the wire and in event details: 32 hex digits).
inline constexpr size_t kLivenessNonceBytes = 16;
// Actions after the reference step.
inline constexpr int kLivenessSteps = 5;
// Each step must be seen within this much media time after the previous one, ms: time to read
// the prompt and move, not enough for footage that cycles through every movement to come round
// to the one asked (the client also stops at a movement that was not asked for).
inline constexpr int64_t kLivenessStepWindowMs = 6000;
// ...and no sooner than this after it (faster than a person reacts to the next prompt), ms.
inline constexpr int64_t kLivenessMinReactionMs = 150;

// What counts as each action, measured from step 0's frame: the server's thresholds. The client
// measures each step on the JPEG it sends, as the server will, and waits for a little more (the
// kClientMargin*) in case another build of the face library (the Windows client's) reads a
// landmark a little differently. The head pose estimator
// reads a turn at 60-200 % of its size and a nod at about 70 % (a generic 3-D face; see
// biometrics/head_pose.h), so the thresholds are well below what a person asked to turn does
// (30-45 degrees); dlib's landmarks rarely close completely on a blink, so "closed" is relative
// to the learner's own open eyes in step 0.
inline constexpr double kTurnDeg = 15.0;             // |yaw change| the asked way, degrees
inline constexpr double kLookUpDeg = 8.0;            // pitch change upwards, degrees
inline constexpr double kEyesOpenEar = 0.22;         // step 0: eye aspect ratio at least this
inline constexpr double kClosedToOpenRatio = 0.72;   // blink: at most this share of step 0's
inline constexpr double kClientMarginDeg = 1.5;
inline constexpr double kClientMarginRatio = 0.02;   // the client's blink: 0.70 of open
inline constexpr double kClientMarginEar = 0.02;     // the client's step 0: eyes 0.24 or more
// A frame of an action step is the learner's when its identity distance is within the policy's
// threshold plus this: a turned head, or closed eyes, embed farther from the frontal enrollment
// photo (measured: up to +0.1 on the scripted learners); step 0, facing the camera, gets none.
inline constexpr double kStepIdentitySlack = 0.1;

struct LivenessChallengeSpec {
  std::string nonce_hex;                // kLivenessNonceBytes as 32 lowercase hex digits
  std::vector<LivenessAction> actions;  // kLivenessSteps, after the reference step
  int64_t step_window_ms = kLivenessStepWindowMs;
};

// The challenge a nonce stands for: kLivenessSteps actions from {TURN_LEFT, TURN_RIGHT, LOOK_UP,
// BLINK}, every one at least once, never the same twice in a row (144 orders), drawn from
// BLAKE2b of the nonce. INVALID_ARGUMENT unless `nonce_hex` is 32 hex digits.
absl::StatusOr<LivenessChallengeSpec> ChallengeFromNonce(absl::string_view nonce_hex);

// LIVENESS_STEP's detail: "challenge <32 hex> step 2/5 TURN_LEFT" (step 0 is LOOK_STRAIGHT).
struct LivenessStepClaim {
  std::string nonce_hex;
  int index = 0;  // 0 (the reference) .. count
  int count = 0;  // kLivenessSteps
  LivenessAction action = LivenessAction::kUnspecified;
};
std::string LivenessStepDetail(const LivenessStepClaim& step);
// INVALID_ARGUMENT naming what is wrong when `detail` is not LivenessStepDetail's form.
absl::StatusOr<LivenessStepClaim> ParseLivenessStepDetail(absl::string_view detail);

// What the server measured on one step's frame.
struct StepMeasure {
  int index = 0;
  int64_t at_ms = 0;
  std::string claimed_nonce_hex;
  LivenessAction claimed = LivenessAction::kUnspecified;
  int faces = 0;  // faces found in the frame
  double yaw_deg = 0, pitch_deg = 0, eye_aspect_ratio = 0;
  // The face's identity distance to the learner's templates; nullopt when there are none or
  // the frame could not be measured.
  std::optional<double> identity_distance;
  std::string problem;  // non-empty when the frame could not be measured ("not a JPEG")
};

struct LivenessJudgement {
  bool passed = false;
  // Per step what was measured and, on failure, the first reason: for the examiner, in English
  // (the flag's detail, as the other flags' details).
  std::string detail;
};

// The rule: step 0 and every step of `spec` present (the first frame of each index counts), in
// order, each naming spec's nonce and action, each within kLivenessMinReactionMs..step_window_ms
// of the previous; every frame exactly one face, the learner's when `match_threshold` is set
// (identity distance <= it, plus kStepIdentitySlack after step 0); step 0 with open eyes; each action measured from step 0 past its
// threshold above.
LivenessJudgement JudgeLiveness(const LivenessChallengeSpec& spec,
                                const std::vector<StepMeasure>& steps,
                                std::optional<double> match_threshold);

// The head movement a change from the reference shows most — a turn or a chin-up, each measured
// in multiples of its own threshold (kTurnDeg, kLookUpDeg) — when it reaches its threshold;
// kUnspecified otherwise. `*strength` (when given) is that multiple. A turn also reads as some
// pitch change (and a nod as some yaw): the dominant one is the movement.
LivenessAction DominantMovement(double d_yaw, double d_pitch, double* strength = nullptr);

// Whether a step's frame shows the action relative to the reference, with the margins added to
// the thresholds (0 on the server, kClientMargin* on the client). A head movement must also be
// the dominant one (a turn is not a chin-up because the turned head reads a little higher).
bool ShowsAction(LivenessAction action, double d_yaw, double d_pitch, double ear,
                 double reference_ear, double margin_deg = 0, double margin_ear = 0,
                 double margin_ratio = 0);

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_LIVENESS_H_
