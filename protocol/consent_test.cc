#include "protocol/consent.h"

#include <vector>

#include "gtest/gtest.h"

namespace proctor::protocol {
namespace {

TEST(ConsentTest, DetailRoundTripsAndNamesTheNotice) {
  const ConsentRecord c{3, NoticeSha256Hex("notice text"), 1765000000123};
  const std::string detail = ConsentDetail(c);
  EXPECT_EQ(detail, "notice v3 sha256 " + c.notice_sha256_hex + " given 1765000000123");
  EXPECT_LE(detail.size(), kMaxDetailBytes);
  auto parsed = ParseConsentDetail(detail);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->notice_version, 3);
  EXPECT_EQ(parsed->notice_sha256_hex, c.notice_sha256_hex);
  EXPECT_EQ(parsed->given_at_unix_ms, 1765000000123);
}

TEST(ConsentTest, NoticeDigestIsSha256OfTheText) {
  // FIPS 180-2's "abc" vector.
  EXPECT_EQ(NoticeSha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(NoticeSha256Hex("Notice v1"), NoticeSha256Hex("Notice v1 "));
}

TEST(ConsentTest, MalformedDetailsAreRefusedWithTheReason) {
  const std::string hex(64, 'a');
  for (const std::string& bad : std::vector<std::string>{
           "", "yes", "notice 3 sha256 " + hex + " given 1",
           "notice v-1 sha256 " + hex + " given 1",
           "notice v1 sha256 " + hex.substr(1) + " given 1",
           "notice v1 sha256 " + std::string(64, 'A') + " given 1",
           "notice v1 sha256 " + hex + " given 0", "notice v1 sha256 " + hex + " given x",
           "notice v1 sha256 " + hex + " given 1 extra"}) {
    auto parsed = ParseConsentDetail(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConsentTest, BiometricEventsNeedConsentOthersDoNot) {
  Event e;
  for (EventKind k : {EventKind::kIdentityVerified, EventKind::kIdentityMismatch,
                      EventKind::kLivenessPassed, EventKind::kLivenessFailed}) {
    e.kind = k;
    EXPECT_TRUE(NeedsConsent(e)) << EventKindName(k);
  }
  e.kind = EventKind::kHeartbeat;
  EXPECT_FALSE(NeedsConsent(e));
  e.kind = EventKind::kSessionStarted;
  EXPECT_FALSE(NeedsConsent(e));
  e.kind = EventKind::kFaceAbsent;
  EXPECT_FALSE(NeedsConsent(e));
  e.evidence_jpeg = {0xff, 0xd8};
  EXPECT_TRUE(NeedsConsent(e)) << "a frame as evidence is biometric data";
  e.evidence_jpeg.clear();
  e.kind = EventKind::kHeartbeat;
  e.descriptor.assign(128, 0.f);
  EXPECT_TRUE(NeedsConsent(e));
}

}  // namespace
}  // namespace proctor::protocol
