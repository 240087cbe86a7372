#include "protocol/chain.h"

#include <gtest/gtest.h>

namespace proctor::protocol {
namespace {

Event Heartbeat(int64_t at_ms) {
  Event e;
  e.kind = EventKind::kHeartbeat;
  e.at_ms = at_ms;
  return e;
}

TEST(ChainSealerTest, SealsContiguousChainedSignedEvents) {
  SigningKey key = SigningKey::Generate();
  const PublicKey pub = key.public_key();
  ChainSealer sealer("s-1", std::move(key));
  auto sealed = sealer.SealAll({Heartbeat(0), Heartbeat(1000), Heartbeat(2000)});
  ASSERT_EQ(sealed.size(), 3u);
  Hash32 previous{};
  for (size_t i = 0; i < sealed.size(); ++i) {
    EXPECT_EQ(sealed[i].event.session_id, "s-1");
    EXPECT_EQ(sealed[i].event.seq, i + 1);
    EXPECT_EQ(sealed[i].event.prev_hash, previous);
    EXPECT_EQ(sealed[i].hash, EventDigest(sealed[i].event));
    EXPECT_TRUE(VerifyBatchHead(pub, sealed[i].hash, sealed[i].signature));
    previous = sealed[i].hash;
  }
  EXPECT_EQ(sealer.head().seq, 3u);
  EXPECT_EQ(sealer.head().hash, previous);
}

TEST(ChainSealerTest, ContinuesAfterAGivenHead) {
  ChainSealer first("s-1", SigningKey::Generate());
  auto a = first.SealAll({Heartbeat(0), Heartbeat(1)});
  ChainSealer second("s-1", SigningKey::Generate(), first.head());
  auto b = second.Seal(Heartbeat(2));
  EXPECT_EQ(b.event.seq, 3u);
  EXPECT_EQ(b.event.prev_hash, a.back().hash);
}

TEST(ChainVerifierTest, AcceptsWhatTheSealerSeals) {
  ChainSealer sealer("s-1", SigningKey::Generate());
  ChainVerifier verifier;
  for (int i = 0; i < 5; ++i) {
    auto e = sealer.Seal(Heartbeat(i));
    Hash32 h{};
    ASSERT_TRUE(verifier.Append(e.event, &h).ok());
    EXPECT_EQ(h, e.hash);
  }
  EXPECT_EQ(verifier.head().seq, 5u);
  EXPECT_EQ(verifier.head().hash, sealer.head().hash);
}

TEST(ChainVerifierTest, RefusesAGapNamingTheExpectedSeqAndKeepsItsHead) {
  ChainSealer sealer("s-1", SigningKey::Generate());
  ChainVerifier verifier;
  ASSERT_TRUE(verifier.Append(sealer.Seal(Heartbeat(0)).event).ok());
  (void)sealer.Seal(Heartbeat(1));  // lost
  auto third = sealer.Seal(Heartbeat(2));
  EXPECT_EQ(CheckLink(verifier.head(), third.event), LinkFault::kGap);
  auto s = verifier.Append(third.event);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("expected seq 2, got seq 3"), std::string::npos) << s;
  EXPECT_EQ(verifier.head().seq, 1u);
}

TEST(ChainVerifierTest, RefusesAForeignPrevHash) {
  ChainSealer sealer("s-1", SigningKey::Generate());
  ChainVerifier verifier;
  ASSERT_TRUE(verifier.Append(sealer.Seal(Heartbeat(0)).event).ok());
  auto second = sealer.Seal(Heartbeat(1));
  second.event.prev_hash[0] ^= 1;
  EXPECT_EQ(CheckLink(verifier.head(), second.event), LinkFault::kPrevHash);
  auto s = verifier.Append(second.event);
  EXPECT_NE(s.message().find("broken hash chain at seq 2"), std::string::npos) << s;
}

TEST(ChainVerifierTest, RebasesForwardOnly) {
  ChainVerifier verifier;
  Hash32 h{};
  h[0] = 7;
  ASSERT_TRUE(verifier.Rebase({10, h}).ok());
  EXPECT_EQ(verifier.head().seq, 10u);
  EXPECT_EQ(verifier.Rebase({3, h}).code(), absl::StatusCode::kInvalidArgument);
  Event next = Heartbeat(0);
  next.seq = 11;
  next.prev_hash = h;
  EXPECT_TRUE(verifier.Append(next).ok());
}

TEST(VerifyBatchHeadTest, RefusesAnotherKeyOrAlteredHash) {
  ChainSealer sealer("s-1", SigningKey::Generate());
  auto e = sealer.Seal(Heartbeat(0));
  const PublicKey other = SigningKey::Generate().public_key();
  EXPECT_TRUE(VerifyBatchHead(sealer.key().public_key(), e.hash, e.signature));
  EXPECT_FALSE(VerifyBatchHead(other, e.hash, e.signature));
  Hash32 altered = e.hash;
  altered[31] ^= 0x80;
  EXPECT_FALSE(VerifyBatchHead(sealer.key().public_key(), altered, e.signature));
}

}  // namespace
}  // namespace proctor::protocol
