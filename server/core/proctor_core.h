// ProctorCore: the server's use cases behind the gRPC services — authentication and roles,
// assessments, enrollment, exam passes, sessions, review, results, purge and the audit log.
// Speaks domain types only. Thread-safe.
#ifndef PROCTOR_SERVER_CORE_PROCTOR_CORE_H_
#define PROCTOR_SERVER_CORE_PROCTOR_CORE_H_

#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/i18n.h"
#include "server/core/consent_notices.h"
#include "server/core/domain.h"
#include "server/core/evidence_inspector.h"
#include "server/core/policy.h"
#include "server/core/session_ledger.h"
#include "server/core/storage.h"

namespace proctor::server {

struct Principal {
  Role role = Role::kAdministrator;
  std::string label;
  std::string session_id;  // learners only
  // The language the caller reads; what the core writes for people follows it.
  i18n::Language language = i18n::Language::kEnglish;
};

struct OpenedSession {
  SessionRecord session;
  ConsentNotice notice;  // in force for the assessment; the learner's CONSENT_GIVEN names it
  std::string session_token;
  std::vector<protocol::Template> templates;  // every enrolled template, in enrollment order
  Policy policy;
  // The session's liveness challenge (LivenessChallengeFor: the same on every replica).
  protocol::LivenessChallengeSpec liveness;
};

// The basis on which a learner's face is enrolled, for the audit log.
struct EnrollmentConsent {
  std::string ref;           // the signed consent's reference (document, LMS record), 0-200 bytes
  bool by_guardian = false;  // given by a parent or guardian: the learner is a minor
};

struct IssuedPass {
  std::string pass;
  int64_t expires_at_unix_ms = 0;
};

struct SessionView {
  SessionRecord session;
  std::vector<StoredEvent> events;
  std::vector<Finding> findings;
  Scorecard scorecard;  // live score while open; flags and reasons always
  Policy policy;
};

struct ResultView {
  ResultRecord result;
  AssessmentKind kind = AssessmentKind::kIntermediate;
  Verdict verdict = Verdict::kNone;
  ResultStatus status = ResultStatus::kPendingReview;
};

// How long the server keeps biometric data, days (> 0). Evidence: after the session's verdict is
// final (AUTO_ACCEPTED, ACCEPTED or REJECTED), by assessment kind. Templates: after the later of
// the learner's latest session opening and their latest enrollment.
struct RetentionOptions {
  int64_t intermediate_evidence_days = 180;
  int64_t final_evidence_days = 180;
  int64_t template_days = 365;
};

// What a retention run deleted (or, dry, would delete).
struct RetentionReport {
  struct Session {
    std::string session_id;
    std::string learner_id;
    int64_t kept_until_unix_ms = 0;  // when its evidence became due
    int evidence_removed = 0;        // 0 in a dry run
  };
  struct LearnerTemplates {
    std::string learner_id;
    int64_t kept_until_unix_ms = 0;
    int templates_removed = 0;  // 0 in a dry run
  };
  bool dry_run = false;
  std::vector<Session> sessions;
  std::vector<LearnerTemplates> learners;
};

class ProctorCore {
 public:
  ProctorCore(Storage* storage, SessionLedger* ledger, const SealedBox* box,
              EvidenceInspector* inspector, const Clock* clock);

  // UNAUTHENTICATED for a missing or unknown token. A token's principal is cached for at most
  // kTokenCacheMs, so a token revoked on another replica stops working within that time.
  absl::StatusOr<Principal> Authenticate(const std::string& bearer_token);
  // The same by the token's SecretHash (what a console sign-in keeps instead of the token).
  absl::StatusOr<Principal> AuthenticateHash(const std::string& token_hash);
  static constexpr int64_t kTokenCacheMs = 60'000;
  // The server's wall clock, Unix milliseconds (what Ping tells a learner's system check).
  int64_t NowUnixMs() const { return clock_->NowUnixMs(); }
  // PERMISSION_DENIED unless the principal has one of `roles`.
  static absl::Status Require(const Principal& who, std::initializer_list<Role> roles);
  // Creates an administrator token and returns it (first start).
  absl::StatusOr<std::string> BootstrapAdminToken(const std::string& label);

