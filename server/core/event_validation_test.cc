#include "server/core/event_validation.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace proctor::server {
namespace {

Event Identity(uint64_t seq) {
  Event e;
  e.session_id = "s-1";
  e.seq = seq;
  e.kind = EventKind::kIdentityVerified;
  e.at_ms = 1000 * static_cast<int64_t>(seq);
  e.descriptor.assign(128, 0.1f);
  e.client_distance = 0.3f;
  e.face_count = 1;
  return e;
}

void ExpectInvalid(const Event& e, const std::string& fragment) {
  const absl::Status s = ValidateEvent(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << fragment;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

TEST(EventValidationTest, AcceptsWellFormedEvents) {
  EXPECT_TRUE(ValidateEvent(Identity(1)).ok());
  Event end;
  end.session_id = "s-1";
  end.seq = 2;
  end.kind = EventKind::kFaceAbsent;
  end.phase = EventPhase::kEnd;
  end.at_ms = 9000;
  end.duration_ms = 4000;
  EXPECT_TRUE(ValidateEvent(end).ok());
}

TEST(EventValidationTest, RejectsEachBrokenField) {
  Event e = Identity(1);
  e.descriptor.resize(127);
  ExpectInvalid(e, "128 values");
  e = Identity(1);
  e.descriptor[5] = std::numeric_limits<float>::quiet_NaN();
  ExpectInvalid(e, "value 5");
  e = Identity(1);
  e.descriptor[9] = std::numeric_limits<float>::infinity();
  ExpectInvalid(e, "value 9");
  e = Identity(1);
  e.seq = 0;
  ExpectInvalid(e, "seq starts at 1");
  e = Identity(1);
  e.kind = EventKind::kEvidenceMismatch;
  ExpectInvalid(e, "server only");
  e = Identity(1);
  e.kind = static_cast<EventKind>(99);
  ExpectInvalid(e, "unknown event kind");
  e = Identity(1);
  e.phase = EventPhase::kBegin;
  ExpectInvalid(e, "instant");
  e = Identity(1);
  e.at_ms = -1;
  ExpectInvalid(e, "at_ms");
  e = Identity(1);
  e.client_distance = 7;
  ExpectInvalid(e, "client_distance");
  e = Identity(1);
  e.face_count = 65;
  ExpectInvalid(e, "face_count");
  e = Identity(1);
  e.evidence_jpeg.resize(kMaxEvidenceBytes + 1);
  ExpectInvalid(e, "limit");
  e = Identity(1);
  e.detail = std::string("\xff\xfe", 2);
  ExpectInvalid(e, "UTF-8");
  e = Identity(1);
  e.detail = std::string(300, 'a');
  ExpectInvalid(e, "256");
  e = Identity(1);
  e.session_id = "";
  ExpectInvalid(e, "session_id");
  e = Identity(1);
  e.kind = EventKind::kHeartbeat;
  ExpectInvalid(e, "only identity events carry a descriptor");
}

TEST(EventValidationTest, AcceptsMultibyteUtf8Detail) {
  Event e = Identity(1);
  e.detail = "tourné à gauche 35° — 顔";
  EXPECT_TRUE(ValidateEvent(e).ok());
  e.detail = std::string("\xed\xa0\x80", 3);  // a UTF-16 surrogate encoded as UTF-8
  ExpectInvalid(e, "UTF-8");
}

TEST(EventValidationTest, BatchMustBeConsecutiveAndOrdered) {
  std::vector<Event> batch = {Identity(4), Identity(5), Identity(6)};
  EXPECT_TRUE(ValidateBatch(batch).ok());
  EXPECT_FALSE(ValidateBatch({}).ok());
  batch[2].seq = 7;
  EXPECT_EQ(ValidateBatch(batch).code(), absl::StatusCode::kInvalidArgument);
  batch[2].seq = 6;
  batch[2].at_ms = 1;
  EXPECT_EQ(ValidateBatch(batch).code(), absl::StatusCode::kInvalidArgument);
  batch[2].at_ms = 6000;
  batch[1].session_id = "other";
  EXPECT_EQ(ValidateBatch(batch).code(), absl::StatusCode::kInvalidArgument);
  std::vector<Event> big(kMaxBatchEvents + 1, Identity(1));
  EXPECT_EQ(ValidateBatch(big).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace proctor::server
