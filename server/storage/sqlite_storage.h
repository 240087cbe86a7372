// SqliteStorage: the Storage interface on one SQLite database file.
//
// Durability: WAL journal with synchronous=FULL, so a method that returned OK has its writes on
// disk (AppendBatches therefore acknowledges events only once they are durable, and one fsync
// covers all the batches of a call). Foreign keys are enforced.
//
// Schema: the versioned migrations in server/storage/migrations/sqlite/, embedded in the binary.
// Open() applies the ones the file lacks, in order, in one transaction, and refuses a database
// whose schema is newer than this build knows.
//
// Errors are converted at this boundary (see SqliteStatus in sqlite_connection.h): locked, full,
// read-only or failing disks give UNAVAILABLE; a damaged file gives DATA_LOSS; every message
// starts "sqlite: <what we were doing>: ".
#ifndef PROCTOR_SERVER_STORAGE_SQLITE_STORAGE_H_
#define PROCTOR_SERVER_STORAGE_SQLITE_STORAGE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/core/storage.h"

namespace proctor::server {

class SqliteConnection;

struct SqliteStorageOptions {
  // Connections that serve reads beside the one writing connection, 1-64; default 4. Reads never
  // wait for a commit's fsync (WAL readers see the last committed state).
  int read_connections = 4;
  // How long a statement waits for a lock held by another process before failing UNAVAILABLE,
  // in milliseconds, 0-600000; default 5000.
  int busy_timeout_ms = 5000;
};

// INVALID_ARGUMENT naming the first field out of range.
absl::Status ValidateSqliteStorageOptions(const SqliteStorageOptions& options);

// Thread-safe. Writes are serialized on one connection (guarded by a mutex); reads run on a small
// pool of read connections concurrently with writes and with each other.
class SqliteStorage : public Storage {
 public:
  // Opens or creates the database at `path` (a file path; ":memory:" is refused: use
  // MemoryStorage) and brings its schema up to date. Errors: INVALID_ARGUMENT (path, options),
  // UNAVAILABLE (cannot open or lock the file), DATA_LOSS (not a SQLite database, or damaged),
  // FAILED_PRECONDITION (schema newer than this build, a SQLite database that is not
  // proctor's, or a file system without WAL support).
  static absl::StatusOr<std::unique_ptr<SqliteStorage>> Open(
      const std::string& path, const SqliteStorageOptions& options = {});
  // The newest schema version this build knows (the highest migration number).
  static int LatestSchemaVersion();

  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  StorageWriter Writer() override { return {"sqlite", "", 0}; }
  // SQLite's online backup from a read connection, in one step: one read transaction, so the
  // copy is of one moment and, in WAL mode, writers go on meanwhile.
  absl::Status BackupTo(const std::string& path) override;

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
  // In one write transaction: no other connection changes the outbox between the read and the
  // claim.
  absl::StatusOr<std::vector<LtiOutboxItem>> ClaimLtiOutbox(int64_t now_unix_ms,
                                                            int64_t lease_until_unix_ms,
                                                            int limit) override;
  absl::Status UpdateLtiOutboxItem(const LtiOutboxItem& item) override;
  absl::StatusOr<std::vector<LtiOutboxItem>> ListLtiOutbox(const std::string& attempt_id) override;

  absl::Status AppendAudit(const AuditEntry& entry) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() override;

 private:
  struct Reader {
    std::mutex mu;
    std::unique_ptr<SqliteConnection> connection;  // guarded by mu
  };

  explicit SqliteStorage(std::unique_ptr<SqliteConnection> writer);

  // Runs fn(SqliteConnection&) on the writing connection, outside any transaction (one
  // statement commits by itself).
  template <typename Fn>
  auto WithWriter(Fn&& fn);
  // Runs fn(SqliteConnection&) inside one write transaction, committed when fn succeeds.
  template <typename Fn>
  auto InTransaction(const char* context, Fn&& fn);
  // Runs fn(SqliteConnection&) on an idle read connection (waiting for one if all are busy).
  template <typename Fn>
  auto WithReader(Fn&& fn);

  std::mutex writer_mu_;
  std::unique_ptr<SqliteConnection> writer_;      // guarded by writer_mu_
  std::vector<std::unique_ptr<Reader>> readers_;  // fixed after Open
  std::atomic<size_t> next_reader_{0};
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_SQLITE_STORAGE_H_