  absl::StatusOr<Policy> CreateAssessment(const Principal& who, Assessment assessment);
  // Administrators only. Stamps granted_by and granted_at; returns the adjusted policy as one
  // line in the caller's language.
  absl::StatusOr<std::string> SetAccommodation(const Principal& who, Accommodation accommodation);
  // Computes one template per photo; nothing is stored unless every photo holds one face.
  // The consent basis goes into the audit entry ("consent: REF (guardian)", or "no consent
  // reference given").
  absl::StatusOr<int> EnrollLearner(const Principal& who, const std::string& learner_id,
                                    const std::string& name,
                                    const std::vector<std::vector<uint8_t>>& photos,
                                    const EnrollmentConsent& consent = {});
  absl::StatusOr<IssuedPass> IssuePass(const Principal& who, const std::string& learner_id,
                                       const std::string& assessment_id, int64_t valid_seconds);
  absl::StatusOr<std::string> IssueToken(const Principal& who, Role role, const std::string& label);

  // Self-enrollment (a learner the LMS created, whom nobody photographed). The pass is the
  // credential (UNAUTHENTICATED as OpenSession) and is not spent; `consented_notice_sha256` must
  // name the notice in force (FAILED_PRECONDITION otherwise, as OpenSession). 1-5 photos, each
  // holding one face (INVALID_ARGUMENT naming the photo; nothing stored). FAILED_PRECONDITION
  // when the learner has a template (or an examiner rejected their self-enrollment). The first
  // photo is kept sealed for the examiner's check; audited "learner.self_enroll". Returns how
  // many templates the learner has now.
  absl::StatusOr<int> SelfEnroll(const std::string& pass,
                                 const std::vector<std::vector<uint8_t>>& photos,
                                 const std::string& consented_notice_sha256);
  // Whether the pass's learner has no template (the client then asks for photos). UNAUTHENTICATED
  // as OpenSession.
  absl::StatusOr<bool> SelfEnrollmentNeeded(const std::string& pass);
  static constexpr size_t kMaxSelfEnrollmentPhotos = 5;
  // SelfEnroll calls embedding photos at once on one replica (RESOURCE_EXHAUSTED beyond; one
  // per learner).
  static constexpr size_t kMaxSelfEnrollmentsInFlight = 2;
  // Examiners and administrators; oldest first, with the learner's name on record.
  struct SelfEnrollmentView {
    SelfEnrollment enrollment;  // without the photo
    std::string learner_name;
  };
  absl::StatusOr<std::vector<SelfEnrollmentView>> ListSelfEnrollments(const Principal& who,
                                                                      bool pending_only);
  // The kept photo (JPEG) of a pending self-enrollment; audited "enrollment.photo.view".
  // NOT_FOUND when no photo is kept.
  absl::StatusOr<std::vector<uint8_t>> SelfEnrollmentPhoto(const Principal& who,
                                                           const std::string& learner_id);
  // Confirms or rejects a pending self-enrollment (note 1-2000 bytes); audited
  // "learner.self_enroll.confirm" / "learner.self_enroll.reject". FAILED_PRECONDITION when
  // decided already, NOT_FOUND when none.
  absl::StatusOr<SelfEnrollmentState> DecideSelfEnrollment(const Principal& who,
                                                           const std::string& learner_id,
                                                           bool confirmed, const std::string& note);
  // Administrators: deletes every examiner or LMS-connector token labelled `label` (someone who
  // left); audited as "token.revoke". NOT_FOUND when there is none; INVALID_ARGUMENT for other
  // roles (administrators are not revoked this way).
  absl::StatusOr<int> RevokeTokens(const Principal& who, const std::string& label, Role role);
  // `consent_withdrawn`: the purge is the learner's withdrawal of consent, audited as
  // "consent.withdrawn" as well, and the learner's open sessions are closed (scored as they
  // stand) so that nothing more is captured.
  absl::StatusOr<PurgeCounts> PurgeLearner(const Principal& who, const std::string& learner_id,
                                           bool consent_withdrawn = false);
  // Administrators: a new version of the assessment's consent notice, audited.
  absl::StatusOr<ConsentNotice> SetConsentNotice(const Principal& who,
                                                 const std::string& assessment_id,
                                                 const std::string& text);
  // Administrators and examiners: one version of the notice (0: the one in force).
  absl::StatusOr<ConsentNotice> GetConsentNotice(const Principal& who,
                                                 const std::string& assessment_id, int32_t version);
  // The notice in force for the pass's assessment; the pass is not spent. UNAUTHENTICATED as
  // OpenSession.
  absl::StatusOr<ConsentNotice> NoticeForPass(const std::string& pass);
  // Administrators: LTI 1.3 platforms (ValidateLtiPlatform; stamps created_by and
  // created_at), audited as "lti.platform.add" / "lti.platform.remove".
  absl::Status AddLtiPlatform(const Principal& who, LtiPlatform platform);
  absl::StatusOr<std::vector<LtiPlatform>> ListLtiPlatforms(const Principal& who);
  absl::Status RemoveLtiPlatform(const Principal& who, const std::string& issuer,
                                 const std::string& client_id);
  // Administrators: a consistent copy of the database into the new file `path` (Storage::
  // BackupTo), audited as "database.backup". The copy holds biometric data sealed with the
  // server's storage key, which it does not contain.
  absl::Status BackupDatabase(const Principal& who, const std::string& path);

