// ReviewDesk: what the web console reads and does, in domain terms, for a signed-in examiner.
// Review actions go through ProctorCore (which checks roles and writes the audit log); the few
// reads the core has no use case for (learner names, evidence images, the decision trail, the
// chain re-verification, metrics) are here, each behind the same role check.
// Thread-safe (everything it holds is).
#ifndef PROCTOR_SERVER_HTTP_REVIEW_DESK_H_
#define PROCTOR_SERVER_HTTP_REVIEW_DESK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto.h"
#include "server/core/group_committer.h"
#include "server/core/proctor_core.h"
#include "server/core/session_ledger.h"
#include "server/core/storage.h"
#include "server/http/chain_check.h"
#include "server/http/metrics_text.h"
#include "server/lti/lti_provisioning.h"

namespace proctor::server::http {

// Everything must outlive the ReviewDesk.
struct ReviewDeskParts {
  ProctorCore* core = nullptr;
  Storage* storage = nullptr;
  const SealedBox* box = nullptr;
  std::function<LedgerStats()> ledger_stats;
  std::function<GroupCommitStats()> commit_stats;
};

struct QueueRow {
  SessionRecord session;
  std::string learner_name;
  Assessment assessment;
};

struct SessionPage {
  SessionView view;
  Learner learner;  // name and template_count
  Assessment assessment;
  std::optional<ResultView> result;
  // The session's review trail, oldest first: decisions, proposed rejections, appeals.
  std::vector<AuditEntry> decisions;
  std::optional<AuditEntry> pending_rejection;  // a FINAL rejection waiting for a second examiner
  std::optional<AuditEntry> open_appeal;        // an appeal not decided yet
  std::vector<std::string> barred_examiners;    // who may not decide the open appeal
  std::optional<int64_t> evidence_kept_until;   // retention: when the evidence is due, Unix ms
  std::optional<int64_t> evidence_purged_at;    // when retention deleted it, Unix ms
};

struct SessionReport {
  SessionPage page;
  ChainCheck chain;
  SignatureCheck signatures;                          // the stored batch signatures, verified again
  std::map<uint64_t, std::vector<uint8_t>> evidence;  // seq -> JPEG, what is still stored
};

// One session's stored evidence re-verified: what the report shows, for every session at once.
struct SessionIntegrity {
  SessionRecord session;
  ChainCheck chain;
  SignatureCheck signatures;
  bool ok() const { return chain.ok() && signatures.ok(); }
};

// The administrator's view of the LMS connections (/lms): what an LMS administrator pastes into
// the LMS, the registered platforms, and what waits to be sent to them.
struct LmsPageView {
  std::string login_url, launch_url, jwks_url;
  std::vector<LtiPlatform> platforms;
  int pending = 0;                      // messages not yet delivered
  std::vector<LtiOutboxItem> waiting;   // pending ones that failed at least once, oldest first
  std::vector<LtiOutboxItem> given_up;  // refused or out of time, newest first
};
struct ResultRow {
  ResultView view;
  std::string learner_name;
};

// One learner's self-enrollment as the console lists it (/enrollments).
struct SelfEnrollmentRow {
  SelfEnrollment enrollment;     // without the photo
  std::string learner_name;      // the name on record; "" when the learner is unknown
  std::string assessment_title;  // the assessment's id when it is unknown
};
// The self-enrollments page: what waits for an examiner's check, and what was decided.
struct SelfEnrollmentsPageView {
  std::vector<SelfEnrollmentRow> pending;  // oldest first
  // Newest decision first: the last kRecentDecided, unless every one was asked for.
  std::vector<SelfEnrollmentRow> decided;
  int decided_total = 0;  // how many were decided in all
  static constexpr int kRecentDecided = 20;
};

class ReviewDesk {
 public:
  explicit ReviewDesk(ReviewDeskParts parts);

