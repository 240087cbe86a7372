// The journal's on-disk record format (events.log), apart from what the journal does with it.
//
//   "PRJNL001" then records: type (1 byte), payload length (u32 LE), BLAKE2b-128 of
//   type+payload (16 bytes), payload.
//   Type 1, an event: its 64-byte signature, then the proctor.v1.Event message.
//   Type 2, a rebase: u64 LE seq, 32-byte hash — the chain continues after that event, which the
//   server holds but the journal lost.
//
// RecordReader walks a log image in memory and stops at the first damaged record, saying where
// and why (the journal cuts the log there). Pure functions and value types; thread-compatible.
#ifndef PROCTOR_CLIENT_JOURNAL_JOURNAL_RECORD_H_
#define PROCTOR_CLIENT_JOURNAL_JOURNAL_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "protocol/chain.h"

namespace proctor::client {

inline constexpr char kJournalMagic[8] = {'P', 'R', 'J', 'N', 'L', '0', '0', '1'};
inline constexpr size_t kRecordHeaderSize = 1 + 4 + 16;
// An event is at most 256 KiB of evidence plus small fields: anything larger is damage.
inline constexpr uint32_t kMaxRecordPayload = 1 << 20;

enum class RecordType : uint8_t { kEvent = 1, kRebase = 2 };

// A whole record (header and payload) ready to append.
std::string EncodeRecord(RecordType type, std::string_view payload);

std::string EncodeEventPayload(const protocol::SignedEvent& event);
// DATA_LOSS when the payload is not a signature and a well-formed event; the hash is recomputed.
absl::StatusOr<protocol::SignedEvent> DecodeEventPayload(std::string_view payload);

std::string EncodeRebasePayload(const protocol::ChainHead& head);
// DATA_LOSS unless the payload is exactly 40 bytes.
absl::StatusOr<protocol::ChainHead> DecodeRebasePayload(std::string_view payload);

struct Record {
  RecordType type = RecordType::kEvent;
  uint64_t offset = 0;          // of the record's header in the log
  uint64_t payload_offset = 0;  // of its payload
  std::string_view payload;     // into the reader's image
};

// Reads the records of a log image (header included). Next() yields intact records in order and
// false at the end or at the first damaged one; then damaged() says whether the image had bytes
// that are not whole, checksummed records (end() is where the intact part ends) and damage()
// why, for the user ("a record is cut short (torn write)").
class RecordReader {
 public:
  // `image` must outlive the reader. DATA_LOSS when the header is not the journal's.
  static absl::StatusOr<RecordReader> Open(std::string_view image);

  bool Next(Record* record);
  // Stops the walk at the record just read (a caller found it unusable), naming why.
  void Reject(const Record& record, std::string why);

  uint64_t end() const { return good_; }
  bool damaged() const { return good_ < image_.size(); }
  const std::string& damage() const { return damage_; }

 private:
  explicit RecordReader(std::string_view image) : image_(image), good_(sizeof(kJournalMagic)) {}
  std::string_view image_;
  uint64_t good_;      // end of the last intact record
  uint64_t next_ = 0;  // where the next record starts (past the one just read); 0 before any
  bool stopped_ = false;
  std::string damage_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_JOURNAL_JOURNAL_RECORD_H_
