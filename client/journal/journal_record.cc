#include "client/journal/journal_record.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proctor/v1/types.pb.h"
#include "protocol/event_codec.h"

namespace proctor::client {
namespace {

std::array<uint8_t, 16> Checksum(uint8_t type, std::string_view payload) {
  std::array<uint8_t, 16> out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, &type, 1);
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(payload.data()),
                            payload.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

void PutLE(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

std::string EncodeRecord(RecordType type, std::string_view payload) {
  std::string record;
  record.reserve(kRecordHeaderSize + payload.size());
  record.push_back(static_cast<char>(type));
  PutLE(record, payload.size(), 4);
  const auto sum = Checksum(static_cast<uint8_t>(type), payload);
  record.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  record.append(payload);
  return record;
}

std::string EncodeEventPayload(const protocol::SignedEvent& e) {
  v1::Event proto;
  protocol::EventToProto(e.event, &proto);
  std::string payload(reinterpret_cast<const char*>(e.signature.data()), e.signature.size());
  payload += proto.SerializeAsString();
  return payload;
}

absl::StatusOr<protocol::SignedEvent> DecodeEventPayload(std::string_view payload) {
  if (payload.size() < 64) return absl::DataLossError("event record shorter than a signature");
  v1::Event proto;
  if (!proto.ParseFromArray(payload.data() + 64, static_cast<int>(payload.size() - 64))) {
    return absl::DataLossError("event record does not parse");
  }
  auto event = protocol::EventFromProto(proto);
  if (!event.ok()) return absl::DataLossError(event.status().message());
  protocol::SignedEvent out;
  std::memcpy(out.signature.data(), payload.data(), 64);
  out.hash = EventDigest(*event);
  out.event = std::move(*event);
  return out;
}

std::string EncodeRebasePayload(const protocol::ChainHead& head) {
  std::string payload;
  PutLE(payload, head.seq, 8);
  payload.append(reinterpret_cast<const char*>(head.hash.data()), head.hash.size());
  return payload;
}

absl::StatusOr<protocol::ChainHead> DecodeRebasePayload(std::string_view payload) {
  if (payload.size() != 40) return absl::DataLossError("a rebase record is malformed");
  protocol::ChainHead head;
  head.seq = GetLE(payload.data(), 8);
  std::memcpy(head.hash.data(), payload.data() + 8, 32);
  return head;
}

absl::StatusOr<RecordReader> RecordReader::Open(std::string_view image) {
  if (image.size() < sizeof(kJournalMagic) ||
      std::memcmp(image.data(), kJournalMagic, sizeof(kJournalMagic)) != 0) {
    return absl::DataLossError("not a proctor journal (bad header)");
  }
  return RecordReader(image);
}

bool RecordReader::Next(Record* record) {
  if (stopped_) return false;
  good_ = next_ == 0 ? good_ : next_;
  const uint64_t at = good_;
  const uint64_t left = image_.size() - at;
  if (left == 0) return false;
  auto stop = [&](std::string why) {
    stopped_ = true;
    damage_ = std::move(why);
    return false;
  };
  if (left < kRecordHeaderSize) return stop("a record is cut short (torn write)");
  const uint8_t type = static_cast<uint8_t>(image_[at]);
  const uint64_t size = GetLE(&image_[at + 1], 4);
  if ((type != static_cast<uint8_t>(RecordType::kEvent) &&
       type != static_cast<uint8_t>(RecordType::kRebase)) ||
      size > kMaxRecordPayload) {
    return stop(absl::StrCat("a record header is corrupt at byte ", at));
  }
  if (left - kRecordHeaderSize < size) return stop("a record is cut short (torn write)");
  const std::string_view payload = image_.substr(at + kRecordHeaderSize, size);
  if (std::memcmp(Checksum(type, payload).data(), &image_[at + 5], 16) != 0) {
    return stop(absl::StrCat("a record's checksum does not match at byte ", at));
  }
  *record = Record{static_cast<RecordType>(type), at, at + kRecordHeaderSize, payload};
  next_ = at + kRecordHeaderSize + size;
  return true;
}

void RecordReader::Reject(const Record& record, std::string why) {
  stopped_ = true;
  good_ = record.offset;
  next_ = record.offset;
  damage_ = std::move(why);
}

}  // namespace proctor::client
