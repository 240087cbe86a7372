#include "client/journal/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/testing/platform_testing.h"
#include "common/testing/test_dir.h"
#include "nlohmann/json.hpp"

namespace proctor::client {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = proctor::testing::FreshTestDir("journal_test"); }
  void TearDown() override { fs::remove_all(dir_); }

  JournalMeta Meta() {
    JournalMeta meta;
    meta.server = "127.0.0.1:1";
    meta.session_id = "s-1";
    meta.session_token = "token";
    meta.signing_key = key_.SecretBytes();
    meta.pass_hash = SecretHash("pass");
    meta.templates = {std::vector<float>(128, 0.25f), std::vector<float>(128, -0.125f)};
    meta.match_threshold = 0.55f;
    meta.identity_interval_ms = 30000;
    return meta;
  }

  std::unique_ptr<Journal> OpenJournal(JournalOpenReport* report = nullptr) {
    auto journal = Journal::Open(dir_.string(), report);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? std::move(*journal) : nullptr;
  }

  std::vector<SignedEvent> MakeEvents(protocol::ChainSealer& sealer, int count, int64_t at_ms) {
    std::vector<Event> events;
    for (int i = 0; i < count; ++i) {
      Event e;
      e.kind = EventKind::kHeartbeat;
      e.at_ms = at_ms + i;
      e.face_count = 1;
      e.evidence_jpeg.assign(100, static_cast<uint8_t>(i));
      events.push_back(e);
    }
    return sealer.SealAll(std::move(events));
  }

  SigningKey key_ = SigningKey::Generate();
  fs::path dir_;
};

TEST_F(JournalTest, AppendedEventsSurviveReopenWithChainAndSignatures) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal);
  EXPECT_FALSE(journal->has_session());
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", std::move(*SigningKey::FromBytes(key_.SecretBytes())));
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 5, 100)).ok());
  ASSERT_TRUE(journal->MarkAcked(3).ok());
  const Hash32 head = journal->head_hash();
  journal.reset();

  JournalOpenReport report;
  journal = OpenJournal(&report);
  ASSERT_TRUE(journal);
  EXPECT_EQ(report.damaged_bytes, 0u);
  EXPECT_EQ(report.intact_events, 5u);
  ASSERT_TRUE(journal->has_session());
  EXPECT_EQ(journal->meta()->session_id, "s-1");
  ASSERT_EQ(journal->meta()->templates.size(), 2u);
  EXPECT_EQ(journal->meta()->templates[1], std::vector<float>(128, -0.125f));
  EXPECT_EQ(journal->meta()->match_threshold, 0.55f);
  EXPECT_EQ(journal->last_seq(), 5u);
  EXPECT_EQ(journal->head_hash(), head);
  EXPECT_EQ(journal->acked_seq(), 3u);
  EXPECT_EQ(journal->pending(), 2u);
  EXPECT_EQ(journal->last_at_ms(), 104);

  auto events = journal->Read(4, 10, 1 << 20);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].event.seq, 4u);
  EXPECT_EQ((*events)[1].event.prev_hash, (*events)[0].hash);
  EXPECT_EQ((*events)[1].hash, head);
  EXPECT_EQ((*events)[1].event.evidence_jpeg.size(), 100u);
  EXPECT_TRUE(VerifySignature(key_.public_key(), head.data(), head.size(), (*events)[1].signature));
}

TEST_F(JournalTest, FilesAreOwnerOnly) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  for (const char* name : {"", "/session.json", "/events.log"}) {
    std::string why;
    EXPECT_TRUE(std::filesystem::exists(dir_.string() + name)) << name;
    if (!testing::UnderWine()) {  // see UnderWine()
      EXPECT_TRUE(testing::IsOwnerOnly(dir_.string() + name, &why)) << why;
    }
  }
}

