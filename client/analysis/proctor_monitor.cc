#include "client/analysis/proctor_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "biometrics/eye_state.h"
#include "biometrics/face_aligner.h"
#include "biometrics/face_matcher.h"
#include "biometrics/face_quality.h"
#include "biometrics/head_pose.h"
#include "biometrics/image_codec.h"
#include "client/analysis/debounced_state.h"
#include "client/analysis/face_follower.h"
#include "client/analysis/identity_schedule.h"
#include "client/analysis/challenge_runner.h"
#include "client/analysis/liveness_challenge.h"
#include "common/status_macros.h"
#include "protocol/event_details.h"

namespace proctor::client {

absl::Status ValidateMonitorOptions(const MonitorOptions& o) {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
  if (auto s = protocol::ValidateTemplates(o.templates, "enrolled templates"); !s.ok()) {
    return bad(std::string(s.message()));
  }
  if (auto s = protocol::ValidateMatchThreshold(o.match_threshold, "match_threshold"); !s.ok()) {
    return bad(std::string(s.message()));
  }
  if (o.identity_interval_ms <= 0 || o.evidence_interval_ms < 0 || o.debounce_ms < 0 ||
      o.liveness_window_ms < 0 || o.heartbeat_interval_ms <= 0) {
    return bad(
        "identity_interval_ms and heartbeat_interval_ms must be > 0; evidence_interval_ms, "
        "debounce_ms and liveness_window_ms >= 0");
  }
  if (!(o.max_yaw_deg > 0 && o.max_yaw_deg <= 90) ||
      !(o.max_pitch_deg > 0 && o.max_pitch_deg <= 90) ||
      !(o.liveness_turn_deg > 0 && o.liveness_turn_deg <= 90)) {
    return bad("max_yaw_deg, max_pitch_deg and liveness_turn_deg must be within (0, 90]");
  }
  if (o.evidence_jpeg_quality < 1 || o.evidence_jpeg_quality > 100) {
    return bad(absl::StrCat("evidence_jpeg_quality must be 1-100, got ", o.evidence_jpeg_quality));
  }
  if (o.evidence_max_width < 32 || o.evidence_max_width > 4096) {
    return bad(absl::StrCat("evidence_max_width must be 32-4096, got ", o.evidence_max_width));
  }
  if (o.neutral_pose_frames < 1 || o.neutral_pose_frames > 100) {
    return bad(absl::StrCat("neutral_pose_frames must be 1-100, got ", o.neutral_pose_frames));
  }
  if (o.mismatch_confirm_frames < 1 || o.mismatch_confirm_frames > 10) {
    return bad(
        absl::StrCat("mismatch_confirm_frames must be 1-10, got ", o.mismatch_confirm_frames));
  }
  if (!(o.analysis_fps > 0 && o.analysis_fps <= 30) ||
      !(o.liveness_fps > 0 && o.liveness_fps <= 30)) {
    return bad("analysis_fps and liveness_fps must be within (0, 30]");
  }
  if (!(o.detect_scale > 0.2 && o.detect_scale <= 1.0)) {
    return bad(absl::StrCat("detect_scale must be within (0.2, 1], got ", o.detect_scale));
  }
  if (o.redetect_interval_ms <= 0 || o.redetect_interval_ms > 60000) {
    return bad(absl::StrCat("redetect_interval_ms must be within (0, 60000], got ",
                            o.redetect_interval_ms));
  }
  if (!(o.min_track_confidence >= 0 && o.min_track_confidence <= 100)) {
    return bad(
        absl::StrCat("min_track_confidence must be within [0, 100], got ", o.min_track_confidence));
  }
  return absl::OkStatus();
}

namespace {

using biometrics::FaceAnalysis;
using biometrics::Image;

// What one analysed frame showed.
struct Observation {
  int face_count = 0;
  bool could_not_tell = false;         // no face, and the frame too dark/blurred to say so
  std::string could_not_tell_why;      // "frame too dark (brightness 12)"
  const FaceAnalysis* face = nullptr;  // the single face, when face_count == 1
  std::optional<double> yaw_off;       // from the neutral pose, when known
  std::optional<double> pitch_off;
  bool looking_away = false;
};

std::string FrameProblem(const biometrics::QualityReport& q) {
  if (q.too_dark) return absl::StrFormat("frame too dark (brightness %.0f)", q.brightness);
  if (q.too_bright) return absl::StrFormat("frame too bright (brightness %.0f)", q.brightness);
  return absl::StrFormat("frame too blurred (sharpness %.0f)", q.sharpness);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

FaceFollowerOptions FollowerOptions(const MonitorOptions& o) {
  FaceFollowerOptions f;
  f.track = o.track_face;
  f.redetect_interval_ms = o.redetect_interval_ms;
  f.min_confidence = o.min_track_confidence;
  f.detect_scale = o.detect_scale;
  return f;
}

class MonitorImpl : public ProctorMonitor {
 public:
  MonitorImpl(MonitorOptions options, std::unique_ptr<biometrics::FaceAnalyzer> presence,
              biometrics::FaceAnalyzer* embedder,
              std::unique_ptr<biometrics::FaceAnalyzer> owned_embedder)
      : options_(std::move(options)),
        presence_(std::move(presence)),
        embedder_(embedder),
        owned_embedder_(std::move(owned_embedder)),
        absent_(options_.debounce_ms),
        several_(options_.debounce_ms),
        away_(options_.debounce_ms),
        liveness_(options_.liveness_window_ms, options_.liveness_turn_deg),
        runner_(options_.challenge && options_.liveness_window_ms > 0
                    ? std::make_optional<ChallengeRunner>(*options_.challenge,
                                                          options_.liveness_window_ms)
                    : std::nullopt),
        identity_(options_.identity_interval_ms, options_.evidence_interval_ms,
                  options_.mismatch_confirm_frames),
        follower_(presence_.get(), FollowerOptions(options_)) {
    UpdatePrompt();
  }

  std::vector<Event> Start(int64_t at_ms) override {
    std::vector<Event> out;
    if (started_) return out;
    started_ = true;
    last_heartbeat_ms_ = at_ms;
    liveness_.Start(at_ms);
    if (runner_) runner_->Start(at_ms);
    status_.at_ms = at_ms;
    UpdatePrompt();
    Event e = NewEvent(EventKind::kSessionStarted, at_ms);
    e.detail = runner_ ? absl::StrCat("liveness challenge ", options_.challenge->nonce_hex, ": ",
                                      options_.challenge->actions.size(), " steps")
               : options_.liveness_window_ms > 0 ? "liveness check: blink and turn your head"
                                                 : "liveness check off";
    out.push_back(Emit(std::move(e)));
    return out;
  }

  absl::StatusOr<std::vector<Event>> OnFrame(const Frame& frame) override {
    if (frame.image.empty() || !frame.image.IsConsistent()) {
      return absl::InvalidArgumentError(
          absl::StrCat("frame at ", frame.at_ms, " ms is an empty or ", "inconsistent ",
                       frame.image.width, "x", frame.image.height, " image"));
    }
    std::vector<Event> out;
    if (finished_) return out;
    if (!started_) AppendAll(&out, Start(frame.at_ms));
    const int64_t at = std::max(frame.at_ms, status_.at_ms);
    EndCameraStall(at, &out);
    if (!FullAnalysisDue(at)) {
      // A frame between full analyses (the liveness check asked for more): eyes and head turn
      // only, around the face.
      if (LivenessPending()) RETURN_IF_ERROR(RoiLiveness(frame.image, at, &out));
      status_.at_ms = at;
      UpdatePrompt();
      return out;
    }
    ASSIGN_OR_RETURN(std::vector<FaceAnalysis> faces, Detect(frame.image, at));
    Observation obs = Observe(frame.image, faces);
    UpdateStates(frame.image, obs, at, &out);
    if (obs.face != nullptr) {
      last_box_ = obs.face->detection.box;
      if (runner_) {
        // The challenge measures every frame on the crop it sends, as the server will.
        if (LivenessPending()) RETURN_IF_ERROR(RoiLiveness(frame.image, at, &out));
      } else {
        UpdateLiveness(obs.face, obs.yaw_off, at, &out);
      }
    } else if (runner_) {
      if (auto d = runner_->Tick(at)) EmitLiveness(*d, at, &out);
    } else {
      UpdateLiveness(nullptr, std::nullopt, at, &out);
    }
    RETURN_IF_ERROR(MaybeCheckIdentity(frame.image, obs, at, &out));
    MaybeHeartbeat(obs, at, &out);
    UpdateStatus(obs, at);
    return out;
  }

  std::vector<Event> OnNoFrame(int64_t at_ms, const std::string& why) override {
    std::vector<Event> out;
    if (finished_) return out;
    if (!started_) AppendAll(&out, Start(at_ms));
    // The source reports a stall only after camera_stall_ms without a frame: that is the
    // debounce already, so the state begins at once.
    if (!camera_down_since_) {
      Event e = NewEvent(EventKind::kCameraUnavailable, at_ms);
      e.phase = EventPhase::kBegin;
      e.detail = Truncate(why.empty() ? "no frame from the camera" : why);
      out.push_back(Emit(std::move(e)));
      camera_down_since_ = last_emitted_ms_;
    }
    status_.at_ms = std::max(status_.at_ms, at_ms);
    return out;
  }

  std::vector<Event> Finish(int64_t at_ms) override {
    std::vector<Event> out;
    if (finished_) return out;
    if (!started_) AppendAll(&out, Start(at_ms));
    finished_ = true;
    const int64_t at = std::max(at_ms, status_.at_ms);
    EndCameraStall(at, &out);
    if (absent_.Close())
      out.push_back(EndEvent(EventKind::kFaceAbsent, absent_began_, at, -1, "session ended"));
    if (several_.Close())
      out.push_back(EndEvent(EventKind::kMultipleFaces, several_began_, at, -1, "session ended"));
    if (away_.Close())
      out.push_back(EndEvent(EventKind::kLookingAway, away_began_, at, -1, "session ended"));
    if (runner_) {
      if (auto d = runner_->End()) EmitLiveness(*d, at, &out);
    } else if (auto d = liveness_.End(neutral_.has_value())) {
      EmitLiveness(*d, at, &out);
    }
    Event e = NewEvent(EventKind::kSessionEnded, at);
    e.detail = absl::StrCat("identity checks: ", status_.identity_checks_passed, " passed, ",
                            status_.identity_checks_failed, " failed");
    out.push_back(Emit(std::move(e)));
    return out;
  }

  LiveStatus status() const override { return status_; }

 private:
  // --- detection ---------------------------------------------------------------------------

  // Faces in `image`, in its own coordinates: a full detection, or what the follower saw more
  // cheaply (client/analysis/face_follower.h). A frame that may get an identity check gets a
  // detection, so its chip is cut where the detector put the face, as without tracking: one
  // due while the last frame showed a single face (after nobody or several people in view, a
  // single face can only come from a detection).
  absl::StatusOr<std::vector<FaceAnalysis>> Detect(const Image& image, int64_t at) {
    const bool identity_check = identity_.Due(at) && status_.face_count == 1;
    ASSIGN_OR_RETURN(FoundFaces found, follower_.Find(image, at, identity_check));
    return std::move(found.faces);
  }

  Observation Observe(const Image& image, const std::vector<FaceAnalysis>& faces) {
    Observation obs;
    obs.face_count = static_cast<int>(std::min<size_t>(faces.size(), 64));
    if (faces.empty()) {
      const biometrics::QualityReport q =
          biometrics::AssessFrameQuality(image, presence_->options().quality);
      obs.could_not_tell = q.too_dark || q.too_bright || q.too_blurry;
      if (obs.could_not_tell) obs.could_not_tell_why = FrameProblem(q);
      return obs;
    }
    if (faces.size() != 1) return obs;
    obs.face = &faces.front();
    LearnNeutralPose(*obs.face);
    if (neutral_ && obs.face->pose) {
      obs.yaw_off = obs.face->pose->yaw_deg - neutral_->yaw_deg;
      obs.pitch_off = obs.face->pose->pitch_deg - neutral_->pitch_deg;
      // Not during the liveness check: turning the head is what it asks for.
      obs.looking_away = !LivenessPending() && (std::fabs(*obs.yaw_off) > options_.max_yaw_deg ||
                                                std::fabs(*obs.pitch_off) > options_.max_pitch_deg);
    }
    return obs;
  }

  // The learner's own neutral pose: the median of the first usable single-face frames (the
  // pose solver's per-person bias is large, see head_pose.h).
  void LearnNeutralPose(const FaceAnalysis& face) {
    if (neutral_ || !face.pose || !face.quality.usable()) return;
    neutral_yaws_.push_back(face.pose->yaw_deg);
    neutral_pitches_.push_back(face.pose->pitch_deg);
    if (static_cast<int>(neutral_yaws_.size()) < options_.neutral_pose_frames) return;
    neutral_.emplace();
    neutral_->yaw_deg = Median(neutral_yaws_);
    neutral_->pitch_deg = Median(neutral_pitches_);
  }

  // --- debounced states --------------------------------------------------------------------

  void UpdateStates(const Image& image, const Observation& obs, int64_t at,
                    std::vector<Event>* out) {
    const bool absent = obs.face_count == 0;
    if (absent) {
      // One honest word for the whole stretch: "could not tell" only when no frame of it was
      // good enough to see that nobody is there.
      if (!absent_.active() && !absent_pending_) {
        absent_pending_ = true;
        absent_all_unclear_ = true;
      }
      absent_all_unclear_ = absent_all_unclear_ && obs.could_not_tell;
      if (obs.could_not_tell) last_unclear_why_ = obs.could_not_tell_why;
    } else {
      absent_pending_ = false;
    }
    switch (absent_.Observe(absent, at)) {
      case DebouncedState::Change::kBegan: {
        Event e = BeginEvent(
            EventKind::kFaceAbsent, absent_.since_ms(), 0,
            absent_all_unclear_ ? protocol::kCouldNotTellPrefix + last_unclear_why_
                                : "no face in view");
        e.evidence_jpeg = FrameEvidence(image);
        absent_pending_ = false;
        out->push_back(Emit(std::move(e)));
        absent_began_ = last_emitted_ms_;
        break;
      }
      case DebouncedState::Change::kEnded:
        out->push_back(EndEvent(EventKind::kFaceAbsent, absent_began_, absent_.since_ms(),
                                obs.face_count, "face back in view"));
        AnomalyEnded();
        break;
      case DebouncedState::Change::kNone:
        break;
    }
    switch (several_.Observe(obs.face_count >= 2, at)) {
      case DebouncedState::Change::kBegan: {
        Event e = BeginEvent(EventKind::kMultipleFaces, several_.since_ms(), obs.face_count,
                             absl::StrCat(obs.face_count, " faces in view"));
        e.evidence_jpeg = FrameEvidence(image);
        out->push_back(Emit(std::move(e)));
        several_began_ = last_emitted_ms_;
        break;
      }
      case DebouncedState::Change::kEnded:
        // The stored detail is English for every reader's tools; its plural at least is right.
        out->push_back(EndEvent(EventKind::kMultipleFaces, several_began_, several_.since_ms(),
                                obs.face_count,
                                absl::StrCat(obs.face_count,
                                             obs.face_count == 1 ? " face in view" : " faces in view")));
        AnomalyEnded();
        break;
      case DebouncedState::Change::kNone:
        break;
    }
    switch (away_.Observe(obs.looking_away, at)) {
      case DebouncedState::Change::kBegan: {
        Event e = BeginEvent(EventKind::kLookingAway, away_.since_ms(), 1,
                             absl::StrFormat("head turned %+.0f deg yaw, %+.0f deg pitch from "
                                             "neutral",
                                             obs.yaw_off.value_or(0), obs.pitch_off.value_or(0)));
        if (obs.face != nullptr) e.evidence_jpeg = ChipEvidence(image, *obs.face);
        out->push_back(Emit(std::move(e)));
        away_began_ = last_emitted_ms_;
        break;
      }
      case DebouncedState::Change::kEnded:
        out->push_back(EndEvent(EventKind::kLookingAway, away_began_, away_.since_ms(),
                                obs.face_count, "looking at the screen again"));
        AnomalyEnded();
        break;
      case DebouncedState::Change::kNone:
        break;
    }
  }

  void EndCameraStall(int64_t at, std::vector<Event>* out) {
    if (!camera_down_since_) return;
    out->push_back(
        EndEvent(EventKind::kCameraUnavailable, *camera_down_since_, at, -1, "frames again"));
    camera_down_since_.reset();
    AnomalyEnded();
  }

  // Identity is checked at the next single-face frame, with evidence: whoever sits there now
  // may not be who sat there before.
  void AnomalyEnded() { identity_.AnomalyEnded(); }

  // --- liveness ----------------------------------------------------------------------------

  bool LivenessPending() const { return runner_ ? runner_->pending() : liveness_.pending(); }

  void UpdateLiveness(const FaceAnalysis* face, std::optional<double> yaw_off, int64_t at,
                      std::vector<Event>* out) {
    if (!liveness_.pending()) return;
    liveness_.set_neutral_known(neutral_.has_value());
    const bool usable = face != nullptr && face->quality.usable();
    auto decision =
        usable ? liveness_.Observe(face->eye_aspect_ratio, yaw_off, at) : liveness_.Tick(at);
    if (decision) EmitLiveness(*decision, at, out);
  }

  // Full analyses: the first frame at or after each multiple of 1000 / analysis_fps ms (an
  // absolute grid), whatever rate frames arrive at.
  bool FullAnalysisDue(int64_t at) {
    const double interval = 1000.0 / options_.analysis_fps;
    if (at + 0.5 < full_due_ms_) return false;
    full_due_ms_ = interval * (std::floor((at + 0.5) / interval) + 1.0);
    return true;
  }

  // Liveness on a frame between full analyses: detection only in a crop around the last face,
  // shrunk so the face is about kRoiFacePx wide — a few ms instead of a whole-frame HOG pass.
  // One face must be found there, else the frame is left to the full analyses.
  absl::Status RoiLiveness(const Image& image, int64_t at, std::vector<Event>* out) {
    if (!last_box_) return absl::OkStatus();
    // Above the HOG window (80 px) with some margin; the challenge's crops are its evidence, and
    // the server detects the face in them again, so they get a little more.
    const double kRoiFacePx = runner_ ? 120 : 100;
    const biometrics::Rect& b = *last_box_;
    const biometrics::Rect r = biometrics::ClipToImage(
        {b.x - b.width * 3 / 5, b.y - b.height * 3 / 5, b.width * 11 / 5, b.height * 11 / 5},
        image.width, image.height);
    if (r.width < 32 || r.height < 32) return absl::OkStatus();
    const double scale = std::min(1.0, kRoiFacePx / std::max(1, b.width));
    Image crop = Crop(image, r);
    if (scale < 1.0) {
      crop = biometrics::ResizeImage(crop, std::max(1, static_cast<int>(r.width * scale)),
                                     std::max(1, static_cast<int>(r.height * scale)));
    }
    ASSIGN_OR_RETURN(std::vector<FaceAnalysis> faces, presence_->Analyze(crop));
    if (faces.size() != 1) return absl::OkStatus();
    FaceAnalysis& f = faces.front();
    // What the server will measure on this crop: pose in the crop's own geometry, eyes.
    std::optional<biometrics::HeadPose> crop_pose = f.pose;
    const double crop_ear = f.eye_aspect_ratio;
    const double sx = static_cast<double>(r.width) / crop.width;
    const double sy = static_cast<double>(r.height) / crop.height;
    for (biometrics::PointF& p : f.landmarks) {
      p.x = static_cast<float>(r.x + p.x * sx);
      p.y = static_cast<float>(r.y + p.y * sy);
    }
    f.detection.box = {r.x + static_cast<int>(f.detection.box.x * sx),
                       r.y + static_cast<int>(f.detection.box.y * sy),
                       static_cast<int>(f.detection.box.width * sx),
                       static_cast<int>(f.detection.box.height * sy)};
    // Pose in the whole frame's geometry, as for the neutral pose it is compared with.
    std::optional<double> yaw_off, pitch_off;
    if (auto pose = biometrics::EstimateHeadPose(f.landmarks, image.width, image.height);
        pose.ok() && neutral_) {
      yaw_off = pose->yaw_deg - neutral_->yaw_deg;
      pitch_off = pose->pitch_deg - neutral_->pitch_deg;
    }
    last_box_ = f.detection.box;
    if (!runner_) {
      UpdateLiveness(&f, yaw_off, at, out);
      return absl::OkStatus();
    }
    if (!crop_pose || !f.quality.usable()) {
      if (auto d = runner_->Tick(at)) EmitLiveness(*d, at, out);
      return absl::OkStatus();
    }
    ChallengeFrame measured{crop_pose->yaw_deg, crop_pose->pitch_deg, crop_ear, yaw_off, pitch_off};
    std::vector<uint8_t> jpeg;
    if (runner_->Shows(measured, at)) {
      // The server measures the JPEG it receives, and JPEG moves a landmark by a pixel and a
      // pose by a few degrees: the step is checked again on those very bytes (quality 90), as
      // the server will check it, and sent only if it still shows.
      auto encoded = biometrics::EncodeJpeg(crop, 90);
      absl::StatusOr<std::vector<FaceAnalysis>> again = absl::InternalError("not encoded");
      if (encoded.ok() && encoded->size() <= kMaxEvidenceBytes) {
        auto decoded = biometrics::DecodeImage(encoded->data(), encoded->size(), {});
        if (decoded.ok()) again = presence_->Analyze(*decoded);
      }
      if (!again.ok() || again->size() != 1 || !again->front().pose) {
        if (auto d = runner_->Tick(at)) EmitLiveness(*d, at, out);
        UpdatePrompt();
        return absl::OkStatus();
      }
      measured.yaw_deg = again->front().pose->yaw_deg;
      measured.pitch_deg = again->front().pose->pitch_deg;
      measured.eye_aspect_ratio = again->front().eye_aspect_ratio;
      jpeg = std::move(*encoded);
    }
    ChallengeRunner::Outcome o = runner_->Observe(measured, at);
    if (o.step && !jpeg.empty()) {
      Event e = NewEvent(EventKind::kLivenessStep, at);
      e.detail = protocol::LivenessStepDetail(*o.step);
      e.face_count = 1;
      e.evidence_jpeg = std::move(jpeg);
      out->push_back(Emit(std::move(e)));
    }
    if (o.decision) EmitLiveness(*o.decision, at, out);
    UpdatePrompt();
    return absl::OkStatus();
  }

  static Image Crop(const Image& image, const biometrics::Rect& r) {
    Image out = Image::Blank(r.width, r.height);
    for (int y = 0; y < r.height; ++y) {
      const uint8_t* src = &image.rgb[(static_cast<size_t>(r.y + y) * image.width + r.x) * 3];
      std::copy(src, src + static_cast<size_t>(r.width) * 3, &out.rgb[out.stride() * y]);
    }
    return out;
  }

  void EmitLiveness(const LivenessDecision& d, int64_t at, std::vector<Event>* out) {
    Event e = NewEvent(d.passed ? EventKind::kLivenessPassed : EventKind::kLivenessFailed, at);
    e.detail = Truncate(d.detail);
    out->push_back(Emit(std::move(e)));
    status_.liveness_passed = d.passed;
    UpdatePrompt();
  }

  // --- identity ----------------------------------------------------------------------------

  absl::Status MaybeCheckIdentity(const Image& image, const Observation& obs, int64_t at,
                                  std::vector<Event>* out) {
    // Not while nobody or several people are in view: the check that matters comes right after
    // that ends. While LOOKING_AWAY is open and the head still turned, identity IS checked —
    // otherwise whoever keeps their head turned would never be verified. Not in a state's
    // debounce edges (turning away but not yet reported, or back but END not yet reported): an
    // identity event there would force the BEGIN/END to a later at_ms.
    if (obs.face == nullptr || absent_.active() || several_.active() ||
        away_.active() != obs.looking_away) {
      return absl::OkStatus();
    }
    if (!identity_.Due(at)) return absl::OkStatus();
    const Image chip =
        biometrics::ExtractFaceChip(image, obs.face->detection.box, obs.face->landmarks);
    ASSIGN_OR_RETURN(const biometrics::Descriptor descriptor, embedder_->EmbedChip(chip));
    Event e = NewEvent(EventKind::kIdentityVerified, at);
    e.descriptor.assign(descriptor.begin(), descriptor.end());
    e.face_count = 1;
    bool match = false;
    const bool enrolled = !options_.templates.empty();
    if (!enrolled) {
      e.detail = "no enrolled reference";
    } else {
      const double d = *protocol::IdentityDistance(descriptor, options_.templates);
      status_.last_distance = d;
      // Decided on the very float that is reported: the server decides on it too.
      e.client_distance = static_cast<float>(std::clamp(d, 0.0, 4.0));
      match = protocol::SamePerson(e.client_distance, options_.match_threshold);
      e.detail = absl::StrFormat("distance %.3f, threshold %.2f", d, options_.match_threshold);
      // A turned head gives a less reliable descriptor: say so to the examiner.
      if (obs.looking_away) absl::StrAppend(&e.detail, "; head turned away");
    }
    // A mismatch not yet seen on enough frames in a row: look again at the next usable frame.
    const std::optional<int> run = identity_.Checked(at, match, enrolled);
    if (!run) return absl::OkStatus();
    if (!match) {
      e.kind = EventKind::kIdentityMismatch;
      if (enrolled) absl::StrAppend(&e.detail, "; on ", *run, " frames in a row");
      ++status_.identity_checks_failed;
    } else {
      ++status_.identity_checks_passed;
    }
    if (identity_.EvidenceDue(at, match)) {
      e.evidence_jpeg = EncodeEvidence(chip);
      identity_.EvidenceSent(at, !e.evidence_jpeg.empty());
    }
    out->push_back(Emit(std::move(e)));
    return absl::OkStatus();
  }

  // --- heartbeat and status ----------------------------------------------------------------

  void MaybeHeartbeat(const Observation& obs, int64_t at, std::vector<Event>* out) {
    if (at - last_heartbeat_ms_ < options_.heartbeat_interval_ms) return;
    last_heartbeat_ms_ = at;
    Event e = NewEvent(EventKind::kHeartbeat, at);
    e.face_count = obs.face_count;
    e.detail = absl::StrCat("identity checks: ", status_.identity_checks_passed, " passed, ",
                            status_.identity_checks_failed, " failed");
    out->push_back(Emit(std::move(e)));
  }

  void UpdateStatus(const Observation& obs, int64_t at) {
    status_.at_ms = at;
    status_.face_count = obs.face_count;
    status_.box.reset();
    using Face = LiveStatus::Face;
    if (obs.face_count == 0) {
      status_.face = obs.could_not_tell ? Face::kCouldNotTell : Face::kNotVisible;
    } else if (obs.face_count >= 2) {
      status_.face = Face::kSeveral;
    } else {
      status_.face = obs.looking_away ? Face::kLookingAway : Face::kOk;
      status_.box = obs.face->detection.box;
    }
    status_.detail = obs.could_not_tell ? "could not tell: " + obs.could_not_tell_why : "";
    UpdatePrompt();
  }

  void UpdatePrompt() {
    if (runner_) {
      status_.prompt_action = runner_->wanted();
      status_.prompt = ChallengeRunner::PromptFor(status_.prompt_action);
      status_.prompt_steps = static_cast<int>(runner_->spec().actions.size());
      status_.prompt_step = runner_->pending() ? runner_->next_index() : 0;
    } else {
      status_.prompt = liveness_.prompt();
      status_.prompt_blink = liveness_.wants_blink();
      status_.prompt_turn = liveness_.wants_turn();
    }
    status_.wanted_fps = LivenessPending() ? options_.liveness_fps : options_.analysis_fps;
  }

  // --- events ------------------------------------------------------------------------------

  Event NewEvent(EventKind kind, int64_t at_ms) const {
    Event e;
    e.kind = kind;
    e.at_ms = at_ms;
    return e;
  }

  Event BeginEvent(EventKind kind, int64_t at_ms, int face_count, std::string detail) const {
    Event e = NewEvent(kind, at_ms);
    e.phase = EventPhase::kBegin;
    e.face_count = face_count;
    e.detail = Truncate(std::move(detail));
    return e;
  }

  // END of a state that began (as emitted) at `began_ms`; `at_ms` is clamped like any event.
  Event EndEvent(EventKind kind, int64_t began_ms, int64_t at_ms, int face_count,
                 std::string detail) {
    Event e = NewEvent(kind, std::max(at_ms, last_emitted_ms_));
    e.phase = EventPhase::kEnd;
    e.duration_ms = std::clamp<int64_t>(e.at_ms - began_ms, 0, e.at_ms);
    e.face_count = face_count;
    e.detail = Truncate(std::move(detail));
    return Emit(std::move(e));
  }

  // Every event leaves through here: at_ms never decreases (a BEGIN dated back to the first
  // frame of its run may be older than an event already sent; it is dated to that one instead).
  Event Emit(Event e) {
    e.at_ms = std::max(e.at_ms, last_emitted_ms_);
    last_emitted_ms_ = e.at_ms;
    return e;
  }

  static std::string Truncate(std::string s) {
    if (s.size() <= kMaxDetailBytes) return s;
    size_t n = kMaxDetailBytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
    s.resize(n);
    return s;
  }

  static void AppendAll(std::vector<Event>* out, std::vector<Event> more) {
    for (Event& e : more) out->push_back(std::move(e));
  }

  // --- evidence ----------------------------------------------------------------------------

  std::vector<uint8_t> FrameEvidence(const Image& image) const {
    if (image.width <= options_.evidence_max_width) return EncodeEvidence(image);
    const int w = options_.evidence_max_width;
    const int h = std::max(
        1, static_cast<int>(std::lround(static_cast<double>(image.height) * w / image.width)));
    return EncodeEvidence(biometrics::ResizeImage(image, w, h));
  }

  // The aligned chip the descriptor was computed from: the server re-embeds exactly this.
  std::vector<uint8_t> ChipEvidence(const Image& image, const FaceAnalysis& face) const {
    return EncodeEvidence(biometrics::ExtractFaceChip(image, face.detection.box, face.landmarks));
  }

  // Empty when encoding fails (the event still goes out, without evidence) or cannot get under
  // the limit.
  std::vector<uint8_t> EncodeEvidence(const Image& image) const {
    for (int quality = options_.evidence_jpeg_quality; quality >= 10; quality -= 20) {
      auto jpeg = biometrics::EncodeJpeg(image, quality);
      if (!jpeg.ok()) return {};
      if (jpeg->size() <= kMaxEvidenceBytes) return std::move(*jpeg);
    }
    return {};
  }

  const MonitorOptions options_;
  std::unique_ptr<biometrics::FaceAnalyzer> presence_;  // no descriptors: the per-frame pass
  biometrics::FaceAnalyzer* embedder_;                  // computes identity descriptors
  std::unique_ptr<biometrics::FaceAnalyzer> owned_embedder_;

  bool started_ = false;
  bool finished_ = false;
  int64_t last_emitted_ms_ = 0;
  LiveStatus status_;

  DebouncedState absent_, several_, away_;
  int64_t absent_began_ = 0, several_began_ = 0, away_began_ = 0;  // as emitted
  bool absent_pending_ = false;      // an absent run is in progress, not yet reported
  bool absent_all_unclear_ = false;  // every frame of that run was too dark/blurred to tell
  std::string last_unclear_why_;
  std::optional<int64_t> camera_down_since_;  // as emitted

  std::optional<biometrics::HeadPose> neutral_;
  std::optional<biometrics::Rect> last_box_;  // the single face last seen
  double full_due_ms_ = 0;
  std::vector<double> neutral_yaws_, neutral_pitches_;

  LivenessChallenge liveness_;
  std::optional<ChallengeRunner> runner_;  // the server's challenge, when it issued one

  IdentitySchedule identity_;
  FaceFollower follower_;  // uses presence_

  int64_t last_heartbeat_ms_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProctorMonitor>> ProctorMonitor::Create(
    biometrics::FaceAnalyzer* analyzer, const MonitorOptions& options) {
  if (analyzer == nullptr) return absl::InvalidArgumentError("monitor needs a face analyzer");
  RETURN_IF_ERROR(ValidateMonitorOptions(options));
  // Presence and pose on every frame without the ~14 ms descriptor; descriptors only on the
  // identity checks, from the caller's analyzer when it computes them (sharing its network).
  ASSIGN_OR_RETURN(std::unique_ptr<biometrics::FaceAnalyzer> presence,
                   analyzer->CloneWith(/*compute_descriptors=*/false, /*keep_chips=*/false));
  std::unique_ptr<biometrics::FaceAnalyzer> owned_embedder;
  biometrics::FaceAnalyzer* embedder = analyzer;
  if (!analyzer->options().compute_descriptors) {
    ASSIGN_OR_RETURN(owned_embedder, analyzer->CloneWith(true, false));
    embedder = owned_embedder.get();
  }
  return std::unique_ptr<ProctorMonitor>(
      new MonitorImpl(options, std::move(presence), embedder, std::move(owned_embedder)));
}

}  // namespace proctor::client
