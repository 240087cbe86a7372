// Proctoring policy per assessment kind, and the scoring of a session against it: which flags it
// has, its risk score, and the verdict that follows. Pure functions; no storage.
#ifndef PROCTOR_SERVER_CORE_POLICY_H_
#define PROCTOR_SERVER_CORE_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/i18n.h"

#include "protocol/event_details.h"
#include "protocol/identity_rule.h"
#include "server/core/domain.h"

namespace proctor::server {

struct Policy {
  // Identity distance at or below which the face is the enrolled learner, 0-2.
  // INTERMEDIATE 0.6 (the model's own threshold), FINAL 0.55 (measured impostor pairs reach
  // 0.586 on the face-api demo photos).
  protocol::MatchThreshold match_threshold = protocol::kDefaultMatchThreshold;
  // The client verifies identity at least this often, milliseconds. A stretch of more than twice
  // this without a server-confirmed verification counts as a coverage gap.
  int64_t identity_interval_ms = 60'000;
  // A descriptor alone can be replayed; a chip can be re-embedded. A stretch longer than this
  // without a server-confirmed verification that carried an evidence chip counts against the
  // session, and a session with none at all goes to review. Milliseconds.
  int64_t evidence_interval_ms = 240'000;
  // How long a state may last before it counts against the session, milliseconds.
  int64_t absence_tolerance_ms = 10'000;
  int64_t looking_away_tolerance_ms = 15'000;
  int64_t multiple_faces_tolerance_ms = 3'000;
  // Risk at or above which a session goes to review, 0-1.
  double review_risk = 0.5;
  // A liveness check must have passed during the session.
  bool liveness_required = false;
  // Several people on camera beyond tolerance forces review regardless of the score.
  bool multiple_faces_forces_review = false;
  // The LMS's attempt is terminated (LTI Assessment Control Service) when the session is
  // REJECTED and the server itself measured an identity mismatch in it: a mismatch confirmed by
  // the examiners (two of them on a FINAL assessment), never by the algorithm alone.
  bool terminate_on_confirmed_mismatch = false;
  // Re-embed every Nth identity evidence chip on the server (1 = all), >= 1.
  int evidence_recheck_every = 3;
  // Largest accepted disagreement between the client's distance and the server's, and between
  // the client's descriptor and the server's re-embedding of the chip. Unit: descriptor distance.
  double distance_tolerance = protocol::kDefaultDistanceTolerance;
  double chip_tolerance = 0.15;
  // The learner's accommodation for this assessment, when one is recorded; Accommodate() has
  // applied it to the fields above and to the two below.
  std::optional<Accommodation> accommodation;
  bool looking_away_scored = true;       // false: looking away is reported, not scored
  bool identity_coverage_scored = true;  // false: no gaps counted between start and end
};

// Defaults by kind; FINAL is stricter on every axis.
Policy PolicyFor(AssessmentKind kind);
// `policy` adjusted by a learner's accommodation: longer absence tolerance, looking away not
// scored, identity only at the start and the end (no coverage gaps counted).
Policy Accommodate(Policy policy, const Accommodation& accommodation);
// "accommodation granted by ADMIN: absence tolerance +60.0 s, ... (reason: ...)".
std::string DescribeAccommodation(const Accommodation& accommodation, const i18n::Translator& t);
// One line for humans: "FINAL: threshold 0.55, identity every 30 s, ...", in `t`'s language.
std::string DescribePolicy(AssessmentKind kind, const Policy& policy,
                           const i18n::Translator& t = i18n::Translator::For(
                               i18n::Language::kEnglish));

struct FlagSpan {
  EventKind kind = EventKind::kUnspecified;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::string detail;
};

struct Scorecard {
  double risk_score = 0;  // 0-1
  bool forces_review = false;
  std::vector<FlagSpan> flags;       // in time order
  std::vector<std::string> reasons;  // one per risk contribution
  Verdict verdict = Verdict::kAutoAccepted;
};

// Scores a finished session. `events` in seq order (server_distance filled), `findings` the
// server's own, `ended_at_ms` the media time of the end (closes states still open). The reasons
// and the flags' details are written in `t`'s language (the reader's; they are not stored).
Scorecard ScoreSession(const std::vector<StoredEvent>& events, const std::vector<Finding>& findings,
                       const Policy& policy, int64_t ended_at_ms,
                       const i18n::Translator& t = i18n::Translator::For(
                           i18n::Language::kEnglish));

// Identity decision the server draws from its own distance, or the client's claim when the
// learner has no template (server_distance < 0).
bool ServerSeesMismatch(const StoredEvent& event, const Policy& policy);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_POLICY_H_
