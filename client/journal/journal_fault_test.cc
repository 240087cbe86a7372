// The journal's durability promise — written before it is sent, nothing the caller was told is
// written is lost in a crash — checked in process with a file system that fails on purpose
// (common/testing/fault_injection_env.h), instead of by killing processes.
#include <gtest/gtest.h>

#include <filesystem>

#include "client/journal/journal.h"
#include "common/testing/fault_injection_env.h"
#include "common/testing/platform_testing.h"
#include "common/testing/test_dir.h"

namespace proctor::client {
namespace {

namespace fs = std::filesystem;

class JournalFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = proctor::testing::FreshTestDir("journal_fault"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Journal> Open(JournalOpenReport* report = nullptr) {
    auto journal = Journal::Open(dir_, report, &env_);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? std::move(*journal) : nullptr;
  }

  // A new journal holding a session and `events` appended (and synced).
  std::unique_ptr<Journal> Begin(int events) {
    auto journal = Open();
    JournalMeta meta;
    meta.server = "127.0.0.1:1";
    meta.session_id = "s-1";
    meta.session_token = "token";
    meta.signing_key = SigningKey::Generate().SecretBytes();
    meta.pass_hash = SecretHash("pass");
    EXPECT_TRUE(journal->BeginSession(meta).ok());
    if (events > 0) {
      EXPECT_TRUE(journal->Append(Seal(events)).ok());
    }
    return journal;
  }

  std::vector<SignedEvent> Seal(int count) {
    std::vector<Event> events(count);
    for (int i = 0; i < count; ++i) {
      events[i].kind = EventKind::kHeartbeat;
      events[i].at_ms = at_ms_++ * 1000;
      events[i].evidence_jpeg.assign(300, static_cast<uint8_t>(i));
    }
    return sealer_.SealAll(std::move(events));
  }

  // The machine dies and comes back: what was not durable is gone.
  void PowerCut(std::unique_ptr<Journal>& journal) {
    env_.Crash();
    journal.reset();
    ASSERT_TRUE(env_.DropUnsyncedData().ok());
    env_.Reboot();
  }

  testing::FaultInjectionEnv env_;
  std::string dir_;
  protocol::ChainSealer sealer_{"s-1", SigningKey::Generate()};
  int64_t at_ms_ = 0;
};

TEST_F(JournalFaultTest, CrashBeforeTheSyncLosesOnlyEventsThatWereNeverReportedWritten) {
  auto journal = Begin(3);
  const Hash32 head = journal->head_hash();
  env_.CrashAtSyncNumber(1);
  EXPECT_EQ(journal->Append(Seal(2)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(journal->last_seq(), 3u) << "a failed append must not be offered to the uplink";
  PowerCut(journal);

  JournalOpenReport report;
  journal = Open(&report);
  ASSERT_TRUE(journal);
  EXPECT_EQ(report.damaged_bytes, 0u) << report.damage;
  EXPECT_EQ(journal->last_seq(), 3u);
  EXPECT_EQ(journal->head_hash(), head);
}

TEST_F(JournalFaultTest, CrashRightAfterTheSyncKeepsEverythingAppended) {
  auto journal = Begin(0);
  const auto sealed = Seal(5);
  ASSERT_TRUE(journal->Append(sealed).ok());
  PowerCut(journal);

  journal = Open();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->last_seq(), 5u);
  EXPECT_EQ(journal->head_hash(), sealed.back().hash);
  auto read = journal->Read(1, 10, 1 << 20);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 5u);
  EXPECT_EQ(read->back().signature, sealed.back().signature);
  EXPECT_EQ(read->back().event.evidence_jpeg, sealed.back().event.evidence_jpeg);
}

TEST_F(JournalFaultTest, ATornRecordIsCutOffKeptAsideAndTheChainContinuesAfterTheIntactPart) {
  auto journal = Begin(3);
  const Hash32 head = journal->head_hash();
  env_.TearWriteNumber(1, 10);  // 10 bytes of the next record reach the disk
  EXPECT_FALSE(journal->Append(Seal(1)).ok());
  PowerCut(journal);

  JournalOpenReport report;
  journal = Open(&report);
  ASSERT_TRUE(journal);
  EXPECT_EQ(report.intact_events, 3u);
  EXPECT_EQ(report.damaged_bytes, 10u);
  EXPECT_NE(report.damage.find("cut short"), std::string::npos) << report.damage;
  EXPECT_TRUE(fs::exists(report.damaged_copy));
  EXPECT_EQ(fs::file_size(report.damaged_copy), 10u);
  EXPECT_EQ(journal->head_hash(), head);
  // The client re-seals from the journal's head and carries on.
  protocol::ChainSealer resumed("s-1", SigningKey::Generate(), {3, head});
  std::vector<Event> next(1);
  next[0].kind = EventKind::kHeartbeat;
  EXPECT_TRUE(journal->Append(resumed.SealAll(std::move(next))).ok());
  EXPECT_EQ(journal->last_seq(), 4u);
}

TEST_F(JournalFaultTest, AFailedSyncIsNotCountedAndTheSameEventsAppendOnceItWorks) {
  auto journal = Begin(2);
  const auto batch = Seal(3);
  env_.FailSyncNumber(1);
  const auto failed = journal->Append(batch);
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_NE(failed.message().find("EIO"), std::string::npos) << failed;
  EXPECT_EQ(journal->last_seq(), 2u);
  EXPECT_EQ(journal->pending(), 2u);
  ASSERT_TRUE(journal->Append(batch).ok()) << "the chain did not move: the same events fit";
  EXPECT_EQ(journal->last_seq(), 5u);
  PowerCut(journal);
  JournalOpenReport report;
  journal = Open(&report);
  EXPECT_EQ(report.damaged_bytes, 0u)
      << "no trace of the failed append may remain: " << report.damage;
  EXPECT_EQ(journal->last_seq(), 5u);
  EXPECT_EQ(journal->head_hash(), batch.back().hash);
}

TEST_F(JournalFaultTest, ALostAcknowledgementMeansAResendNeverALoss) {
  auto journal = Begin(4);
  ASSERT_TRUE(journal->MarkAcked(4).ok());  // state.json is not synced, by design
  PowerCut(journal);
  journal = Open();
  EXPECT_EQ(journal->acked_seq(), 0u) << "the power cut took the unsynced acknowledgement";
  EXPECT_EQ(journal->pending(), 4u) << "every event is still there to resend";
}

TEST_F(JournalFaultTest, AClosedSessionStaysClosedAcrossAPowerCut) {
  auto journal = Begin(2);
  ASSERT_TRUE(journal->MarkAcked(2).ok());
  ASSERT_TRUE(journal->MarkClosed("AUTO_ACCEPTED", 0.1).ok());
  PowerCut(journal);
  journal = Open();
  EXPECT_TRUE(journal->closed());
  EXPECT_EQ(journal->closed_verdict(), "AUTO_ACCEPTED");
}

TEST_F(JournalFaultTest, ASessionWhoseMetadataCannotBeSyncedIsNotBegunAndLeavesNoSessionFile) {
  auto journal = Open();
  JournalMeta meta;
  meta.session_id = "s-1";
  meta.signing_key = SigningKey::Generate().SecretBytes();
  env_.FailSyncNumber(1);  // session.json's fsync
  EXPECT_EQ(journal->BeginSession(meta).code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(journal->has_session());
  EXPECT_FALSE(fs::exists(dir_ + "/session.json"));
  env_.CrashAtSyncNumber(1);
  EXPECT_FALSE(journal->BeginSession(meta).ok());
  PowerCut(journal);
  journal = Open();
  EXPECT_FALSE(journal->has_session()) << "a session is begun only once its metadata is durable";
}

}  // namespace
}  // namespace proctor::client
