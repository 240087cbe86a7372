// Storage: everything the server keeps, behind one interface (SQLite, PostgreSQL, in-memory).
// Implementations are thread-safe. Every method either applies completely or not at all.
// Errors: NOT_FOUND (no such row), ALREADY_EXISTS (duplicate key), ABORTED (a condition such as
// AppendBatch::expected_last_seq no longer holds), UNAVAILABLE (the database cannot be reached or
// refuses writes; retrying later may succeed), INTERNAL (anything else), each with context.
// Templates and evidence arrive already sealed (encrypted): storage never sees plain biometrics.
#ifndef PROCTOR_SERVER_CORE_STORAGE_H_
#define PROCTOR_SERVER_CORE_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/domain.h"

namespace proctor::server {

// Where a storage writes, for /healthz and /metrics.
struct StorageWriter {
  std::string backend;  // "sqlite", "postgresql", "memory"
  // postgresql: "host:port" of the cluster member written to (the one connected to last); ""
  // before the first connection and for the embedded backends.
  std::string member;
  // postgresql: how often a new connection reached another member than the one before (a
  // failover, or a switchover), since the server started.
  uint64_t failovers = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Thread-safe and cheap (no database round trip).
  virtual StorageWriter Writer() = 0;

  // Writes a consistent copy of the whole database, as of one moment, to the new file `path`
  // (mode 0600) while ingest goes on: a database a server can open as it is. FAILED_PRECONDITION
  // for an engine backed up by its own tools (PostgreSQL: pg_basebackup) or with nothing durable.
  virtual absl::Status BackupTo(const std::string& path) = 0;

  virtual absl::Status CreateAssessment(const Assessment& assessment) = 0;
  virtual absl::StatusOr<Assessment> GetAssessment(const std::string& id) = 0;

  // Creates the learner or renames an existing one.
  virtual absl::Status UpsertLearner(const std::string& id, const std::string& name) = 0;
  virtual absl::StatusOr<Learner> GetLearner(const std::string& id) = 0;
  // Replaces every template of the learner (NOT_FOUND if the learner does not exist). An
  // administrator's enrollment supersedes a self-enrollment: the learner's SelfEnrollment row
  // (and its photo) is deleted in the same transaction.
  virtual absl::Status ReplaceTemplates(const std::string& learner_id,
                                        const std::vector<std::vector<uint8_t>>& sealed) = 0;
  virtual absl::StatusOr<std::vector<std::vector<uint8_t>>> GetTemplates(
      const std::string& learner_id) = 0;
  // Deletes the learner's templates, their SelfEnrollment row (with its photo) and the evidence
  // of all their sessions (events stay, with has_evidence still true). NOT_FOUND if the learner
  // does not exist.
  virtual absl::StatusOr<PurgeCounts> PurgeBiometrics(const std::string& learner_id) = 0;
  // Removes the evidence images of one session (retention) if, in the same statement, it is
  // closed with a final verdict (AUTO_ACCEPTED, ACCEPTED, REJECTED: an appeal that reopened it
  // meanwhile keeps its evidence); how many. NOT_FOUND for an unknown session. The events,
  // their hashes and signatures stay: the chain still links.
  virtual absl::StatusOr<int> PurgeSessionEvidence(const std::string& session_id) = 0;

  // Self-enrollment. In one transaction: the learner must exist (NOT_FOUND), have no template
  // (FAILED_PRECONDITION "already enrolled") and no SelfEnrollment row (FAILED_PRECONDITION
  // "self-enrollment already rejected" for a rejected one: only an administrator enrolls that
  // learner now); `sealed_templates` become the learner's templates and `enrollment` (state
  // pending) is stored with its photo.
  virtual absl::Status PutSelfEnrollment(
      const SelfEnrollment& enrollment,
      const std::vector<std::vector<uint8_t>>& sealed_templates) = 0;
  // With its sealed photo while pending. NOT_FOUND when the learner has none.
  virtual absl::StatusOr<SelfEnrollment> GetSelfEnrollment(const std::string& learner_id) = 0;
  // Without photos; oldest first; all states, or only the pending ones.
  virtual absl::StatusOr<std::vector<SelfEnrollment>> ListSelfEnrollments(bool pending_only) = 0;
  // In one transaction: the learner's pending self-enrollment gets `decision` (kConfirmed or
  // kRejected), decided_by, decided_at and note; its photo is deleted; on kRejected the learner's
  // templates are deleted too. NOT_FOUND when none; FAILED_PRECONDITION "already decided" when
  // it is not pending (two examiners at once: one wins).
  virtual absl::Status DecideSelfEnrollment(const std::string& learner_id,
                                            SelfEnrollmentState decision,
                                            const std::string& decided_by,
                                            int64_t decided_at_unix_ms, const std::string& note) = 0;

