#include "server/core/policy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "server/core/event_validation.h"

namespace proctor::server {
namespace {

std::string Seconds(const i18n::Translator& t, int64_t ms) {
  return t.Trf("$0 s", t.Number(ms / 1000.0, 1));
}

// What the reasons and flags say is written in one reader's language.
class ScoreBuilder {
 public:
  explicit ScoreBuilder(const i18n::Translator& t) : t_(t) {}
  const i18n::Translator& t() const { return t_; }
  std::string Seconds(int64_t ms) const { return server::Seconds(t_, ms); }

  void Add(double risk, std::string reason) {
    card_.risk_score += risk;
    card_.reasons.push_back(absl::StrCat(reason, ": +", t_.Number(risk, 2)));
  }
  // A line for the examiner that adds no risk.
  void Note(std::string what) { card_.reasons.push_back(std::move(what)); }
  void ForceReview(const std::string& why) {
    card_.forces_review = true;
    card_.reasons.push_back(t_.Trf("$0: forces review", why));
  }
  void Flag(EventKind kind, int64_t from, int64_t to, std::string detail) {
    card_.flags.push_back({kind, from, to, std::move(detail)});
  }
  // The server judged the session's liveness challenge itself (a finding says how).
  bool liveness_judged() const { return liveness_judged_; }
  void set_liveness_judged(bool judged) { liveness_judged_ = judged; }
  Scorecard Finish(const Policy& policy) {
    card_.risk_score = std::min(1.0, card_.risk_score);
    std::stable_sort(card_.flags.begin(), card_.flags.end(),
                     [](const FlagSpan& a, const FlagSpan& b) { return a.from_ms < b.from_ms; });
    const bool review = card_.forces_review || card_.risk_score >= policy.review_risk;
    card_.verdict = review ? Verdict::kPendingReview : Verdict::kAutoAccepted;
    return std::move(card_);
  }

