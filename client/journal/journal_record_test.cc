#include "client/journal/journal_record.h"

#include <gtest/gtest.h>

namespace proctor::client {
namespace {

std::string Image(const std::vector<std::string>& records) {
  std::string image(kJournalMagic, sizeof(kJournalMagic));
  for (const auto& r : records) image += r;
  return image;
}

protocol::SignedEvent Sealed(protocol::ChainSealer& sealer, int64_t at_ms) {
  Event e;
  e.kind = EventKind::kHeartbeat;
  e.at_ms = at_ms;
  return sealer.Seal(e);
}

TEST(JournalRecordTest, EventsAndRebasesRoundTripThroughTheReader) {
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  const auto a = Sealed(sealer, 0);
  const auto b = Sealed(sealer, 1000);
  const protocol::ChainHead rebase{7, b.hash};
  const std::string image = Image({EncodeRecord(RecordType::kEvent, EncodeEventPayload(a)),
                                   EncodeRecord(RecordType::kRebase, EncodeRebasePayload(rebase)),
                                   EncodeRecord(RecordType::kEvent, EncodeEventPayload(b))});
  auto reader = RecordReader::Open(image);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Record r;
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_EQ(r.type, RecordType::kEvent);
  EXPECT_EQ(r.offset, sizeof(kJournalMagic));
  auto decoded = DecodeEventPayload(r.payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->hash, a.hash);
  EXPECT_EQ(decoded->signature, a.signature);
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_EQ(r.type, RecordType::kRebase);
  auto head = DecodeRebasePayload(r.payload);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 7u);
  EXPECT_EQ(head->hash, b.hash);
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_FALSE(reader->Next(&r));
  EXPECT_FALSE(reader->damaged());
  EXPECT_EQ(reader->end(), image.size());
}

TEST(JournalRecordTest, EachKindOfDamageStopsTheReaderAtTheLastIntactRecord) {
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  const std::string first = EncodeRecord(RecordType::kEvent, EncodeEventPayload(Sealed(sealer, 0)));
  const std::string second =
      EncodeRecord(RecordType::kEvent, EncodeEventPayload(Sealed(sealer, 1)));
  const uint64_t intact_end = sizeof(kJournalMagic) + first.size();
  struct Case {
    std::string name, tail, damage;
  };
  std::string flipped = second;
  flipped[kRecordHeaderSize + 3] ^= 0x20;
  std::string bad_type = second;
  bad_type[0] = 9;
  const std::vector<Case> cases = {
      {"torn header", second.substr(0, 7), "cut short"},
      {"torn payload", second.substr(0, second.size() - 1), "cut short"},
      {"flipped byte", flipped, "checksum does not match"},
      {"unknown type", bad_type, "header is corrupt"},
  };
  for (const Case& c : cases) {
    const std::string image = Image({first, c.tail});
    auto reader = RecordReader::Open(image);
    ASSERT_TRUE(reader.ok());
    Record r;
    ASSERT_TRUE(reader->Next(&r)) << c.name;
    EXPECT_FALSE(reader->Next(&r)) << c.name;
    EXPECT_TRUE(reader->damaged()) << c.name;
    EXPECT_EQ(reader->end(), intact_end) << c.name;
    EXPECT_NE(reader->damage().find(c.damage), std::string::npos)
        << c.name << ": " << reader->damage();
  }
}

TEST(JournalRecordTest, ARejectedRecordEndsTheIntactPartBeforeIt) {
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  const std::string first = EncodeRecord(RecordType::kEvent, EncodeEventPayload(Sealed(sealer, 0)));
  const std::string image = Image({first, first});
  auto reader = RecordReader::Open(image);
  Record r;
  ASSERT_TRUE(reader->Next(&r));
  ASSERT_TRUE(reader->Next(&r));
  reader->Reject(r, "the hash chain breaks at seq 1");
  EXPECT_FALSE(reader->Next(&r));
  EXPECT_TRUE(reader->damaged());
  EXPECT_EQ(reader->end(), sizeof(kJournalMagic) + first.size());
  EXPECT_EQ(reader->damage(), "the hash chain breaks at seq 1");
}

TEST(JournalRecordTest, RefusesWhatIsNotAJournalAndMalformedPayloads) {
  EXPECT_EQ(RecordReader::Open("PRJNL002xxxx").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RecordReader::Open("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRebasePayload(std::string(39, 'x')).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventPayload(std::string(10, 'x')).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventPayload(std::string(64, '\0') + "\xff\xff").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace proctor::client