  // The principal behind an examiner (or administrator) token; UNAUTHENTICATED for an unknown
  // token, PERMISSION_DENIED for other roles.
  absl::StatusOr<Principal> SignIn(const std::string& token);
  // Whether the token behind a sign-in (its SecretHash) still stands: a revoked examiner is
  // signed out of the console within ProctorCore::kTokenCacheMs, on every replica.
  bool StillValid(const std::string& token_hash);
  // Sessions waiting for review, highest risk first.
  absl::StatusOr<std::vector<QueueRow>> Queue(const Principal& who);
  absl::StatusOr<SessionPage> Session(const Principal& who, const std::string& session_id);
  // The plain JPEG of one event's evidence (NOT_FOUND when none or purged).
  absl::StatusOr<std::vector<uint8_t>> Evidence(const Principal& who, const std::string& session_id,
                                                uint64_t seq);
  absl::StatusOr<SessionReport> Report(const Principal& who, const std::string& session_id);
  // The report's chain and signature checks for every stored session, oldest first (the
  // evidence is opened to recompute hashes, not kept). Examiners and administrators: after a
  // restore, an audit, or on an appeal.
  absl::StatusOr<std::vector<SessionIntegrity>> CheckIntegrity(const Principal& who);
  // Appends an "evidence.view" audit entry (through ProctorCore) saying `what` was seen.
  absl::Status RecordEvidenceView(const Principal& who, const std::string& session_id,
                                  const std::string& what);
  absl::StatusOr<Verdict> Decide(const Principal& who, const std::string& session_id,
                                 Verdict verdict, const std::string& note);
  absl::StatusOr<std::vector<ResultRow>> Results(const Principal& who);
  // Examiners and administrators: the self-enrollments (every decided one when
  // `all_decided`, else the last SelfEnrollmentsPageView::kRecentDecided).
  absl::StatusOr<SelfEnrollmentsPageView> SelfEnrollments(const Principal& who, bool all_decided);
  // How many self-enrollments wait for a check (the queue's pointer to them).
  absl::StatusOr<int> PendingSelfEnrollments(const Principal& who);
  // The kept photo (JPEG) of a pending self-enrollment; the core audits every look. NOT_FOUND
  // once decided, or when the learner never enrolled themselves.
  absl::StatusOr<std::vector<uint8_t>> SelfEnrollmentPhoto(const Principal& who,
                                                           const std::string& learner_id) {
    return parts_.core->SelfEnrollmentPhoto(who, learner_id);
  }
  // ProctorCore::DecideSelfEnrollment: `confirmed` when the photo shows the learner on record.
  absl::StatusOr<SelfEnrollmentState> DecideSelfEnrollment(const Principal& who,
                                                           const std::string& learner_id,
                                                           bool confirmed,
                                                           const std::string& note) {
    return parts_.core->DecideSelfEnrollment(who, learner_id, confirmed, note);
  }

  // For the operations endpoints (no principal: they carry no personal data).
  absl::StatusOr<MetricsInput> Metrics();
  absl::Status Health();
  // Where the storage writes (cheap, no database round trip).
  StorageWriter Writer() { return parts_.storage->Writer(); }
  // An accepted LTI launch's learner, assessment, one-time pass (valid four hours) and attempt
  // (lti::Provision).
  absl::StatusOr<lti::ProvisionedLaunch> ProvisionLti(const lti::LtiLaunch& launch) {
    return lti::Provision(parts_.core, parts_.storage, parts_.box, launch, 4 * 3600,
                          parts_.core->NowUnixMs());
  }
  // LtiEndAssessment: the attempt's session closed and scored (lti::EndAttempt).
  absl::StatusOr<lti::EndedAttempt> EndLti(const lti::LtiLaunch& launch) {
    return lti::EndAttempt(parts_.core, parts_.storage, launch);
  }
  // Administrators: the registered LMSs and the outbox towards them (PERMISSION_DENIED for
  // others). The tool's URLs are the caller's to add.
  absl::StatusOr<LmsPageView> Lms(const Principal& who);
  // What a learner's attempt page shows: the attempt, its pass, the learner and assessment, and
  // what the server has verified. NOT_FOUND for an unknown attempt.
  struct LtiAttemptPage {
    LtiAttempt attempt;
    std::string pass;
    Learner learner;
    Assessment assessment;
    lti::AttemptStatus status;
    // The learner enrolled themselves and no examiner has confirmed the photo yet.
    bool self_enrollment_pending = false;
  };
  absl::StatusOr<LtiAttemptPage> LtiAttemptView(const std::string& attempt_id);
  int64_t NowUnixMs() const { return parts_.core->NowUnixMs(); }

 private:
  // Chain and signatures of `session` with its `events` (seq order); each opened evidence goes
  // to *evidence when given.
  absl::StatusOr<SessionIntegrity> Verify(const SessionRecord& session,
                                          const std::vector<StoredEvent>& events,
                                          std::map<uint64_t, std::vector<uint8_t>>* evidence);

  std::string LearnerName(const std::string& learner_id);

  ReviewDeskParts parts_;
};

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_REVIEW_DESK_H_
