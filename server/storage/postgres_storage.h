// PostgresStorage: the Storage interface on a PostgreSQL database (libpqxx), for several
// stateless proctor-server replicas sharing one database.
//
// Durability: a method returns OK only after its transaction committed; the server's own
// synchronous_commit applies, and a connection that finds it off turns it on, so AppendBatches
// acknowledges events only once they are durable (one WAL flush covers every batch of a call).
//
// Replicas: AppendBatches locks the rows of the sessions it appends to (in sid order, so two
// replicas never deadlock) before checking last_seq and state, so of two replicas appending the
// same seqs exactly one succeeds and the other gets ABORTED, and a session closed by one replica
// refuses appends from any other. (session_sid, seq) is the events' primary key: an event is
// never stored twice. RedeemPass locks the pass row: a pass opens one session, whichever replica
// redeems it.
//
// Schema: the versioned migrations in server/storage/migrations/postgresql/ (the same versions
// as SQLite's), embedded in the binary. Open() applies the ones the database lacks in one
// transaction under an advisory lock, and refuses a database whose schema is newer than this
// build knows, or one that holds other tables but no proctor schema.
//
// Errors are converted at this boundary (ConvertPostgresException): a database that cannot be
// reached or refuses writes gives UNAVAILABLE, never a crash; pooled connections reconnect when
// it comes back. Every message starts "postgresql: <what we were doing> on <database>: ", the
// database named by its connection string without the password.
#ifndef PROCTOR_SERVER_STORAGE_POSTGRES_STORAGE_H_
#define PROCTOR_SERVER_STORAGE_POSTGRES_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/storage.h"

namespace proctor::server {

class PostgresConnectionPool;

struct PostgresStorageOptions {
  // Pooled connections, 1-64; default 4. The group commit holds one while it writes; reads and
  // other writes run on the others concurrently.
  int connections = 4;
  // How long connecting may take before failing UNAVAILABLE, in seconds, 1-600; default 5 (a
  // connect_timeout in the connection string takes precedence).
  int connect_timeout_s = 5;
};

// INVALID_ARGUMENT naming the first field out of range.
absl::Status ValidatePostgresStorageOptions(const PostgresStorageOptions& options);

// Thread-safe: each call runs on one pooled connection, in one transaction when it writes.
class PostgresStorage : public Storage {
 public:
  // Connects to `conninfo` (a libpq URI, postgresql://user:password@host:port/dbname?..., or a
  // key=value string), checks the database (UTF8 encoding) and brings its schema up to date.
  // Errors: INVALID_ARGUMENT (conninfo, options), UNAVAILABLE (cannot connect or log in),
  // FAILED_PRECONDITION (schema newer than this build, a database with other tables and no
  // proctor schema, an encoding other than UTF8).
  static absl::StatusOr<std::unique_ptr<PostgresStorage>> Open(
      const std::string& conninfo, const PostgresStorageOptions& options = {});
  // The newest schema version this build knows (the highest migration number).
  static int LatestSchemaVersion();

  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  StorageWriter Writer() override;
  absl::Status BackupTo(const std::string&) override {
    return absl::FailedPreconditionError(
        "a PostgreSQL database is backed up with its own tools: pg_basebackup and WAL archiving "
        "(README: Backup and restore; scripts/ha-cluster.sh backup)");
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

  // Locks the learner's row (as ReplaceTemplates and PurgeBiometrics do): of two replicas
  // enrolling one learner, or of two examiners deciding at once, the second sees the first's.
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
  // The update of the attempt compares and sets its reported outcome: of two replicas queuing
  // the same change, one succeeds and the other gets ABORTED.
  absl::Status QueueLtiChange(const LtiAttemptChange& change,
                              std::vector<LtiOutboxItem> items) override;
  // Each item is claimed by an update that compares its due_at with the one read: of two
  // replicas claiming at once, each item goes to one of them.
  absl::StatusOr<std::vector<LtiOutboxItem>> ClaimLtiOutbox(int64_t now_unix_ms,
                                                            int64_t lease_until_unix_ms,
                                                            int limit) override;
  absl::Status UpdateLtiOutboxItem(const LtiOutboxItem& item) override;
  absl::StatusOr<std::vector<LtiOutboxItem>> ListLtiOutbox(const std::string& attempt_id) override;

  absl::Status AppendAudit(const AuditEntry& entry) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() override;

 private:
  explicit PostgresStorage(std::unique_ptr<PostgresConnectionPool> pool);

  // Runs fn(pqxx::work&) in one transaction, committed when fn returns OK (rolled back when it
  // returns an error or throws).
  template <typename Fn>
  auto InTransaction(const char* context, Fn&& fn);
  // Runs fn(pqxx::nontransaction&) for reads of one statement each (no BEGIN/COMMIT round trips;
  // a statement always sees one committed state).
  template <typename Fn>
  auto Read(const char* context, Fn&& fn);

  std::unique_ptr<PostgresConnectionPool> pool_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_POSTGRES_STORAGE_H_
