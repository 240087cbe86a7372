// MemoryStorage: the Storage interface in process memory, for unit tests and `--db memory:`.
// Same observable semantics as SqliteStorage (the typed suite in storage_test.cc runs both):
// the same status codes, orderings and referential checks. Nothing survives the object.
#ifndef PROCTOR_SERVER_STORAGE_MEMORY_STORAGE_H_
#define PROCTOR_SERVER_STORAGE_MEMORY_STORAGE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/core/storage.h"

namespace proctor::server {

// Thread-safe: one mutex guards everything, so every method is trivially atomic.
class MemoryStorage : public Storage {
 public:
  MemoryStorage() = default;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  StorageWriter Writer() override { return {"memory", "", 0}; }
  absl::Status BackupTo(const std::string&) override {
    return absl::FailedPreconditionError(
        "the in-memory database holds nothing durable to back up (run with a SQLite or "
        "PostgreSQL --db)");
  }

  absl::Status CreateAssessment(const Assessment& assessment) override;
  absl::StatusOr<Assessment> GetAssessment(const std::string& id) override;

  absl::Status UpsertLearner(const std::string& id, const std::string& name) override;
  absl::StatusOr<Learner> GetLearner(const std::string& id) override;
  absl::Status ReplaceTemplates(const std::string& learner_id,
                                const std::vector<std::vector<uint8_t>>& sealed) override;
  absl::StatusOr<std::vector<std::vector<uint8_t>>> GetTemplates(
      const std::string& learner_id) override;
  absl::StatusOr<PurgeCounts> PurgeBiometrics(const std::string& learner_id) override;
  absl::StatusOr<int> PurgeSessionEvidence(const std::string& session_id) override;

  absl::Status PutSelfEnrollment(
      const SelfEnrollment& enrollment,
      const std::vector<std::vector<uint8_t>>& sealed_templates) override;
  absl::StatusOr<SelfEnrollment> GetSelfEnrollment(const std::string& learner_id) override;
  absl::StatusOr<std::vector<SelfEnrollment>> ListSelfEnrollments(bool pending_only) override;
  absl::Status DecideSelfEnrollment(const std::string& learner_id, SelfEnrollmentState decision,
                                    const std::string& decided_by, int64_t decided_at_unix_ms,
                                    const std::string& note) override;

  absl::Status PutToken(const TokenRecord& token) override;
  absl::StatusOr<TokenRecord> FindToken(const std::string& token_hash) override;
  absl::StatusOr<int> RevokeTokens(const std::string& label, Role role) override;

  absl::Status PutPass(const PassRecord& pass) override;
  absl::StatusOr<PassRecord> FindPass(const std::string& pass_hash) override;
  absl::StatusOr<SessionRecord> RedeemPass(const std::string& pass_hash, int64_t now_unix_ms,
                                           SessionRecord session,
                                           const TokenRecord& session_token) override;

  absl::StatusOr<SessionRecord> GetSession(const std::string& id) override;
  absl::StatusOr<std::vector<SessionRecord>> ListSessions(bool pending_review_only) override;
  absl::Status UpdateSessionOutcome(const SessionRecord& session) override;

  absl::StatusOr<std::vector<absl::Status>> AppendBatches(
      const std::vector<AppendBatch>& batches) override;
  absl::StatusOr<std::vector<StoredEvent>> ListEvents(const std::string& session_id) override;
  absl::StatusOr<StoredEvent> GetEvent(const std::string& session_id, uint64_t seq) override;
  absl::StatusOr<std::vector<BatchSignature>> ListBatchSignatures(
      const std::string& session_id) override;
  absl::StatusOr<std::vector<Hash32>> EventHashes(const std::string& session_id, uint64_t from_seq,
                                                  uint64_t to_seq) override;
  absl::StatusOr<std::vector<uint8_t>> GetEvidence(const std::string& session_id,
                                                   uint64_t seq) override;

  absl::Status AddFinding(const Finding& finding) override;
  absl::StatusOr<std::vector<Finding>> ListFindings(const std::string& session_id) override;

  absl::Status PutResult(const ResultRecord& result) override;
  absl::StatusOr<std::vector<ResultRecord>> ListResults(const std::string& assessment_id) override;

  absl::Status PutAccommodation(const Accommodation& accommodation) override;
  absl::StatusOr<Accommodation> GetAccommodation(const std::string& learner_id,
                                                 const std::string& assessment_id) override;