  virtual absl::Status PutToken(const TokenRecord& token) = 0;
  virtual absl::StatusOr<TokenRecord> FindToken(const std::string& token_hash) = 0;
  // Deletes every token of `role` labelled `label` (an examiner who left); how many.
  virtual absl::StatusOr<int> RevokeTokens(const std::string& label, Role role) = 0;

  virtual absl::Status PutPass(const PassRecord& pass) = 0;
  // The pass as stored, used or not (nothing changes); NOT_FOUND when unknown.
  virtual absl::StatusOr<PassRecord> FindPass(const std::string& pass_hash) = 0;
  // In one transaction: the pass must exist (NOT_FOUND), be unused (FAILED_PRECONDITION
  // "already used") and unexpired at now_unix_ms (FAILED_PRECONDITION "expired"); it is marked
  // used, `session` is created (learner and assessment taken from the pass) and `session_token`
  // is stored. Returns the created session.
  virtual absl::StatusOr<SessionRecord> RedeemPass(const std::string& pass_hash,
                                                   int64_t now_unix_ms, SessionRecord session,
                                                   const TokenRecord& session_token) = 0;

  virtual absl::StatusOr<SessionRecord> GetSession(const std::string& id) = 0;
  // Highest risk first, then newest first.
  virtual absl::StatusOr<std::vector<SessionRecord>> ListSessions(bool pending_review_only) = 0;
  // Writes state, ended_at_ms, closed_at_unix_ms, risk_score, verdict, decision_note and
  // decided_by of `session` (the event columns last_seq/head_hash are not touched).
  virtual absl::Status UpdateSessionOutcome(const SessionRecord& session) = 0;

  // Appends several sessions' batches in one durable transaction (group commit), each with its
  // head signature when it has one. Returns one status per batch: OK, or ABORTED when that
  // session's last_seq moved (that batch is skipped, its signature too; the others still
  // commit). A non-OK overall status means nothing was written.
  virtual absl::StatusOr<std::vector<absl::Status>> AppendBatches(
      const std::vector<AppendBatch>& batches) = 0;
  // Events of a session in seq order, without evidence bytes (has_evidence says if any).
  virtual absl::StatusOr<std::vector<StoredEvent>> ListEvents(const std::string& session_id) = 0;
  // One stored event, as ListEvents gives it (no evidence); NOT_FOUND for an unknown session or
  // seq.
  virtual absl::StatusOr<StoredEvent> GetEvent(const std::string& session_id, uint64_t seq) = 0;
  // The head signatures of the session's stored batches, ascending by head_seq (NOT_FOUND when
  // there is no such session). Purges leave them: they are not biometric data.
  virtual absl::StatusOr<std::vector<BatchSignature>> ListBatchSignatures(
      const std::string& session_id) = 0;
  // Hashes of events from_seq..to_seq inclusive, in order (for idempotent resends).
  virtual absl::StatusOr<std::vector<Hash32>> EventHashes(const std::string& session_id,
                                                          uint64_t from_seq, uint64_t to_seq) = 0;
  // The sealed evidence of one event (NOT_FOUND when none, or purged).
  virtual absl::StatusOr<std::vector<uint8_t>> GetEvidence(const std::string& session_id,
                                                           uint64_t seq) = 0;

  virtual absl::Status AddFinding(const Finding& finding) = 0;
  virtual absl::StatusOr<std::vector<Finding>> ListFindings(const std::string& session_id) = 0;

  // Records or replaces the result of a session (NOT_FOUND if the session does not exist).
  virtual absl::Status PutResult(const ResultRecord& result) = 0;
  // All results, or those of one assessment; learner_id and assessment_id filled in; oldest first.
  virtual absl::StatusOr<std::vector<ResultRecord>> ListResults(
      const std::string& assessment_id) = 0;

  // Records (or replaces) one learner's accommodation for one assessment.
  virtual absl::Status PutAccommodation(const Accommodation& accommodation) = 0;
  // NOT_FOUND when none is recorded for that learner and assessment.
  virtual absl::StatusOr<Accommodation> GetAccommodation(const std::string& learner_id,
                                                         const std::string& assessment_id) = 0;

  // Stores a new version of an assessment's consent notice. ALREADY_EXISTS when that version is
  // stored already (a concurrent writer: read the latest and try the next); NOT_FOUND for an
  // unknown assessment.
  virtual absl::Status PutConsentNotice(const ConsentNotice& notice) = 0;
  // One version of an assessment's notice, or the latest when `version` is 0; NOT_FOUND when the
  // assessment has none (or not that version).
  virtual absl::StatusOr<ConsentNotice> GetConsentNotice(const std::string& assessment_id,
                                                         int32_t version) = 0;