TEST_F(JournalTest, RefusesEventsThatDoNotContinueTheChain) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  auto events = MakeEvents(sealer, 3, 0);
  ASSERT_TRUE(journal->Append({events[0]}).ok());
  auto status = journal->Append({events[2]});  // skips seq 2
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(journal->last_seq(), 1u);
  protocol::ChainSealer other("s-1", SigningKey::Generate(), {1, Hash32{}});  // wrong prev_hash
  EXPECT_EQ(journal->Append(MakeEvents(other, 1, 5)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(journal->Append({events[1], events[2]}).ok());
  EXPECT_EQ(journal->last_seq(), 3u);
}

TEST_F(JournalTest, TornTailIsCutOffKeptAsideAndReported) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 4, 0)).ok());
  const auto head3 = *journal->HashAt(3);
  journal.reset();
  const auto log = dir_ / "events.log";
  const auto size = fs::file_size(log);
  fs::resize_file(log, size - 30);  // the last record loses its end

  JournalOpenReport report;
  journal = OpenJournal(&report);
  ASSERT_TRUE(journal);
  EXPECT_EQ(report.intact_events, 3u);
  EXPECT_GT(report.damaged_bytes, 0u);
  EXPECT_NE(report.damage.find("cut short"), std::string::npos) << report.damage;
  EXPECT_TRUE(fs::exists(report.damaged_copy));
  EXPECT_EQ(fs::file_size(report.damaged_copy), report.damaged_bytes);
  EXPECT_EQ(journal->last_seq(), 3u);
  EXPECT_EQ(journal->head_hash(), head3);

  // The chain continues where the intact part ends, and that survives another reopen.
  protocol::ChainSealer resumed("s-1", SigningKey::Generate(), {3, head3});
  ASSERT_TRUE(journal->Append(MakeEvents(resumed, 2, 10)).ok());
  journal.reset();
  journal = OpenJournal(&report);
  EXPECT_EQ(report.damaged_bytes, 0u);
  EXPECT_EQ(journal->last_seq(), 5u);
}

TEST_F(JournalTest, CorruptedByteIsDetectedByTheChecksum) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 4, 0)).ok());
  journal.reset();
  const auto log = dir_ / "events.log";
  {
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(log) - 10));
    f.put('\x5a');
  }
  JournalOpenReport report;
  journal = OpenJournal(&report);
  ASSERT_TRUE(journal);
  EXPECT_EQ(report.intact_events, 3u);
  EXPECT_NE(report.damage.find("checksum"), std::string::npos) << report.damage;
  EXPECT_EQ(journal->last_seq(), 3u);
}

TEST_F(JournalTest, NotAJournalIsAClearError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "events.log") << "hello, this is not a journal";
  auto journal = Journal::Open(dir_.string(), nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(journal.status().message().find("not a proctor journal"), std::string::npos);
  // Nothing was changed.
  std::ifstream in(dir_ / "events.log");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello, this is not a journal");
}

TEST_F(JournalTest, DamagedSessionFileIsAClearError) {
  {
    auto journal = OpenJournal();
    ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  }
  std::ofstream(dir_ / "session.json") << "{\"version\": 1, \"server\": ";
  auto journal = Journal::Open(dir_.string(), nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(journal.status().message().find("session.json"), std::string::npos);
}

TEST_F(JournalTest, ReadRespectsTheByteBudgetButReturnsAtLeastOneEvent) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 10, 0)).ok());
  auto few = journal->Read(1, 100, 300);
  ASSERT_TRUE(few.ok());
  EXPECT_GE(few->size(), 1u);
  EXPECT_LT(few->size(), 10u);
  auto one = journal->Read(1, 100, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  auto capped = journal->Read(2, 3, 1 << 20);
  ASSERT_EQ(capped->size(), 3u);
  EXPECT_EQ(capped->front().event.seq, 2u);
  EXPECT_TRUE(journal->Read(11, 3, 1 << 20)->empty());
}

