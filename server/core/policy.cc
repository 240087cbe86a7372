#include "server/core/policy.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/core/event_validation.h"

namespace proctor::server {
namespace {

std::string Seconds(int64_t ms) { return absl::StrFormat("%.1f s", ms / 1000.0); }

class ScoreBuilder {
 public:
  void Add(double risk, std::string reason) {
    card_.risk_score += risk;
    card_.reasons.push_back(absl::StrFormat("%s: +%.2f", reason, risk));
  }
  void ForceReview(const std::string& why) {
    card_.forces_review = true;
    card_.reasons.push_back(absl::StrCat(why, ": forces review"));
  }
  void Flag(EventKind kind, int64_t from, int64_t to, std::string detail) {
    card_.flags.push_back({kind, from, to, std::move(detail)});
  }
  Scorecard Finish(const Policy& policy) {
    card_.risk_score = std::min(1.0, card_.risk_score);
    std::stable_sort(card_.flags.begin(), card_.flags.end(),
                     [](const FlagSpan& a, const FlagSpan& b) { return a.from_ms < b.from_ms; });
    const bool review = card_.forces_review || card_.risk_score >= policy.review_risk;
    card_.verdict = review ? Verdict::kPendingReview : Verdict::kAutoAccepted;
    return std::move(card_);
  }