  // LTI 1.3. ALREADY_EXISTS when (issuer, client_id) is registered already.
  virtual absl::Status PutLtiPlatform(const LtiPlatform& platform) = 0;
  // Ordered by issuer, then client_id.
  virtual absl::StatusOr<std::vector<LtiPlatform>> ListLtiPlatforms() = 0;
  // NOT_FOUND when no such registration.
  virtual absl::Status RemoveLtiPlatform(const std::string& issuer,
                                         const std::string& client_id) = 0;
  // ALREADY_EXISTS for a kid stored already.
  virtual absl::Status PutLtiToolKey(const LtiToolKey& key) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<LtiToolKey>> ListLtiToolKeys() = 0;
  // NOT_FOUND for an unknown kid.
  virtual absl::Status DeleteLtiToolKey(const std::string& kid) = 0;
  // Stores a started login, and in the same transaction deletes the logins started before
  // `expired_before_unix_ms` (never completed). ALREADY_EXISTS for a state stored already.
  virtual absl::Status PutLtiLogin(const LtiLogin& login, int64_t expired_before_unix_ms) = 0;
  // Takes the login away and returns it, atomically: of two launches bringing the same state,
  // exactly one gets it. NOT_FOUND when unknown or already taken.
  virtual absl::StatusOr<LtiLogin> TakeLtiLogin(const std::string& state) = 0;

  // ALREADY_EXISTS for an id stored already; NOT_FOUND for an unknown learner or assessment.
  virtual absl::Status PutLtiAttempt(const LtiAttempt& attempt) = 0;
  virtual absl::StatusOr<LtiAttempt> GetLtiAttempt(const std::string& id) = 0;
  // The id of the session the pass opened (RedeemPass records it); "" while the pass is unused.
  // NOT_FOUND for an unknown pass.
  virtual absl::StatusOr<std::string> SessionOfPass(const std::string& pass_hash) = 0;
  // The attempts of one learner on one assessment, oldest first (LtiEndAssessment finds its
  // attempt by number among them).
  virtual absl::StatusOr<std::vector<LtiAttempt>> ListLtiAttempts(
      const std::string& learner_id, const std::string& assessment_id) = 0;
  // Up to `limit` attempts created at or after `created_after_unix_ms` (0: all; an index makes a
  // recent window cheap) whose pass opened a session that is now closed with a (state, verdict)
  // other than the attempt's reported_state/reported_verdict, oldest attempt first.
  virtual absl::StatusOr<std::vector<LtiAttemptChange>> ListLtiAttemptChanges(
      int limit, int64_t created_after_unix_ms = 0) = 0;
  // In one transaction: the attempt's reported_state/reported_verdict become the change's, its
  // reported_seq grows by items.size(), and `items` are queued with seq reported_seq+1, +2, ...
  // (attempt_id and seq are set here). ABORTED when the stored reported_seq, reported_state or
  // reported_verdict is no longer the change's attempt's (another replica queued it first);
  // NOT_FOUND for an unknown attempt.
  virtual absl::Status QueueLtiChange(const LtiAttemptChange& change,
                                      std::vector<LtiOutboxItem> items) = 0;
  // Claims up to `limit` pending items due at `now_unix_ms`, each the lowest pending seq of its
  // attempt and lane (an attempt's messages go out in order; reads of the LMS's grade, kind
  // "result", wait for the LMS in a lane of their own and hold no message back): tries grows by
  // one and due_at becomes `lease_until_unix_ms`, so that no other replica takes it meanwhile.
  // Returns them as claimed, earliest due first; nothing for a limit <= 0.
  virtual absl::StatusOr<std::vector<LtiOutboxItem>> ClaimLtiOutbox(int64_t now_unix_ms,
                                                                    int64_t lease_until_unix_ms,
                                                                    int limit) = 0;
  // After a try: writes due_at, last_error, done_at and outcome of the item (attempt_id, seq).
  // NOT_FOUND for an unknown item.
  virtual absl::Status UpdateLtiOutboxItem(const LtiOutboxItem& item) = 0;
  // Every item of the attempt ("" for all attempts), by attempt then seq.
  virtual absl::StatusOr<std::vector<LtiOutboxItem>> ListLtiOutbox(
      const std::string& attempt_id) = 0;

  virtual absl::Status AppendAudit(const AuditEntry& entry) = 0;
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit() = 0;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_STORAGE_H_