TEST_F(JournalTest, RebaseContinuesAfterEventsOnlyTheServerHolds) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 2, 0)).ok());
  Hash32 server_head{};
  server_head[0] = 7;
  EXPECT_FALSE(journal->Rebase(2, server_head).ok());
  ASSERT_TRUE(journal->Rebase(5, server_head).ok());
  EXPECT_EQ(journal->acked_seq(), 5u);
  protocol::ChainSealer resumed("s-1", SigningKey::Generate(), {5, server_head});
  ASSERT_TRUE(journal->Append(MakeEvents(resumed, 1, 50)).ok());
  journal.reset();
  journal = OpenJournal();
  EXPECT_EQ(journal->last_seq(), 6u);
  EXPECT_EQ(journal->acked_seq(), 5u);
  EXPECT_EQ(journal->pending(), 1u);
  EXPECT_EQ(journal->Read(3, 10, 1 << 20).status().code(), absl::StatusCode::kNotFound);
  auto sixth = journal->Read(6, 10, 1 << 20);
  ASSERT_TRUE(sixth.ok());
  EXPECT_EQ(sixth->front().event.prev_hash, server_head);
}

TEST_F(JournalTest, ClosedStateSurvivesAndClearRemovesSecretsAndEvidence) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  protocol::ChainSealer sealer("s-1", SigningKey::Generate());
  ASSERT_TRUE(journal->Append(MakeEvents(sealer, 2, 0)).ok());
  ASSERT_TRUE(journal->MarkAcked(2).ok());
  ASSERT_TRUE(journal->MarkClosed("AUTO_ACCEPTED", 0.1).ok());
  journal.reset();
  journal = OpenJournal();
  EXPECT_TRUE(journal->closed());
  EXPECT_EQ(journal->closed_verdict(), "AUTO_ACCEPTED");
  // What a damaged tail and an interrupted replacement leave behind holds evidence and secrets.
  std::ofstream(dir_ / "events.log.damaged-1700000000000") << "evidence bytes";
  std::ofstream(dir_ / "session.json.tmp") << "{\"session_token\": \"secret\"}";
  std::ofstream(dir_ / "notes.txt") << "not the journal's";
  ASSERT_TRUE(journal->Clear().ok());
  EXPECT_FALSE(fs::exists(dir_ / "session.json"));
  EXPECT_FALSE(fs::exists(dir_ / "state.json"));
  EXPECT_FALSE(fs::exists(dir_ / "events.log.damaged-1700000000000"));
  EXPECT_FALSE(fs::exists(dir_ / "session.json.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / "notes.txt")) << "only the journal's own files go";
  EXPECT_LT(fs::file_size(dir_ / "events.log"), 16u);
  journal.reset();
  journal = OpenJournal();
  EXPECT_FALSE(journal->has_session());
  EXPECT_EQ(journal->last_seq(), 0u);
  EXPECT_FALSE(journal->closed());
}

TEST_F(JournalTest, ASessionWrittenBeforeTemplatesIsReadWithItsReferenceAsTheOneTemplate) {
  fs::create_directories(dir_);
  nlohmann::json j;
  j["version"] = 1;
  j["server"] = "127.0.0.1:1";
  j["session_id"] = "s-old";
  j["session_token"] = "token";
  j["signing_key"] = ToHex(key_.SecretBytes().data(), 64);
  j["pass_hash"] = SecretHash("pass");
  j["reference"] = std::vector<float>(128, 0.125f);
  j["match_threshold"] = 0.6;
  j["identity_interval_ms"] = 30000;
  j["opened_at_unix_ms"] = 1;
  std::ofstream(dir_ / "session.json") << j.dump();
  auto journal = OpenJournal();
  ASSERT_TRUE(journal);
  auto meta = journal->meta();
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->templates.size(), 1u);
  EXPECT_EQ(meta->templates[0], std::vector<float>(128, 0.125f));
  EXPECT_EQ(meta->match_threshold, 0.6f);
}

TEST_F(JournalTest, TheSessionFileStillCarriesTheFirstTemplateAsReferenceForAnOlderClient) {
  auto journal = OpenJournal();
  ASSERT_TRUE(journal->BeginSession(Meta()).ok());
  std::ifstream in(dir_ / "session.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("reference").get<std::vector<float>>(), std::vector<float>(128, 0.25f));
  EXPECT_EQ(j.at("templates").size(), 2u);
}

}  // namespace
}  // namespace proctor::client
