#include "protocol/event_codec.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "protocol/testing/identity_fixtures.h"

namespace proctor::protocol {
namespace {

TEST(EventCodecTest, RoundTripsEveryField) {
  Event e;
  e.session_id = "s-1";
  e.seq = 42;
  e.kind = EventKind::kLookingAway;
  e.phase = EventPhase::kEnd;
  e.at_ms = 12'345;
  e.duration_ms = 6'000;
  e.descriptor = testing::HonestProbe();
  e.client_distance = 0.25f;
  e.face_count = 1;
  e.evidence_jpeg = {0xff, 0xd8, 0xff, 0xd9};
  e.detail = "head turned 31°";
  e.prev_hash[3] = 9;
  v1::Event proto;
  EventToProto(e, &proto);
  auto back = EventFromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EventDigest(*back), EventDigest(e));
  EXPECT_EQ(back->detail, e.detail);
  EXPECT_EQ(back->evidence_jpeg, e.evidence_jpeg);
}

TEST(EventCodecTest, RefusesMalformedWireEvents) {
  v1::Event proto;
  proto.set_seq(3);
  proto.set_kind(v1::HEARTBEAT);
  proto.set_prev_hash(std::string(31, '\0'));
  auto short_hash = EventFromProto(proto);
  EXPECT_EQ(short_hash.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_hash.status().message().find("32 bytes"), std::string::npos);
  proto.set_prev_hash(std::string(32, '\0'));
  proto.set_kind(static_cast<v1::EventKind>(99));
  EXPECT_EQ(EventFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
  proto.set_kind(v1::EVENT_KIND_UNSPECIFIED);
  EXPECT_EQ(EventFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EventCodecTest, TemplatesTravelInOrderWithTheFirstAsTheLegacyReference) {
  const auto templates = testing::ThreeTemplatesWeakFirst();
  v1::OpenSessionResponse response;
  TemplatesToProto(templates, &response);
  ASSERT_EQ(response.enrolled_templates_size(), 3);
  EXPECT_EQ(std::vector<float>(response.reference_descriptor().begin(),
                               response.reference_descriptor().end()),
            templates[0]);
  auto back = TemplatesFromProto(response);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, templates);
}

TEST(EventCodecTest, AnOlderServersSingleReferenceIsOneTemplate) {
  v1::OpenSessionResponse response;
  const auto reference = testing::HonestProbe();
  response.mutable_reference_descriptor()->Assign(reference.begin(), reference.end());
  auto back = TemplatesFromProto(response);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(back->front(), reference);
  EXPECT_TRUE(TemplatesFromProto(v1::OpenSessionResponse())->empty());
}

TEST(EventCodecTest, AMalformedTemplateFromTheServerIsRefused) {
  v1::OpenSessionResponse response;
  response.add_enrolled_templates()->add_values(0.5f);
  EXPECT_EQ(TemplatesFromProto(response).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatusCodecTest, KeepsTheCodeAndSaysWhatFailed) {
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "x").ok());
  auto s = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown exam pass"),
                          "opening the session at h:1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "opening the session at h:1: unknown exam pass");
  for (int c = 0; c <= 16; ++c) {
    EXPECT_EQ(static_cast<int>(ToGrpcCode(static_cast<absl::StatusCode>(c))), c);
  }
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kUnauthenticated));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kAlreadyExists));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace proctor::protocol
