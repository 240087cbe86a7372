// ProctorMonitor: turns analysed frames into proctoring events, debounced. A state (face absent,
// several faces, looking away, camera unavailable) is reported once when it starts (phase BEGIN,
// at_ms = when it was first seen) and once when it ends (phase END, duration_ms), never once per
// frame. Identity is verified against the session's reference every identity_interval_ms and
// right after any anomaly ends; liveness (a blink and a head turn) is checked at the start.
//
// The events it returns are complete except for session_id, seq and prev_hash, which the
// client's EventBuilder fills in (sign and chain). Their at_ms never decreases.
//
// Not thread-safe: one monitor per session, fed from one thread.
#ifndef PROCTOR_CLIENT_ANALYSIS_PROCTOR_MONITOR_H_
#define PROCTOR_CLIENT_ANALYSIS_PROCTOR_MONITOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_analyzer.h"
#include "client/capture/frame_source.h"
#include "common/event.h"
#include "protocol/identity_rule.h"
#include "protocol/liveness.h"

namespace proctor::client {

struct MonitorOptions {
  // Every enrolled template (128 values each) from OpenSession; the identity distance is the
  // nearest (protocol/identity_rule.h). Empty: identity cannot be checked (each identity check
  // then reports a mismatch with detail "no enrolled reference").
  std::vector<protocol::Template> templates;
  // Distance at or below which the face is the learner's, (0, 2]; from OpenSession.
  protocol::MatchThreshold match_threshold = protocol::kDefaultMatchThreshold;
  // How often identity is verified while one face is visible, ms, default 5000; the client
  // uses min(this, the server's identity_interval_ms).
  int64_t identity_interval_ms = 5000;
  // Identity events carry an evidence chip at least this often, ms, default 30000 (anomalies
  // always carry evidence).
  int64_t evidence_interval_ms = 30000;
  // A state must hold this long before it is reported (and normal must hold this long before it
  // ends), ms, default 1000.
  int64_t debounce_ms = 1000;
  // Head turned away from the learner's own neutral pose (measured in the first seconds) by
  // more than these, degrees: LOOKING_AWAY (not judged while the liveness check, which asks
  // for a head turn, runs). Defaults 30 (yaw) and 25 (pitch).
  double max_yaw_deg = 30.0;
  double max_pitch_deg = 25.0;
  // Liveness at session start: a blink and a head turn within this window, ms, default 15000;
  // 0 disables the check.
  int64_t liveness_window_ms = 15000;
  // Head turn that counts for liveness, degrees from neutral, default 20.
  double liveness_turn_deg = 20.0;
  // The server's liveness challenge (OpenSession): when set (and liveness_window_ms > 0) the
  // liveness check is that challenge, step by step (client/analysis/challenge_runner.h), each
  // step sent as a LIVENESS_STEP with its frame for the server to measure; liveness_window_ms is
  // then the time to face the camera for step 0. Unset: the client's own blink and head turn
  // (a server that issues no challenge).
  std::optional<protocol::LivenessChallengeSpec> challenge;
  // HEARTBEAT every this many ms of media time, default 60000.
  int64_t heartbeat_interval_ms = 60000;
  // Evidence JPEG quality 1-100, default 80; frames sent as evidence are scaled to at most this
  // width, px, default 480.
  int evidence_jpeg_quality = 80;
  int evidence_max_width = 480;
  // The neutral pose is the median of the first this many usable single-face frames, 1-100,
  // default 5. LOOKING_AWAY and the liveness head turn are judged only once it is known.
  int neutral_pose_frames = 5;
  // IDENTITY_MISMATCH only after this many identity checks in a row (on consecutive usable
  // single-face frames) found someone else, 1-10, default 2: one bad frame of the enrolled
  // learner is not a mismatch. (With no reference every check is a mismatch at once.)
  int mismatch_confirm_frames = 2;
  // Full analysis (faces, pose, states, identity) at most this many frames per second, (0, 30],
  // default 3 (the capture's default rate). Frames that arrive faster — the client raises the
  // capture rate to LiveStatus::wanted_fps during the liveness check — serve the liveness check
  // only, analysed in a small crop around the face.
  double analysis_fps = 3.0;
  // Frames per second wanted while the liveness check runs (a blink lasts 100-300 ms), (0, 30],
  // default 10.
  double liveness_fps = 10.0;
  // Face detection runs on the frame scaled by this, (0.2, 1], default 1. HOG's cost falls with
  // the square of it, but so does the smallest face found (~80 px at 1, ~160 px at 0.5 in the
  // full frame). Landmarks, pose and the identity chip are mapped back to the full frame.
  double detect_scale = 1.0;
  // Between full detections, follow the single face in view with a correlation tracker and
  // place its landmarks in the tracked box (about a third of a detection's cost), and keep the
  // last detection's answer while nobody or several people sit in an unchanged picture; default
  // on. A full detection still runs as soon as the picture changes outside the followed face
  // (someone joining is seen on their first frame), before each identity check, when the
  // tracker's confidence falls below min_track_confidence, and at least every
  // redetect_interval_ms (client/analysis/face_follower.h). Off: every analysed frame is a full
  // detection.
  bool track_face = true;
  // How often a full detection runs at the least while track_face, ms of media time,
  // (0, 60000], default 2000: the backstop for what the picture comparison cannot see (someone
  // appearing right beside the learner's face); a change anywhere else is seen at once.
  int64_t redetect_interval_ms = 2000;
  // Tracker confidence (peak-to-side-lobe ratio) below which the face counts as lost and is
  // detected again at once, [0, 100], default 12: about 25-30 while it follows a face, under 8
  // once the face left or was replaced.
  double min_track_confidence = 12.0;
};

absl::Status ValidateMonitorOptions(const MonitorOptions& options);

// What a person should see right now (the client's status line and preview window).
struct LiveStatus {
  enum class Face { kUnknown, kOk, kNotVisible, kCouldNotTell, kSeveral, kLookingAway };
  Face face = Face::kUnknown;
  int face_count = -1;                  // in the last analysed frame, -1 before the first
  std::optional<biometrics::Rect> box;  // the main face in the last frame
  int identity_checks_passed = 0;
  int identity_checks_failed = 0;
  std::optional<double> last_distance;  // of the last identity check
  // Non-empty while the liveness check waits for the learner: "blink", "turn your head".
  std::string prompt;
  bool prompt_blink = false;  // the prompt asks for a blink
  bool prompt_turn = false;   // the prompt asks for a head turn
  // The server's challenge: the step asked for now (kUnspecified when none), and which of how
  // many it is (1-based; 0 for the look at the camera that starts it).
  protocol::LivenessAction prompt_action = protocol::LivenessAction::kUnspecified;
  int prompt_step = 0;
  int prompt_steps = 0;
  std::optional<bool> liveness_passed;  // empty until decided
  // Why the face could not be judged in the last frame ("could not tell: frame too dark
  // (brightness 12)"); empty otherwise.
  std::string detail;
  int64_t at_ms = 0;  // media time of the last frame
  // Frames per second the monitor wants now: liveness_fps while the liveness check runs,
  // analysis_fps otherwise. The client passes it to FrameSource::SetSampleFps.
  double wanted_fps = 3.0;
};

class ProctorMonitor {
 public:
  // `analyzer` must outlive the monitor and be used by no other thread meanwhile. The monitor
  // makes a descriptor-free clone of it for the per-frame pass (sharing the landmark model) and
  // uses `analyzer` itself for identity descriptors (or a descriptor clone of it when it was
  // created without them). INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<ProctorMonitor>> Create(biometrics::FaceAnalyzer* analyzer,
                                                                const MonitorOptions& options);
  virtual ~ProctorMonitor() = default;

  // SESSION_STARTED at `at_ms`.
  virtual std::vector<Event> Start(int64_t at_ms) = 0;
  // Analyses one frame; the events it caused (often none). Errors only for a broken frame
  // (empty or inconsistent image).
  virtual absl::StatusOr<std::vector<Event>> OnFrame(const Frame& frame) = 0;
  // The source gave no frame (camera stalled) at `at_ms`: CAMERA_UNAVAILABLE BEGIN once, at
  // once (the source reports a stall only after camera_stall_ms without frames, which is the
  // debounce); the next OnFrame (or Finish) ends it. `why` becomes the event's detail.
  virtual std::vector<Event> OnNoFrame(int64_t at_ms, const std::string& why) = 0;
  // Ends every open state (END events at `at_ms`), decides a liveness check still pending, and
  // adds SESSION_ENDED. Call once; later calls return nothing.
  virtual std::vector<Event> Finish(int64_t at_ms) = 0;

  virtual LiveStatus status() const = 0;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_ANALYSIS_PROCTOR_MONITOR_H_
