// SessionLedger: ingest of signed, chained event batches into durable storage, exactly once.
//
// For each batch it checks, in order: the events belong to the caller's session
// (PERMISSION_DENIED), the session is open (FAILED_PRECONDITION), every event's shape
// (INVALID_ARGUMENT), the Ed25519 signature over the hash of the batch's last event
// (UNAUTHENTICATED), resent events against the stored hashes (identical: acknowledged again and
// not stored; different: ALREADY_EXISTS, a fork), the next seq (FAILED_PRECONDITION naming the
// expected seq on a gap), the hash chain (FAILED_PRECONDITION), and every evidence JPEG
// (INVALID_ARGUMENT). Only then does it seal the evidence, compute the server's own identity
// distances and hand the batch to the GroupCommitter with its verified head signature (stored
// with the events, for the report to re-verify); the caller hears back after the commit.
// Nothing of a rejected batch is stored, and a fully resent batch stores nothing again.
//
// Thread-safe. Each session admits one batch in flight; a second concurrent batch for the same
// session gets UNAVAILABLE (retry). The in-memory session cache is only a cache: a reload from
// storage rebuilds it, and Storage::AppendBatches re-checks last_seq, so several ledgers (server
// replicas) on one database stay correct.
#ifndef PROCTOR_SERVER_CORE_SESSION_LEDGER_H_
#define PROCTOR_SERVER_CORE_SESSION_LEDGER_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/event.h"
#include "protocol/identity_rule.h"
#include "protocol/liveness.h"
#include "server/core/evidence_inspector.h"
#include "server/core/group_committer.h"
#include "server/core/latency_histogram.h"
#include "server/core/policy.h"
#include "server/core/storage.h"

namespace proctor::server {

struct IngestAck {
  uint64_t acked_seq = 0;   // every event up to this seq is durable
  uint32_t duplicates = 0;  // resent events in the batch that were already stored
};

struct LedgerStats {
  uint64_t batches_accepted = 0;
  uint64_t events_stored = 0;
  uint64_t events_duplicate = 0;
  uint64_t batches_rejected = 0;
  uint64_t chips_rechecked = 0;
  uint64_t chips_skipped = 0;  // recheck queue full: stored but not re-embedded
  // Verification failures by check: a batch refused for its signature, its hash chain (a gap
  // or a prev_hash that does not match), a fork (different content at a stored seq), or an
  // unreadable evidence JPEG; and server re-checks of evidence chips that disagreed.
  uint64_t bad_signatures = 0;
  uint64_t broken_chains = 0;
  uint64_t forks = 0;
  uint64_t unreadable_evidence = 0;
  uint64_t evidence_mismatches = 0;
  // The server's own liveness judgements (protocol/liveness.h) of the challenges clients ran.
  uint64_t liveness_passed = 0;
  uint64_t liveness_failed = 0;
  // Flags of the sessions this process closed, by EventKind value.
  std::array<uint64_t, kMaxEventKind + 1> flags_by_kind{};
  // From Ingest to the acknowledgement of every acknowledged batch.
  HistogramSnapshot ingest_latency;
};

// Sealed-template helpers (descriptor <-> little-endian float32 bytes).
std::vector<uint8_t> DescriptorBytes(const std::vector<float>& descriptor);
absl::StatusOr<std::vector<float>> DescriptorFromBytes(const std::vector<uint8_t>& bytes);
std::string TemplateAd(const std::string& learner_id);
std::string EvidenceAd(const std::string& session_id, uint64_t seq);
std::string SelfEnrollmentPhotoAd(const std::string& learner_id);

// A session's liveness nonce: keyed BLAKE2b of its id under the server's storage key (every
// replica computes the same, a client cannot predict it) as 32 hex digits; and the challenge it
// stands for.
std::string LivenessNonceFor(const SealedBox& box, const std::string& session_id);
protocol::LivenessChallengeSpec LivenessChallengeFor(const SealedBox& box,
                                                     const std::string& session_id);

class SessionLedger {
 public:
  using IngestDone = std::function<void(absl::StatusOr<IngestAck>)>;

  // All pointers must outlive the ledger.
  SessionLedger(Storage* storage, GroupCommitter* committer, const SealedBox* box,
                EvidenceInspector* inspector, const Clock* clock);
  ~SessionLedger();