  absl::Status PutConsentNotice(const ConsentNotice& notice) override;
  absl::StatusOr<ConsentNotice> GetConsentNotice(const std::string& assessment_id,
                                                 int32_t version) override;

  absl::Status PutLtiPlatform(const LtiPlatform& platform) override;
  absl::StatusOr<std::vector<LtiPlatform>> ListLtiPlatforms() override;
  absl::Status RemoveLtiPlatform(const std::string& issuer, const std::string& client_id) override;
  absl::Status PutLtiToolKey(const LtiToolKey& key) override;
  absl::StatusOr<std::vector<LtiToolKey>> ListLtiToolKeys() override;
  absl::Status DeleteLtiToolKey(const std::string& kid) override;
  absl::Status PutLtiLogin(const LtiLogin& login, int64_t expired_before_unix_ms) override;
  absl::StatusOr<LtiLogin> TakeLtiLogin(const std::string& state) override;

  absl::Status PutLtiAttempt(const LtiAttempt& attempt) override;
  absl::StatusOr<LtiAttempt> GetLtiAttempt(const std::string& id) override;
  absl::StatusOr<std::string> SessionOfPass(const std::string& pass_hash) override;
  absl::StatusOr<std::vector<LtiAttempt>> ListLtiAttempts(
      const std::string& learner_id, const std::string& assessment_id) override;
  absl::StatusOr<std::vector<LtiAttemptChange>> ListLtiAttemptChanges(
      int limit, int64_t created_after_unix_ms = 0) override;
  absl::Status QueueLtiChange(const LtiAttemptChange& change,
                              std::vector<LtiOutboxItem> items) override;
  absl::StatusOr<std::vector<LtiOutboxItem>> ClaimLtiOutbox(int64_t now_unix_ms,
                                                            int64_t lease_until_unix_ms,
                                                            int limit) override;
  absl::Status UpdateLtiOutboxItem(const LtiOutboxItem& item) override;
  absl::StatusOr<std::vector<LtiOutboxItem>> ListLtiOutbox(const std::string& attempt_id) override;

  absl::Status AppendAudit(const AuditEntry& entry) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() override;

 private:
  struct LearnerRow {
    std::string name;
    std::vector<std::vector<uint8_t>> templates;
  };
  struct SessionRow {
    SessionRecord record;
    std::vector<StoredEvent> events;         // events[i].event.seq == i + 1
    std::vector<BatchSignature> signatures;  // ascending head_seq
    std::vector<Finding> findings;
    std::optional<ResultRecord> result;
  };

  // Requires mu_. NOT_FOUND unless the session exists.
  absl::StatusOr<SessionRow*> FindSession(const std::string& id);
  // Requires mu_. The status of appending `batch` now; applies it when OK.
  absl::Status AppendOne(const AppendBatch& batch);

  std::mutex mu_;
  std::map<std::string, Assessment> assessments_;  // guarded by mu_
  std::map<std::string, LearnerRow> learners_;     // guarded by mu_
  std::map<std::string, TokenRecord> tokens_;      // guarded by mu_
  std::map<std::string, PassRecord> passes_;       // guarded by mu_
  std::map<std::string, SessionRow> sessions_;     // guarded by mu_
  std::vector<AuditEntry> audit_;                  // guarded by mu_
  // learner id -> the learner's self-enrollment, guarded by mu_
  std::map<std::string, SelfEnrollment> self_enrollments_;
  // (learner, assessment) -> accommodation, guarded by mu_
  std::map<std::pair<std::string, std::string>, Accommodation> accommodations_;
  // assessment -> version -> notice, guarded by mu_
  std::map<std::string, std::map<int32_t, ConsentNotice>> consent_notices_;
  std::map<std::pair<std::string, std::string>, LtiPlatform> lti_platforms_;  // guarded by mu_
  std::map<std::string, LtiToolKey> lti_keys_;                               // guarded by mu_
  std::map<std::string, LtiLogin> lti_logins_;                               // guarded by mu_
  std::map<std::string, LtiAttempt> lti_attempts_;                           // guarded by mu_
  std::map<std::string, std::string> pass_sessions_;  // pass hash -> session id, guarded by mu_
  // (attempt id, seq) -> item, guarded by mu_
  std::map<std::pair<std::string, int64_t>, LtiOutboxItem> lti_outbox_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_MEMORY_STORAGE_H_