  // The pass is the credential: UNAUTHENTICATED when unknown, used or expired.
  // `consented_notice_sha256` must be the notice in force: FAILED_PRECONDITION, the pass not
  // spent, when it is empty (a client that predates consent) or the notice changed since.
  absl::StatusOr<OpenedSession> OpenSession(const std::string& pass,
                                            const std::vector<uint8_t>& client_public_key,
                                            const std::string& consented_notice_sha256 = "");
  absl::StatusOr<Scorecard> CloseSession(const Principal& who, int64_t ended_at_ms);
  // The LMS ended the assessment (LTI LtiEndAssessment): an administrator, or the LTI tool acting
  // as one for the platform, closes the session as if the client had (scored at its last event's
  // time), audited as "session.end". Closing a closed session returns its outcome again.
  absl::StatusOr<Scorecard> EndSession(const Principal& who, const std::string& session_id);
  // The learner's own session as stored (last_seq, head_hash, state, verdict): where a
  // reconnecting client resumes.
  absl::StatusOr<SessionRecord> SessionHead(const Principal& who);

  absl::StatusOr<std::vector<SessionRecord>> ListSessions(const Principal& who, bool flagged_only);
  absl::StatusOr<SessionView> GetSession(const Principal& who, const std::string& session_id);
  // An examiner's verdict on a closed session. Due process:
  // - REJECTED on a FINAL assessment takes two examiners: the first is recorded as a proposal
  //   ("review.reject_proposed"; the session stays PENDING_REVIEW, which is returned), and a
  //   second examiner (another label) decides: REJECTED confirms it, ACCEPTED overrules it. The
  //   proposer may not confirm their own proposal (FAILED_PRECONDITION).
  // - After an appeal, only an examiner who did not decide (or propose) before may decide
  //   (PERMISSION_DENIED naming who may not).
  absl::StatusOr<Verdict> Decide(const Principal& who, const std::string& session_id,
                                 Verdict verdict, const std::string& note);
  // A learner's appeal against a session's verdict, filed by the LMS (on the learner's behalf)
  // or an administrator: the session goes back to PENDING_REVIEW (its result is not official
  // meanwhile) for an examiner who did not decide it before. FAILED_PRECONDITION while the
  // session is open or still waits for review.
  absl::StatusOr<Verdict> FileAppeal(const Principal& who, const std::string& session_id,
                                     const std::string& reason);
  void set_retention(const RetentionOptions& options) { retention_ = options; }
  const RetentionOptions& retention() const { return retention_; }
  // When a session's evidence is due for deletion: the retention period of its kind after the
  // verdict became final (the later of its close and `decided_at_unix_ms`, the last examiner
  // decision in the audit log, 0 when none); nullopt while its verdict is not final.
  std::optional<int64_t> EvidenceKeptUntil(const SessionRecord& session, AssessmentKind kind,
                                           int64_t decided_at_unix_ms) const;
  // Deletes (unless `dry_run`) what retention says is due: evidence of sessions whose verdict has
  // been final longer than the kind's period, and templates of learners without a session for
  // template_days. Each deletion is audited ("retention.evidence", "retention.templates");
  // hashes, signatures and events stay, so every chain still verifies and the report says the
  // evidence was purged under retention. Administrators only (the daily job runs as one).
  absl::StatusOr<RetentionReport> RunRetention(const Principal& who, bool dry_run);

