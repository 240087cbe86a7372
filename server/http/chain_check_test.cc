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
  }

  ChainCheck Check() {
    return VerifyChain(session_, events_,
                       [this](uint64_t seq) -> absl::StatusOr<std::vector<uint8_t>> {
                         if (purged_) return absl::NotFoundError("purged");
                         return evidence_[seq];
                       });
  }

  SessionRecord session_;
  std::vector<StoredEvent> events_;
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

}  // namespace
}  // namespace proctor::server::http