  // Sends this share (percent, 0-100) of the sessions the policy auto-accepts to review instead,
  // drawn at random when each closes, and records "review.sampled" in the audit log. Call
  // before the first Close.
  void set_quality_sample_percent(double percent) { qc_sample_percent_ = percent; }
  // Whether biometric events (protocol::NeedsConsent) are refused from a session that does not
  // begin with CONSENT_GIVEN; default true, and proctor-server never changes it. Unit tests of
  // the chain and the scoring that are not about consent turn it off. Call before Ingest.
  void set_consent_required(bool required) { consent_required_ = required; }

  // `done` runs exactly once, on this thread (rejections) or the commit thread (after commit).
  void Ingest(const std::string& caller_session_id, std::vector<Event> events,
              const Signature& head_signature, IngestDone done);

  // Waits for the session's pending evidence re-checks (at most `wait_ms`), scores it, stores
  // the outcome (CLOSED, verdict, risk) and returns the scorecard. Closing a closed session
  // returns its stored outcome again.
  absl::StatusOr<Scorecard> Close(const std::string& session_id, int64_t ended_at_ms,
                                  int64_t wait_ms = 30'000);

  LedgerStats stats() const;

  // Drops everything of the learner held in memory: cached sessions (with their decrypted
  // templates) and queued evidence re-checks (with their JPEGs). Called by a purge.
  void ForgetLearner(const std::string& learner_id);

 private:
  struct LiveSession;
  struct Recheck;
  struct Prepared;

  absl::StatusOr<std::shared_ptr<LiveSession>> Load(const std::string& session_id);
  void Evict(const std::string& session_id);
  // Re-reads the session's stored head (last_seq, head hash, closed) into the cache, forward
  // only: other replicas may have stored events since it was loaded. Caller holds live.mu.
  absl::Status Refresh(LiveSession& live);
  // Whether the stored session begins with CONSENT_GIVEN (read once it has events).
  absl::Status LoadConsent(LiveSession& live);
  // A CONSENT_GIVEN must name a notice version of the session's assessment with its digest.
  absl::Status CheckConsent(const LiveSession& live, const Event& event);
  absl::StatusOr<Prepared> Prepare(LiveSession& live, std::vector<Event>& events,
                                   const Signature& signature);
  absl::Status CheckResends(LiveSession& live, const std::vector<Event>& events,
                            const std::vector<Hash32>& hashes, size_t resent);
  absl::Status CheckNewEvents(LiveSession& live, std::vector<Event>& events,
                              const std::vector<Hash32>& hashes, size_t first_new);
  void OnCommitted(const std::shared_ptr<LiveSession>& live, Prepared prepared, absl::Status status,
                   const IngestDone& done);
  absl::StatusOr<Scorecard> ScoreAndStore(const std::string& session_id, int64_t ended_at_ms);
  void QueueRechecks(LiveSession& live, std::vector<Recheck> rechecks);
  void RecheckLoop();
  void RunRecheck(const Recheck& recheck);
  // Judges the session's liveness challenge from its stored LIVENESS_STEP frames, measured by
  // the inspector, and records the server's LIVENESS_PASSED or LIVENESS_FAILED finding (and
  // EVIDENCE_MISMATCH when the client claimed a pass the frames do not show). Once per session:
  // nothing when already judged, or when the session ran no challenge (no step, no claim).
  void JudgeLiveness(const std::string& session_id,
                     const std::vector<protocol::Template>& templates, const Policy& policy);
  // Stores a server finding and sends an auto-accepted session back to review.
  void RecordFinding(const Recheck& recheck, Finding finding);
  void CountRefusal(const absl::Status& status);

  Storage* const storage_;
  GroupCommitter* const committer_;
  const SealedBox* const box_;
  EvidenceInspector* const inspector_;
  const Clock* const clock_;  // Unix time of receipt and close

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<LiveSession>> sessions_;  // guarded by mu_
  LedgerStats stats_;                                             // guarded by mu_
  LatencyHistogram ingest_latency_;                               // guarded by mu_
  std::condition_variable recheck_cv_;
  std::condition_variable recheck_done_cv_;
  std::deque<Recheck> rechecks_;                 // guarded by mu_
  std::map<std::string, int> pending_rechecks_;  // session -> count, guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::mutex liveness_mu_;  // one liveness judgement at a time: each session is judged once
  std::mutex close_mu_;  // serialises Close: two overlapping closes must not both write
  std::thread recheck_thread_;
  double qc_sample_percent_ = 0;
  bool consent_required_ = true;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_SESSION_LEDGER_H_