 private:
  const i18n::Translator& t_;
  Scorecard card_;
  bool liveness_judged_ = false;
};

int64_t ToleranceFor(EventKind kind, const Policy& p) {
  switch (kind) {
    case EventKind::kFaceAbsent:
    case EventKind::kCameraUnavailable:
      return p.absence_tolerance_ms;
    case EventKind::kLookingAway:
      return p.looking_away_tolerance_ms;
    case EventKind::kMultipleFaces:
      return p.multiple_faces_tolerance_ms;
    default:
      return 0;
  }
}

// Risk of one state span that outlasted its tolerance by `over_ms`. A camera that gives no frames
// is a condition the system could not measure, not misconduct: no risk of its own (the stretch
// without identity checks it causes still counts).
double StateRisk(EventKind kind, int64_t over_ms) {
  const double minutes = over_ms / 60000.0;
  switch (kind) {
    case EventKind::kMultipleFaces:
      return 0.3;
    case EventKind::kFaceAbsent:
      return std::min(0.4, 0.1 + 0.1 * std::floor(minutes));
    case EventKind::kCameraUnavailable:
      return 0;
    case EventKind::kLookingAway:
      return std::min(0.2, 0.05 + 0.05 * std::floor(minutes));
    default:
      return 0;
  }
}

// Whether a span's BEGIN is the client saying it could not tell (too dark, too bright, blurred)
// rather than that nobody was there. Believed only with the frame as evidence: the server checks
// that frame's quality itself (SessionLedger) and records EVIDENCE_MISMATCH when it is clear.
bool CouldNotTell(const StoredEvent* begin) {
  return begin != nullptr && begin->event.kind == EventKind::kFaceAbsent && begin->has_evidence &&
         absl::StartsWith(begin->event.detail, protocol::kCouldNotTellPrefix);
}

void ScoreSpan(EventKind kind, int64_t from, int64_t to, const Policy& p, ScoreBuilder& b,
               const StoredEvent* begin) {
  const int64_t length = to - from;
  const int64_t tolerance = ToleranceFor(kind, p);
  const i18n::Translator& t = b.t();
  std::string detail = t.Trf("$0 (tolerance $1)", b.Seconds(length), b.Seconds(tolerance));
  if (kind == EventKind::kCameraUnavailable) {
    detail = t.Trf("$0: the camera gave no picture; could not measure, not counted as misconduct",
                   b.Seconds(length));
  }
  if (kind == EventKind::kLookingAway && !p.looking_away_scored) {
    b.Flag(kind, from, to,
           t.Trf("$0: not scored under the learner's accommodation", b.Seconds(length)));
    return;
  }
  if (CouldNotTell(begin)) {
    // Reported as what it is, never as absence: a dark room is not misconduct on its own.
    b.Flag(kind, from, to,
           t.Trf("$0: could not tell ($1); not counted as absence", b.Seconds(length),
                 begin->event.detail.substr(std::strlen(protocol::kCouldNotTellPrefix))));
    return;
  }
  if (length > tolerance && StateRisk(kind, length - tolerance) > 0) {
    b.Add(StateRisk(kind, length - tolerance),
          t.Trf("$0 for $1 from $2, over the $3 tolerance", EventKindName(kind),
                b.Seconds(length), b.Seconds(from), b.Seconds(tolerance)));
    if (kind == EventKind::kMultipleFaces && p.multiple_faces_forces_review) {
      b.ForceReview(t.Trf("$0 at $1", "MULTIPLE_FACES", b.Seconds(from)));
    }
  }
  b.Flag(kind, from, to, std::move(detail));
}

void ScoreStates(const std::vector<StoredEvent>& events, const Policy& p, int64_t ended_at_ms,
                 ScoreBuilder& b) {
  std::map<EventKind, const StoredEvent*> open;  // kind -> its BEGIN
  for (const StoredEvent& s : events) {
    const Event& e = s.event;
    if (!IsStateKind(e.kind)) continue;
    if (e.phase == EventPhase::kBegin) {
      open.emplace(e.kind, &s);  // a repeated BEGIN keeps the first start
    } else if (e.phase == EventPhase::kEnd) {
      auto it = open.find(e.kind);
      const StoredEvent* begin = it != open.end() ? it->second : nullptr;
      const int64_t from = begin != nullptr ? begin->event.at_ms : e.at_ms - e.duration_ms;
      if (it != open.end()) open.erase(it);
      ScoreSpan(e.kind, from, e.at_ms, p, b, begin);
    }
  }
  for (const auto& [kind, begin] : open) {
    const int64_t from = begin->event.at_ms;
    ScoreSpan(kind, from, std::max(from, ended_at_ms), p, b, begin);
  }
}

// The server recomputes every identity distance itself; a client whose claim disagrees (wrong
// decision, or a distance that does not match the descriptor it sent) is not trusted.
void CheckClientClaim(const StoredEvent& s, const Policy& p, ScoreBuilder& b) {
  const Event& e = s.event;
  if (s.server_distance < 0) return;
  const bool server_match = protocol::SamePerson(s.server_distance, p.match_threshold);
  const bool client_match = e.kind == EventKind::kIdentityVerified;
  const i18n::Translator& t = b.t();
  std::string why;
  if (server_match != client_match) {
    why = t.Trf("client reported $0 but the server's distance is $1 (threshold $2)",
                EventKindName(e.kind), t.Number(s.server_distance, 3),
                t.Number(p.match_threshold, 2));
  } else if (e.client_distance >= 0 && !protocol::DistancesAgree(e.client_distance, s.server_distance,
                                                                  p.distance_tolerance)) {
    why = t.Trf("client distance $0 differs from the server's $1 by more than $2",
                t.Number(e.client_distance, 3), t.Number(s.server_distance, 3),
                t.Number(p.distance_tolerance, 2));
  }
  if (why.empty()) return;
  b.Add(0.5, t.Trf("$0 at $1", "EVIDENCE_MISMATCH", b.Seconds(e.at_ms)));
  b.ForceReview(t.Trf("$0 at $1", "EVIDENCE_MISMATCH", b.Seconds(e.at_ms)));
  b.Flag(EventKind::kEvidenceMismatch, e.at_ms, e.at_ms, why);
}

void ScoreIdentity(const std::vector<StoredEvent>& events, const Policy& p, int64_t ended_at_ms,
                   ScoreBuilder& b) {
  int64_t last_verified = 0, last_evidenced = 0;
  bool any_verified = false, any_evidenced = false;
  int gaps = 0, evidence_gaps = 0;
  const i18n::Translator& t = b.t();
  for (const StoredEvent& s : events) {
    const Event& e = s.event;
    // The client's own liveness verdict counts only for a session the server could not judge
    // (no challenge frames): the server's judgement is a finding (ScoreFindings).
    if (e.kind == EventKind::kLivenessFailed && !b.liveness_judged()) {
      b.Add(0.3, t.Trf("$0 at $1", "LIVENESS_FAILED", b.Seconds(e.at_ms)));
      b.Flag(e.kind, e.at_ms, e.at_ms, e.detail);
    }
    if (!IsIdentityKind(e.kind)) continue;
    CheckClientClaim(s, p, b);
    if (ServerSeesMismatch(s, p)) {
      b.Add(0.5, t.Trf("$0 at $1", "IDENTITY_MISMATCH", b.Seconds(e.at_ms)));
      b.ForceReview(t.Trf("$0 at $1", "IDENTITY_MISMATCH", b.Seconds(e.at_ms)));
      b.Flag(EventKind::kIdentityMismatch, e.at_ms, e.at_ms,
             s.server_distance >= 0
                 ? t.Trf("distance $0 > threshold $1", t.Number(s.server_distance, 3),
                         t.Number(p.match_threshold, 2))
                 : t.Tr("reported by the client (no enrolled template)"));
      continue;
    }
    if (e.at_ms - last_verified > 2 * p.identity_interval_ms) ++gaps;
    last_verified = e.at_ms;
    any_verified = true;
    if (s.has_evidence) {
      if (e.at_ms - last_evidenced > p.evidence_interval_ms) ++evidence_gaps;
      last_evidenced = e.at_ms;
      any_evidenced = true;
    }
  }
  if (any_verified && !any_evidenced) {
    b.Add(0.5, t.Tr("no identity check was backed by an evidence chip"));
    b.ForceReview(t.Tr("no identity check was backed by an evidence chip"));
  } else if (any_evidenced) {
    if (ended_at_ms - last_evidenced > p.evidence_interval_ms) ++evidence_gaps;
    if (evidence_gaps > 0 && p.identity_coverage_scored) {
      b.Add(std::min(0.3, 0.1 * evidence_gaps),
            t.TrNf("$0 stretch longer than $1 without an identity check backed by an evidence "
                   "chip",
                   "$0 stretches longer than $1 without an identity check backed by an evidence "
                   "chip",
                   evidence_gaps, evidence_gaps, b.Seconds(p.evidence_interval_ms)));
    }
  }
  if (!any_verified) {
    b.Add(0.6, t.Tr("identity was never verified"));
    b.ForceReview(t.Tr("identity was never verified"));
  } else if (ended_at_ms - last_verified > 2 * p.identity_interval_ms) {
    ++gaps;
  }
  // Identity at the start and the end only (an accommodation): no gaps in between count.
  if (gaps > 0 && p.identity_coverage_scored) {
    b.Add(std::min(0.45, 0.15 * gaps),
          t.TrNf("$0 stretch longer than $1 without an identity check",
                 "$0 stretches longer than $1 without an identity check", gaps, gaps,
                 b.Seconds(2 * p.identity_interval_ms)));
  }
}

void ScoreFindings(const std::vector<StoredEvent>& events, const std::vector<Finding>& findings,
                   const Policy& p, ScoreBuilder& b) {
  bool liveness = false;
  for (const Finding& f : findings) {
    // The server's liveness judgement of the challenge frames: a pass is not a flag; a failure
    // weighs as the client's own failure used to (a misjudged pass is EVIDENCE_MISMATCH).
    if (f.kind == EventKind::kLivenessPassed) {
      liveness = true;
      b.Note(b.t().Trf("liveness challenge passed as the server measured its frames: $0",
                       f.detail));
      continue;
    }
    if (f.kind == EventKind::kLivenessFailed) {
      b.Add(0.3, b.t().Trf("$0 at $1", "LIVENESS_FAILED", b.Seconds(f.at_ms)));
      b.Flag(f.kind, f.at_ms, f.at_ms, f.detail);
      continue;
    }
    b.Add(0.5, b.t().Trf("$0 at $1", EventKindName(f.kind), b.Seconds(f.at_ms)));
    b.ForceReview(b.t().Trf("$0 at $1", EventKindName(f.kind), b.Seconds(f.at_ms)));
    b.Flag(f.kind, f.at_ms, f.at_ms, f.detail);
  }
  (void)events;
  if (p.liveness_required && !liveness) {
    b.Add(0.3, b.t().Tr("no liveness check passed"));
  }
}

}  // namespace

Policy PolicyFor(AssessmentKind kind) {
  Policy p;
  if (kind == AssessmentKind::kFinal) {
    p.match_threshold = protocol::kFinalMatchThreshold;
    p.identity_interval_ms = 30'000;
    p.evidence_interval_ms = 120'000;
    p.absence_tolerance_ms = 5'000;
    p.looking_away_tolerance_ms = 8'000;
    p.multiple_faces_tolerance_ms = 1'000;
    p.review_risk = 0.3;
    p.liveness_required = true;
    p.multiple_faces_forces_review = true;
    p.evidence_recheck_every = 1;
    p.terminate_on_confirmed_mismatch = true;
  }
  return p;
}

std::string DescribeAccommodation(const Accommodation& a, const i18n::Translator& t) {
  std::vector<std::string> parts;
  if (a.extra_absence_ms > 0) {
    parts.push_back(t.Trf("absence tolerance +$0", Seconds(t, a.extra_absence_ms)));
  }
  if (a.looking_away_ignored) parts.push_back(t.Tr("looking away not scored"));
  if (a.identity_ends_only) parts.push_back(t.Tr("identity checked at the start and the end only"));
  if (a.extra_time_ms > 0) {
    parts.push_back(t.Trf("extra time $0 min", t.Number(a.extra_time_ms / 60000.0, 0)));
  }
  return t.Trf("accommodation granted by $0: $1 (reason: $2)", a.granted_by,
               absl::StrJoin(parts, ", "), a.reason);
}

std::string DescribePolicy(AssessmentKind kind, const Policy& p, const i18n::Translator& t) {
  std::string text = t.Trf(
      "$0: match threshold $1, identity every $2, absence tolerance $3, looking-away tolerance "
      "$4, several faces tolerance $5, review at risk >= $6",
      AssessmentKindName(kind), t.Number(p.match_threshold, 2),
      Seconds(t, p.identity_interval_ms), Seconds(t, p.absence_tolerance_ms),
      Seconds(t, p.looking_away_tolerance_ms), Seconds(t, p.multiple_faces_tolerance_ms),
      t.Number(p.review_risk, 2));
  if (p.liveness_required) absl::StrAppend(&text, ", ", t.Tr("liveness required"));
  if (p.accommodation) absl::StrAppend(&text, "; ", DescribeAccommodation(*p.accommodation, t));
  absl::StrAppend(&text, ", ",
                  p.evidence_recheck_every == 1
                      ? t.Tr("re-check every evidence chip")
                      : t.Trf("re-check one evidence chip in $0", p.evidence_recheck_every));
  return text;
}

Policy Accommodate(Policy p, const Accommodation& a) {
  p.absence_tolerance_ms += a.extra_absence_ms;
  p.looking_away_scored = !a.looking_away_ignored;
  p.identity_coverage_scored = !a.identity_ends_only;
  p.accommodation = a;
  return p;
}

bool ServerSeesMismatch(const StoredEvent& s, const Policy& p) {
  if (s.server_distance >= 0) return !protocol::SamePerson(s.server_distance, p.match_threshold);
  return s.event.kind == EventKind::kIdentityMismatch;
}

Scorecard ScoreSession(const std::vector<StoredEvent>& events, const std::vector<Finding>& findings,
                       const Policy& policy, int64_t ended_at_ms, const i18n::Translator& t) {
  ScoreBuilder b(t);
  if (policy.accommodation) {
    b.Note(t.Trf("under an accommodation: $0", DescribeAccommodation(*policy.accommodation, t)));
  }
  ScoreStates(events, policy, ended_at_ms, b);
  for (const Finding& f : findings) {
    if (f.kind == EventKind::kLivenessPassed || f.kind == EventKind::kLivenessFailed) {
      b.set_liveness_judged(true);
    }
  }
  ScoreIdentity(events, policy, ended_at_ms, b);
  ScoreFindings(events, findings, policy, b);
  return b.Finish(policy);
}

}  // namespace proctor::server