 private:
  Scorecard card_;
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

// Risk of one state span that outlasted its tolerance by `over_ms`.
double StateRisk(EventKind kind, int64_t over_ms) {
  const double minutes = over_ms / 60000.0;
  switch (kind) {
    case EventKind::kMultipleFaces:
      return 0.3;
    case EventKind::kFaceAbsent:
      return std::min(0.4, 0.1 + 0.1 * std::floor(minutes));
    case EventKind::kCameraUnavailable:
      return 0.2;
    case EventKind::kLookingAway:
      return std::min(0.2, 0.05 + 0.05 * std::floor(minutes));
    default:
      return 0;
  }
}

void ScoreSpan(EventKind kind, int64_t from, int64_t to, const Policy& p, ScoreBuilder& b) {
  const int64_t length = to - from;
  const int64_t tolerance = ToleranceFor(kind, p);
  std::string detail = absl::StrCat(Seconds(length), " (tolerance ", Seconds(tolerance), ")");
  if (length > tolerance) {
    b.Add(StateRisk(kind, length - tolerance),
          absl::StrCat(EventKindName(kind), " for ", Seconds(length), " from ", Seconds(from),
                       ", over the ", Seconds(tolerance), " tolerance"));
    if (kind == EventKind::kMultipleFaces && p.multiple_faces_forces_review) {
      b.ForceReview(absl::StrCat("MULTIPLE_FACES at ", Seconds(from)));
    }
  }
  b.Flag(kind, from, to, std::move(detail));
}

void ScoreStates(const std::vector<StoredEvent>& events, const Policy& p, int64_t ended_at_ms,
                 ScoreBuilder& b) {
  std::map<EventKind, int64_t> open;  // kind -> BEGIN at_ms
  for (const StoredEvent& s : events) {
    const Event& e = s.event;
    if (!IsStateKind(e.kind)) continue;
    if (e.phase == EventPhase::kBegin) {
      open.emplace(e.kind, e.at_ms);  // a repeated BEGIN keeps the first start
    } else if (e.phase == EventPhase::kEnd) {
      auto it = open.find(e.kind);
      const int64_t from = it != open.end() ? it->second : e.at_ms - e.duration_ms;
      if (it != open.end()) open.erase(it);
      ScoreSpan(e.kind, from, e.at_ms, p, b);
    }
  }
  for (const auto& [kind, from] : open) {
    ScoreSpan(kind, from, std::max(from, ended_at_ms), p, b);
  }
}

// The server recomputes every identity distance itself; a client whose claim disagrees (wrong
// decision, or a distance that does not match the descriptor it sent) is not trusted.
void CheckClientClaim(const StoredEvent& s, const Policy& p, ScoreBuilder& b) {
  const Event& e = s.event;
  if (s.server_distance < 0) return;
  const bool server_match = protocol::SamePerson(s.server_distance, p.match_threshold);
  const bool client_match = e.kind == EventKind::kIdentityVerified;
  std::string why;
  if (server_match != client_match) {
    why = absl::StrFormat("client reported %s but the server's distance is %.3f (threshold %.2f)",
                          EventKindName(e.kind), s.server_distance, p.match_threshold);
  } else if (e.client_distance >= 0 && !protocol::DistancesAgree(e.client_distance, s.server_distance,
                                                                  p.distance_tolerance)) {
    why = absl::StrFormat("client distance %.3f differs from the server's %.3f by more than %.2f",
                          e.client_distance, s.server_distance, p.distance_tolerance);
  }
  if (why.empty()) return;
  b.Add(0.5, absl::StrCat("EVIDENCE_MISMATCH at ", Seconds(e.at_ms)));
  b.ForceReview(absl::StrCat("EVIDENCE_MISMATCH at ", Seconds(e.at_ms)));
  b.Flag(EventKind::kEvidenceMismatch, e.at_ms, e.at_ms, why);
}

void ScoreIdentity(const std::vector<StoredEvent>& events, const Policy& p, int64_t ended_at_ms,
                   ScoreBuilder& b) {
  int64_t last_verified = 0, last_evidenced = 0;
  bool any_verified = false, any_evidenced = false;
  int gaps = 0, evidence_gaps = 0;
  for (const StoredEvent& s : events) {
    const Event& e = s.event;
    if (e.kind == EventKind::kLivenessFailed) {
      b.Add(0.3, absl::StrCat("LIVENESS_FAILED at ", Seconds(e.at_ms)));
      b.Flag(e.kind, e.at_ms, e.at_ms, e.detail);
    }
    if (!IsIdentityKind(e.kind)) continue;
    CheckClientClaim(s, p, b);
    if (ServerSeesMismatch(s, p)) {
      b.Add(0.5, absl::StrCat("IDENTITY_MISMATCH at ", Seconds(e.at_ms)));
      b.ForceReview(absl::StrCat("IDENTITY_MISMATCH at ", Seconds(e.at_ms)));
      b.Flag(EventKind::kIdentityMismatch, e.at_ms, e.at_ms,
             s.server_distance >= 0 ? absl::StrFormat("distance %.3f > threshold %.2f",
                                                      s.server_distance, p.match_threshold)
                                    : std::string("reported by the client (no enrolled template)"));
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
    b.Add(0.5, "no identity check was backed by an evidence chip");
    b.ForceReview("no identity check was backed by an evidence chip");
  } else if (any_evidenced) {
    if (ended_at_ms - last_evidenced > p.evidence_interval_ms) ++evidence_gaps;
    if (evidence_gaps > 0) {
      b.Add(
          std::min(0.3, 0.1 * evidence_gaps),
          absl::StrCat(evidence_gaps, " stretch(es) longer than ", Seconds(p.evidence_interval_ms),
                       " without an identity check backed by an evidence chip"));
    }
  }
  if (!any_verified) {
    b.Add(0.6, "identity was never verified");
    b.ForceReview("identity was never verified");
  } else if (ended_at_ms - last_verified > 2 * p.identity_interval_ms) {
    ++gaps;
  }
  if (gaps > 0) {
    b.Add(std::min(0.45, 0.15 * gaps),
          absl::StrCat(gaps, " stretch(es) longer than ", Seconds(2 * p.identity_interval_ms),
                       " without an identity check"));
  }
}

void ScoreFindings(const std::vector<StoredEvent>& events, const std::vector<Finding>& findings,
                   const Policy& p, ScoreBuilder& b) {
  for (const Finding& f : findings) {
    b.Add(0.5, absl::StrCat(EventKindName(f.kind), " at ", Seconds(f.at_ms)));
    b.ForceReview(absl::StrCat(EventKindName(f.kind), " at ", Seconds(f.at_ms)));
    b.Flag(f.kind, f.at_ms, f.at_ms, f.detail);
  }
  bool liveness = false;
  for (const StoredEvent& s : events) liveness |= s.event.kind == EventKind::kLivenessPassed;
  if (p.liveness_required && !liveness) {
    b.Add(0.3, "no liveness check passed");
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
  }
  return p;
}

std::string DescribePolicy(AssessmentKind kind, const Policy& p) {
  return absl::StrFormat(
      "%s: match threshold %.2f, identity every %s, absence tolerance %s, looking-away "
      "tolerance %s, several faces tolerance %s, review at risk >= %.2f%s, re-check every %d "
      "evidence chip(s)",
      AssessmentKindName(kind), p.match_threshold, Seconds(p.identity_interval_ms),
      Seconds(p.absence_tolerance_ms), Seconds(p.looking_away_tolerance_ms),
      Seconds(p.multiple_faces_tolerance_ms), p.review_risk,
      p.liveness_required ? ", liveness required" : "", p.evidence_recheck_every);
}

bool ServerSeesMismatch(const StoredEvent& s, const Policy& p) {
  if (s.server_distance >= 0) return !protocol::SamePerson(s.server_distance, p.match_threshold);
  return s.event.kind == EventKind::kIdentityMismatch;
}

Scorecard ScoreSession(const std::vector<StoredEvent>& events, const std::vector<Finding>& findings,
                       const Policy& policy, int64_t ended_at_ms) {
  ScoreBuilder b;
  ScoreStates(events, policy, ended_at_ms, b);
  ScoreIdentity(events, policy, ended_at_ms, b);
  ScoreFindings(events, findings, policy, b);
  return b.Finish(policy);
}

}  // namespace proctor::server
