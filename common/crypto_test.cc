#include "common/crypto.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/testing/platform_testing.h"
#include "gtest/gtest.h"

namespace proctor {
namespace {

Event SampleEvent() {
  Event e;
  e.session_id = "s-1";
  e.seq = 7;
  e.kind = EventKind::kIdentityVerified;
  e.at_ms = 12345;
  e.descriptor.assign(128, 0.25f);
  e.client_distance = 0.31f;
  e.face_count = 1;
  e.evidence_jpeg = {0xff, 0xd8, 0xff};
  e.detail = "ok";
  return e;
}

TEST(EventDigestTest, ChangesWhenAnyFieldChanges) {
  const Event base = SampleEvent();
  const Hash32 h = EventDigest(base);
  EXPECT_EQ(h, EventDigest(base));
  std::vector<Event> variants(9, base);
  variants[0].session_id = "s-2";
  variants[1].seq = 8;
  variants[2].kind = EventKind::kIdentityMismatch;
  variants[3].at_ms = 12346;
  variants[4].descriptor[77] = 0.26f;
  variants[5].client_distance = 0.32f;
  variants[6].evidence_jpeg.push_back(0);
  variants[7].detail = "ok!";
  variants[8].prev_hash[31] = 1;
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(EventDigest(variants[i]), h) << "variant " << i;
  }
}

TEST(EventDigestTest, LengthPrefixesKeepFieldBoundaries) {
  Event a = SampleEvent(), b = SampleEvent();
  a.detail = "ab";
  a.evidence_jpeg = {'x'};
  b.detail = "xab";
  b.evidence_jpeg = {};
  EXPECT_NE(EventDigest(a), EventDigest(b));
}

TEST(SigningTest, VerifiesOwnSignatureAndRejectsTampering) {
  const SigningKey key = SigningKey::Generate();
  const Hash32 head = EventDigest(SampleEvent());
  const Signature sig = key.Sign(head.data(), head.size());
  EXPECT_TRUE(VerifySignature(key.public_key(), head.data(), head.size(), sig));
  Hash32 other = head;
  other[0] ^= 1;
  EXPECT_FALSE(VerifySignature(key.public_key(), other.data(), other.size(), sig));
  const SigningKey stranger = SigningKey::Generate();
  EXPECT_FALSE(VerifySignature(stranger.public_key(), head.data(), head.size(), sig));
}

TEST(SigningTest, RoundTripsSecretBytes) {
  const SigningKey key = SigningKey::Generate();
  auto copy = SigningKey::FromBytes(key.SecretBytes());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->public_key(), key.public_key());
  EXPECT_FALSE(SigningKey::FromBytes(std::vector<uint8_t>(10)).ok());
}

TEST(SealedBoxTest, OpensWhatItSealedAndRejectsAnyChange) {
  std::array<uint8_t, 32> k{};
  k[0] = 9;
  const SealedBox box = SealedBox::FromKeyForTest(k);
  const std::vector<uint8_t> secret = {1, 2, 3, 4, 5};
  const auto sealed = box.Seal(secret, "template:alice");
  EXPECT_EQ(sealed.size(), secret.size() + 24 + 16);
  auto opened = box.Open(sealed, "template:alice");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, secret);
  EXPECT_EQ(box.Open(sealed, "template:bob").status().code(), absl::StatusCode::kDataLoss);
  auto flipped = sealed;
  flipped[30] ^= 0x80;
  EXPECT_EQ(box.Open(flipped, "template:alice").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(box.Open({1, 2}, "x").status().code(), absl::StatusCode::kDataLoss);
  k[0] = 10;
  EXPECT_FALSE(SealedBox::FromKeyForTest(k).Open(sealed, "template:alice").ok());
}

TEST(SealedBoxTest, KeyFileIsCreatedPrivateAndReused) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("proctor_key_" + std::to_string(testing::ProcessId()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "storage.key").string();
  auto first = SealedBox::OpenKeyFile(path);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string why;
  if (!testing::UnderWine()) {
    EXPECT_TRUE(testing::IsOwnerOnly(path, &why)) << why;
  }
  EXPECT_EQ(std::filesystem::file_size(path), 32u);
  const auto sealed = first->Seal({42}, "ad");
  auto second = SealedBox::OpenKeyFile(path);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->Open(sealed, "ad").ok());
  std::ofstream(path, std::ios::trunc) << "short";
  EXPECT_EQ(SealedBox::OpenKeyFile(path).status().code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

TEST(TokenTest, RandomTokensAreDistinctBase32AndHashStable) {
  const std::string a = RandomToken(20), b = RandomToken(20);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
  EXPECT_EQ(SecretHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EventKindTest, NamesRoundTrip) {
  for (int i = 1; i <= kMaxEventKind; ++i) {
    const auto kind = static_cast<EventKind>(i);
    EXPECT_EQ(EventKindFromName(EventKindName(kind)), kind);
  }
  EXPECT_EQ(EventKindName(EventKind::kEvidenceMismatch), "EVIDENCE_MISMATCH");
  EXPECT_FALSE(EventKindFromName("NOT_A_KIND").has_value());
}

}  // namespace
}  // namespace proctor

namespace proctor {
namespace {

// The streamed digest is SHA-256: the FIPS 180-2 "abc" vector, fed in pieces, and equal to the
// one-shot SecretHash of the same bytes.
TEST(Sha256StreamTest, MatchesTheStandardVectorWhenFedInPieces) {
  Sha256Stream stream;
  stream.Update(reinterpret_cast<const uint8_t*>("a"), 1);
  stream.Update(reinterpret_cast<const uint8_t*>("bc"), 2);
  const auto digest = stream.Finish();
  EXPECT_EQ(ToHex(digest.data(), digest.size()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(digest.data(), digest.size()), SecretHash("abc"));
}

}  // namespace
}  // namespace proctor
