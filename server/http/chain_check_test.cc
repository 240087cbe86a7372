#include "server/http/chain_check.h"

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace proctor::server::http {
namespace {

class ChainCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Hash32 prev{};
    for (uint64_t seq = 1; seq <= 4; ++seq) {
      StoredEvent s;
      s.event.session_id = "s-1";
      s.event.seq = seq;
      s.event.kind = EventKind::kHeartbeat;
      s.event.at_ms = static_cast<int64_t>(seq) * 1000;
      s.event.detail = "tick";
      s.event.prev_hash = prev;
      if (seq == 2) s.event.evidence_jpeg = {0xff, 0xd8, 1, 2, 3};
      s.hash = EventDigest(s.event);
      s.has_evidence = !s.event.evidence_jpeg.empty();
      evidence_[seq] = s.event.evidence_jpeg;
      s.event.evidence_jpeg.clear();  // as storage returns it
      prev = s.hash;
      events_.push_back(s);
    }
    session_.id = "s-1";
    session_.last_seq = 4;
    session_.head_hash = prev;
    session_.client_public_key.assign(key_.public_key().begin(), key_.public_key().end());
    signatures_ = {Signed(2), Signed(4)};  // two batches: 1-2 and 3-4
  }

  // The client's signature of head `seq`, over the hash of that event.
  BatchSignature Signed(uint64_t seq) const {
    const Hash32& hash = events_[seq - 1].hash;
    return {seq, key_.Sign(hash.data(), hash.size())};
  }

  SignatureCheck Signatures() const {
    return VerifyBatchSignatures(session_, events_, signatures_);
  }

  ChainCheck Check() {
    return VerifyChain(session_, events_,
                       [this](uint64_t seq) -> absl::StatusOr<std::vector<uint8_t>> {
                         if (purged_) return absl::NotFoundError("purged");
                         return evidence_[seq];
                       });
  }

  SigningKey key_ = SigningKey::Generate();
  SessionRecord session_;
  std::vector<StoredEvent> events_;
  std::vector<BatchSignature> signatures_;
  std::map<uint64_t, std::vector<uint8_t>> evidence_;
  bool purged_ = false;
};

TEST_F(ChainCheckTest, IntactSessionVerifiesEveryHashLinkAndTheHead) {
  const ChainCheck c = Check();
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.events, 4u);
  EXPECT_EQ(c.recomputed, 4u);
  EXPECT_EQ(c.linked, 4u);
  EXPECT_TRUE(c.head_matches);
}

TEST_F(ChainCheckTest, AlteredFieldIsCaughtByRecomputingItsHash) {
  events_[2].event.detail = "edited later";
  const ChainCheck c = Check();
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.recomputed, 3u);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_NE(c.problems[0].find("seq 3"), std::string::npos);
}

TEST_F(ChainCheckTest, AlteredEvidenceIsCaughtBecauseTheHashCoversIt) {
  evidence_[2] = {0xff, 0xd8, 9, 9, 9};
  EXPECT_FALSE(Check().ok());
}

TEST_F(ChainCheckTest, RemovedEventBreaksTheLinkAndTheHead) {
  events_.erase(events_.begin() + 1);
  const ChainCheck c = Check();
  EXPECT_FALSE(c.ok());
  EXPECT_LT(c.linked, 3u);
  EXPECT_FALSE(c.head_matches);
}

TEST_F(ChainCheckTest, PurgedEvidenceIsCountedAsUnverifiableNotAsVerified) {
  purged_ = true;
  const ChainCheck c = Check();
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.unverifiable, 1u);
  EXPECT_EQ(c.recomputed, 3u);
  EXPECT_EQ(c.linked, 4u);
}

TEST_F(ChainCheckTest, EveryStoredBatchSignatureVerifiesWithTheSessionKey) {
  const SignatureCheck g = Signatures();
  EXPECT_TRUE(g.ok());
  EXPECT_EQ(g.signatures, 2u);
  EXPECT_EQ(g.verified, 2u);
  EXPECT_TRUE(g.failed.empty());
  EXPECT_EQ(g.last_signed_seq, 4u);
  EXPECT_EQ(g.unsigned_events, 0u);
}

TEST_F(ChainCheckTest, TamperedSignatureFailsAndIsNamedBySeq) {
  signatures_[0].signature[10] ^= 0x01;
  const SignatureCheck g = Signatures();
  EXPECT_FALSE(g.ok());
  EXPECT_EQ(g.verified, 1u);
  EXPECT_EQ(g.failed, std::vector<uint64_t>{2});
  ASSERT_EQ(g.problems.size(), 1u);
  EXPECT_NE(g.problems[0].find("seq 2"), std::string::npos) << g.problems[0];
}

TEST_F(ChainCheckTest, SignatureOverAnAlteredStoredHashFails) {
  events_[3].hash[0] ^= 0x80;  // the chain check catches this too; the signature no longer fits
  const SignatureCheck g = Signatures();
  EXPECT_EQ(g.verified, 1u);
  EXPECT_EQ(g.failed, std::vector<uint64_t>{4});
}

TEST_F(ChainCheckTest, AnotherKeyFailsEverySignatureAndABadKeySizeToo) {
  const SigningKey other = SigningKey::Generate();
  session_.client_public_key.assign(other.public_key().begin(), other.public_key().end());
  EXPECT_EQ(Signatures().failed, (std::vector<uint64_t>{2, 4}));
  session_.client_public_key.resize(31);
  const SignatureCheck g = Signatures();
  EXPECT_EQ(g.verified, 0u);
  EXPECT_EQ(g.failed, (std::vector<uint64_t>{2, 4}));
  EXPECT_NE(g.problems[0].find("not 32"), std::string::npos) << g.problems[0];
}

TEST_F(ChainCheckTest, SignatureOfAnEventThatIsNotStoredFails) {
  BatchSignature ghost = Signed(4);
  ghost.head_seq = 7;
  signatures_.push_back(ghost);
  const SignatureCheck g = Signatures();
  EXPECT_EQ(g.verified, 2u);
  EXPECT_EQ(g.failed, std::vector<uint64_t>{7});
  EXPECT_NE(g.problems[0].find("no such event"), std::string::npos) << g.problems[0];
}

TEST_F(ChainCheckTest, EventsAfterTheLastSignedHeadAreUnsigned) {
  signatures_.pop_back();  // the second batch's signature is missing
  SignatureCheck g = Signatures();
  EXPECT_FALSE(g.ok());
  EXPECT_EQ(g.verified, 1u);
  EXPECT_TRUE(g.failed.empty());
  EXPECT_EQ(g.last_signed_seq, 2u);
  EXPECT_EQ(g.unsigned_events, 2u);
  signatures_.clear();  // a session stored before signatures were kept
  g = Signatures();
  EXPECT_EQ(g.verified, 0u);
  EXPECT_EQ(g.unsigned_events, 4u);
}

}  // namespace
}  // namespace proctor::server::http
