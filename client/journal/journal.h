// Journal: the client's durable record of one proctored session, so that no event is lost when
// the network, the server or the client itself fails.
//
// Every event is signed and chained (protocol::ChainSealer) and appended here, flushed to disk
// (FileEnv's RandomRWFile::Sync: fdatasync) BEFORE the uplink may send it. The uplink reads
// unacknowledged events back from the journal, and a second `proctor-client run` with the same
// directory first delivers what is left.
//
// Files in the directory (created 0700; files 0600):
//   session.json  what is needed to continue the session after a restart: server, session id
//                 and token, the session's Ed25519 secret key, the enrolled templates, the
//                 pass's hash. Written once, atomically. It holds secrets and a biometric template:
//                 it never leaves the machine and is deleted with Clear().
//   events.log    checksummed records (journal_record.h): the events, each with its signature,
//                 and rebases (the chain continues after an event the server holds but this
//                 journal lost).
//   state.json    acknowledged seq and, once closed, the verdict. Rewritten by rename and not
//                 synced: if it is lost, events are resent and the server acknowledges them as
//                 duplicates (ingest is idempotent).
//
// A damaged tail (a torn write, a corrupted byte, a broken chain) is detected on Open: the intact
// prefix is kept, the damaged bytes are moved to events.log.damaged-<unix ms> and the report says
// so. Thread-safe: the analysis thread appends while the uplink thread reads and acknowledges.
#ifndef PROCTOR_CLIENT_JOURNAL_JOURNAL_H_
#define PROCTOR_CLIENT_JOURNAL_JOURNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/journal/journal_files.h"
#include "client/journal/journal_record.h"
#include "common/crypto.h"
#include "common/event.h"
#include "common/file_env.h"
#include "protocol/chain.h"
#include "protocol/identity_rule.h"

namespace proctor::client {

using protocol::SignedEvent;

struct JournalOpenReport {
  uint64_t intact_events = 0;
  uint64_t damaged_bytes = 0;  // 0 when the file was whole
  std::string damaged_copy;    // where the damaged bytes were moved
  std::string damage;          // what was wrong, for the user
};

class Journal {
 public:
  // Opens (creating when missing) the journal in `dir`. A damaged events.log tail is cut off
  // and reported in `report`; an unreadable session.json is an error (DATA_LOSS) naming it.
  // Every file operation goes through `env` (nullptr: FileEnv::Default(), the real file
  // system), which must outlive the journal.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(const std::string& dir,
                                                       JournalOpenReport* report,
                                                       FileEnv* env = nullptr);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& dir() const { return dir_; }
  bool has_session() const;
  // The session's metadata; FAILED_PRECONDITION when the journal holds no session.
  absl::StatusOr<JournalMeta> meta() const;
  // Records a newly opened session; FAILED_PRECONDITION when the journal already holds one.
  absl::Status BeginSession(const JournalMeta& meta);

  // Appends events durably (fdatasync before returning). They must continue the chain: seq
  // last_seq()+1, +2, ... and prev_hash of the first equal to head_hash(); INVALID_ARGUMENT
  // otherwise (nothing written). INTERNAL on an I/O error (nothing counted as written).
  absl::Status Append(const std::vector<SignedEvent>& events);
  // The chain continues after (seq, hash): events up to seq are held by the server but were lost
  // here. Only forward (seq > last_seq()); marks seq as acknowledged.
  absl::Status Rebase(uint64_t seq, const Hash32& hash);

  uint64_t first_seq() const;  // the first event this journal holds, 0 when none
  uint64_t last_seq() const;   // 0 when empty
  Hash32 head_hash() const;    // zeros when empty
  int64_t last_at_ms() const;  // at_ms of the last event, 0 when none
  uint64_t event_count() const;

  // Up to max_events consecutive events from from_seq whose evidence and descriptors fit in
  // max_bytes (at least one event is returned when from_seq exists). Empty when from_seq is past
  // the end. NOT_FOUND when from_seq is an event this journal lost (before a rebase).
  absl::StatusOr<std::vector<SignedEvent>> Read(uint64_t from_seq, size_t max_events,
                                                size_t max_bytes) const;
  // The hash of event seq, if this journal holds it.
  std::optional<Hash32> HashAt(uint64_t seq) const;

  // Records that the server holds every event up to seq (never moves backwards).
  absl::Status MarkAcked(uint64_t seq);
  uint64_t acked_seq() const;
  uint64_t pending() const;  // events after the acknowledged seq
  absl::Status MarkClosed(const std::string& verdict, double risk_score);
  bool closed() const;
  std::string closed_verdict() const;
  double closed_risk_score() const;

  // Deletes the session's files (after it is delivered and closed: evidence and secrets should
  // not stay on the learner's disk). The journal is empty afterwards.
  absl::Status Clear();

 private:
  struct Location {
    uint64_t offset = 0;  // of the payload
    uint32_t size = 0;
    Hash32 hash{};
    int64_t at_ms = 0;
  };
  Journal(std::string dir, FileEnv* env);
  absl::Status Load(JournalOpenReport* report);
  absl::Status LoadLog(JournalOpenReport* report);
  absl::Status WriteState(bool durable);
  // Forgets a failed append: the log is cut back to `size_before`; returns `why`.
  absl::Status Unappend(uint64_t size_before, absl::Status why);
  absl::Status AppendRecord(RecordType type, const std::string& payload, uint64_t* payload_offset);
  // Applies one intact record read at open; why it cannot be used ("" when it can).
  std::string Replay(const Record& record);
  absl::StatusOr<SignedEvent> ReadAt(const Location& location) const;

  const std::string dir_;
  mutable std::mutex mu_;
  FileEnv* const env_;
  std::unique_ptr<RandomRWFile> log_;    // events.log, guarded by mu_
  uint64_t size_ = 0;                    // guarded by mu_
  std::optional<JournalMeta> meta_;      // guarded by mu_
  std::map<uint64_t, Location> events_;  // seq -> location, guarded by mu_
  protocol::ChainVerifier chain_;        // where the chain stands; guarded by mu_
  int64_t last_at_ms_ = 0;               // guarded by mu_
  uint64_t acked_ = 0;                   // guarded by mu_
  bool closed_ = false;                  // guarded by mu_
  std::string verdict_;                  // guarded by mu_
  double risk_score_ = 0;                // guarded by mu_
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_JOURNAL_JOURNAL_H_