  // What the audit log says of a session's review, oldest first.
  struct ReviewHistory {
    std::vector<AuditEntry> entries;          // decisions, proposals and appeals
    std::optional<AuditEntry> open_proposal;  // a FINAL rejection waiting for a second examiner
    std::optional<AuditEntry> open_appeal;    // an appeal not decided yet
    std::vector<std::string> barred;          // who may not decide the open appeal
    bool sampled = false;                     // sent to review for quality control
    bool self_enrolled = false;  // sent to review: the learner's self-enrollment was unconfirmed
    bool no_template = false;    // sent to review: the learner had no enrolled template
  };
  absl::StatusOr<ReviewHistory> SessionReviewHistory(const std::string& session_id);
  // Records in the audit log ("evidence.view") that an examiner or administrator saw evidence
  // of the session; `what` says which (never the evidence itself). The caller decides how often.
  absl::Status RecordEvidenceView(const Principal& who, const std::string& session_id,
                                  const std::string& what);

  absl::StatusOr<ResultStatus> SubmitResult(const Principal& who, const std::string& session_id,
                                            double score, double max_score);
  absl::StatusOr<std::vector<ResultView>> ListResults(const Principal& who,
                                                      const std::string& assessment_id);

 private:
  absl::Status Audit(const Principal& who, std::string action, std::string subject,
                     std::string detail);
  // The pass as stored when it may still open a session; UNAUTHENTICATED (unknown, used,
  // expired) otherwise.
  absl::StatusOr<PassRecord> UsablePass(const std::string& pass);
  // FAILED_PRECONDITION (the pass still valid) unless the learner agreed to `current`.
  static absl::Status CheckConsented(const ConsentNotice& current,
                                     const std::string& consented_sha256);

  Storage* const storage_;
  SessionLedger* const ledger_;
  const SealedBox* const box_;
  EvidenceInspector* const inspector_;
  const Clock* const clock_;  // Unix time of records, audit and expiry
  RetentionOptions retention_;
  ConsentNotices notices_;
  std::mutex mu_;
  // A SelfEnroll call's claim on the embedding (see kMaxSelfEnrollmentsInFlight).
  class SelfEnrollSlot {
   public:
    SelfEnrollSlot(ProctorCore* core, std::string learner_id);
    ~SelfEnrollSlot();
    SelfEnrollSlot(const SelfEnrollSlot&) = delete;
    SelfEnrollSlot& operator=(const SelfEnrollSlot&) = delete;
    bool held() const { return held_; }

   private:
    ProctorCore* const core_;
    const std::string learner_id_;
    bool held_ = false;
  };
  std::set<std::string> self_enrolling_;  // learners whose photos are being embedded; mu_
  struct CachedPrincipal {
    Principal who;
    int64_t cached_at_unix_ms = 0;
  };
  std::unordered_map<std::string, CachedPrincipal> token_cache_;  // by hash, guarded by mu_
  uint64_t revocations_ = 0;  // bumped by every revocation: a lookup in flight must not cache
                              // what it read before; guarded by mu_
};

// Ids are 1-64 characters from [A-Za-z0-9._-]; INVALID_ARGUMENT naming `what` otherwise.
absl::Status ValidateId(const std::string& id, const std::string& what);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_PROCTOR_CORE_H_
