// One typed suite runs every Storage contract against each engine (MemoryStorage, SqliteStorage
// on a temporary file, and PostgresStorage on a fresh database of a throwaway PostgreSQL server
// that this test starts itself); the SQLite-only and PostgreSQL-only tests below it cover what
// only those have: reopening, schema versions, damaged files, locks, a server that goes away.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/internal_status.h"
#include "server/storage/memory_storage.h"
#include "server/storage/postgres_connection_pool.h"
#include "server/storage/postgres_storage.h"
#include "server/storage/schema_migrations.h"
#include "server/storage/sqlite_storage.h"
#include "tests/support/postgres_test_server.h"

namespace proctor::server {
namespace {

namespace fs = std::filesystem;
using PgServer = ::proctor::testing::PostgresTestServer;

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "proctor_storage_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

Hash32 TestHash(const std::string& session_id, uint64_t seq) {
  Hash32 hash{};
  for (size_t i = 0; i < hash.size(); ++i) {
    hash[i] = static_cast<uint8_t>(seq * 31 + i + (session_id.empty() ? 0 : session_id[0]));
  }
  return hash;
}

// Event `seq` of a session: every second one an identity event with a descriptor, every third
// one with sealed evidence.
StoredEvent TestEvent(const std::string& session_id, uint64_t seq) {
  StoredEvent stored;
  Event& e = stored.event;
  e.session_id = session_id;
  e.seq = seq;
  e.kind = seq % 2 == 0 ? EventKind::kIdentityVerified : EventKind::kHeartbeat;
  e.phase = seq % 5 == 0 ? EventPhase::kEnd : EventPhase::kInstant;
  e.at_ms = static_cast<int64_t>(seq) * 1000;
  e.duration_ms = seq % 5 == 0 ? 250 : 0;
  if (seq % 2 == 0) {
    for (size_t i = 0; i < kDescriptorSize; ++i) {
      e.descriptor.push_back(static_cast<float>(i) * 0.001f - 0.05f * static_cast<float>(seq));
    }
    e.client_distance = 0.25f + 0.001f * static_cast<float>(seq);
    e.face_count = 1;
    stored.server_distance = 0.5f / static_cast<float>(seq);
  }
  e.detail = absl::StrCat("detail of ", seq);
  e.prev_hash = seq == 1 ? Hash32{} : TestHash(session_id, seq - 1);
  stored.hash = TestHash(session_id, seq);
  if (seq % 3 == 0) {
    e.evidence_jpeg = {0xff, 0xd8, 0xff};  // storage must drop the plain bytes
    stored.sealed_evidence.assign(64 + seq, static_cast<uint8_t>(seq));
    stored.has_evidence = true;
  }
  stored.received_at_unix_ms = 1700000000000 + static_cast<int64_t>(seq);
  return stored;
}

// Stands in for a client's signature of head `seq` (storage stores it, it does not verify it).
Signature TestSignature(const std::string& session_id, uint64_t seq) {
  Signature signature{};
  for (size_t i = 0; i < signature.size(); ++i) {
    signature[i] = static_cast<uint8_t>(seq * 7 + i * 3 + (session_id.empty() ? 0 : session_id[0]));
  }
  return signature;
}

// Events first..first+count-1 of a session, expected to follow expected_last_seq, with a head
// signature for the last one.
AppendBatch TestBatch(const std::string& session_id, uint64_t expected_last_seq, uint64_t first,
                      uint64_t count) {
  AppendBatch batch{session_id, expected_last_seq, {}, std::nullopt};
  for (uint64_t seq = first; seq < first + count; ++seq) {
    batch.events.push_back(TestEvent(session_id, seq));
  }
  if (count > 0) batch.head_signature = TestSignature(session_id, first + count - 1);
  return batch;
}

// The head seqs of stored batch signatures, checking each is the one TestBatch made.
std::vector<uint64_t> SignedHeads(Storage& storage, const std::string& session_id) {
  auto signatures = storage.ListBatchSignatures(session_id);
  EXPECT_TRUE(signatures.ok()) << signatures.status();
  std::vector<uint64_t> heads;
  if (!signatures.ok()) return heads;
  for (const BatchSignature& s : *signatures) {
    EXPECT_EQ(s.signature, TestSignature(session_id, s.head_seq)) << "head " << s.head_seq;
    heads.push_back(s.head_seq);
  }
  return heads;
}

void ExpectSameEvent(const StoredEvent& got, const StoredEvent& want) {
  EXPECT_EQ(got.event.session_id, want.event.session_id);
  EXPECT_EQ(got.event.seq, want.event.seq);
  EXPECT_EQ(got.event.kind, want.event.kind);
  EXPECT_EQ(got.event.phase, want.event.phase);
  EXPECT_EQ(got.event.at_ms, want.event.at_ms);
  EXPECT_EQ(got.event.duration_ms, want.event.duration_ms);
  EXPECT_EQ(got.event.descriptor, want.event.descriptor);
  EXPECT_EQ(got.event.client_distance, want.event.client_distance);
  EXPECT_EQ(got.event.face_count, want.event.face_count);
  EXPECT_TRUE(got.event.evidence_jpeg.empty());
  EXPECT_EQ(got.event.detail, want.event.detail);
  EXPECT_EQ(got.event.prev_hash, want.event.prev_hash);
  EXPECT_EQ(got.hash, want.hash);
  EXPECT_EQ(got.server_distance, want.server_distance);
  EXPECT_TRUE(got.sealed_evidence.empty()) << "listings never carry evidence bytes";
  EXPECT_EQ(got.has_evidence, want.has_evidence);
  EXPECT_EQ(got.received_at_unix_ms, want.received_at_unix_ms);
}

void ExpectSameSession(const SessionRecord& got, const SessionRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.learner_id, want.learner_id);
  EXPECT_EQ(got.assessment_id, want.assessment_id);
  EXPECT_EQ(got.client_public_key, want.client_public_key);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.opened_at_unix_ms, want.opened_at_unix_ms);
  EXPECT_EQ(got.closed_at_unix_ms, want.closed_at_unix_ms);
  EXPECT_EQ(got.ended_at_ms, want.ended_at_ms);
  EXPECT_EQ(got.risk_score, want.risk_score);
  EXPECT_EQ(got.verdict, want.verdict);
  EXPECT_EQ(got.decision_note, want.decision_note);
  EXPECT_EQ(got.decided_by, want.decided_by);
  EXPECT_EQ(got.last_seq, want.last_seq);
  EXPECT_EQ(got.head_hash, want.head_hash);
}

std::vector<std::string> SessionIds(const std::vector<SessionRecord>& sessions) {
  std::vector<std::string> ids;
  for (const SessionRecord& s : sessions) ids.push_back(s.id);
  return ids;
}

constexpr int64_t kNow = 1700000000000;

// One PostgreSQL server per test process, started on first use and stopped at exit; each test
// gets a database of its own. A failure to start (no PostgreSQL installed) fails the test.
absl::StatusOr<PgServer*> SharedPostgres() {
  static absl::StatusOr<std::unique_ptr<PgServer>>* const server =
      new absl::StatusOr<std::unique_ptr<PgServer>>(PgServer::Start());
  static const bool stop_at_exit = [] {
    std::atexit([] {
      if (server->ok()) server->value().reset();
    });
    return true;
  }();
  (void)stop_at_exit;
  if (!server->ok()) return server->status();
  return server->value().get();
}

// The URI of a new, empty database on the shared server.
absl::StatusOr<std::string> FreshPostgresDatabase() {
  static std::atomic<int> next{0};
  auto server = SharedPostgres();
  if (!server.ok()) return server.status();
  return (*server)->CreateDatabase(absl::StrCat("proctor_test_", next.fetch_add(1)));
}

template <typename Engine>
class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Engine, SqliteStorage>) {
      ASSERT_TRUE(dir_.ok());
      auto opened = SqliteStorage::Open(dir_.File("proctor.db"));
      ASSERT_TRUE(opened.ok()) << opened.status();
      storage_ = std::move(*opened);
    } else if constexpr (std::is_same_v<Engine, PostgresStorage>) {
      auto database = FreshPostgresDatabase();
      ASSERT_TRUE(database.ok()) << database.status();
      auto opened = PostgresStorage::Open(*database);
      ASSERT_TRUE(opened.ok()) << opened.status();
      storage_ = std::move(*opened);
    } else {
      storage_ = std::make_unique<Engine>();
    }
    ASSERT_TRUE(
        storage_->CreateAssessment({"a1", "Math", "Midterm", AssessmentKind::kFinal, 1}).ok());
    ASSERT_TRUE(
        storage_->CreateAssessment({"a2", "Art", "Quiz", AssessmentKind::kIntermediate, 2}).ok());
    ASSERT_TRUE(storage_->UpsertLearner("l1", "Ada").ok());
    ASSERT_TRUE(storage_->UpsertLearner("l2", "Grace").ok());
  }

  // Opens session `id` for a learner and assessment through a pass, as the server does.
  SessionRecord NewSession(const std::string& id, const std::string& learner,
                           const std::string& assessment, int64_t opened_at = kNow) {
    EXPECT_TRUE(storage_->PutPass({"pass-" + id, learner, assessment, kNow + 60000, false}).ok());
    SessionRecord session;
    session.id = id;
    session.client_public_key.assign(32, 7);
    session.opened_at_unix_ms = opened_at;
    auto opened = storage_->RedeemPass("pass-" + id, kNow, session,
                                       {"token-" + id, Role::kLearner, "learner", id, kNow});
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *opened : SessionRecord{};
  }

  // Appends one batch on its own and expects it to commit.
  void Append(AppendBatch batch) {
    auto statuses = storage_->AppendBatches({std::move(batch)});
    ASSERT_TRUE(statuses.ok()) << statuses.status();
    ASSERT_EQ(statuses->size(), 1u);
    ASSERT_TRUE((*statuses)[0].ok()) << (*statuses)[0];
  }

  void Close(const std::string& id, double risk, Verdict verdict) {
    auto session = storage_->GetSession(id);
    ASSERT_TRUE(session.ok()) << session.status();
    session->state = SessionState::kClosed;
    session->risk_score = risk;
    session->verdict = verdict;
    ASSERT_TRUE(storage_->UpdateSessionOutcome(*session).ok());
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

struct EngineNames {
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, SqliteStorage>) return "Sqlite";
    if (std::is_same_v<T, PostgresStorage>) return "Postgres";
    return "Memory";
  }
};

using Engines = ::testing::Types<MemoryStorage, SqliteStorage, PostgresStorage>;
TYPED_TEST_SUITE(StorageTest, Engines, EngineNames);

TYPED_TEST(StorageTest, StoresAssessmentsAndRefusesDuplicates) {
  auto a1 = this->storage_->GetAssessment("a1");
  ASSERT_TRUE(a1.ok()) << a1.status();
  EXPECT_EQ(a1->id, "a1");
  EXPECT_EQ(a1->course, "Math");
  EXPECT_EQ(a1->title, "Midterm");
  EXPECT_EQ(a1->kind, AssessmentKind::kFinal);
  EXPECT_EQ(a1->created_at_unix_ms, 1);

  auto duplicate =
      this->storage_->CreateAssessment({"a1", "Other", "Other", AssessmentKind::kIntermediate, 3});
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_FALSE(IsMarkedInternal(duplicate)) << "an answer to the call, not a database failure";
  EXPECT_EQ(this->storage_->GetAssessment("a1")->title, "Midterm");
  EXPECT_EQ(this->storage_->GetAssessment("nope").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, UpsertsLearnersAndReplacesTemplates) {
  ASSERT_TRUE(this->storage_->UpsertLearner("l1", "Ada Lovelace").ok());
  auto learner = this->storage_->GetLearner("l1");
  ASSERT_TRUE(learner.ok()) << learner.status();
  EXPECT_EQ(learner->name, "Ada Lovelace");
  EXPECT_EQ(learner->template_count, 0);

  const std::vector<std::vector<uint8_t>> first = {{1, 2, 3}, {4, 5}, {6}};
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", first).ok());
  EXPECT_EQ(this->storage_->GetLearner("l1")->template_count, 3);
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), first);

  const std::vector<std::vector<uint8_t>> second = {{9, 9}};
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", second).ok());
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), second);
  EXPECT_TRUE(this->storage_->GetTemplates("l2")->empty());

  EXPECT_EQ(this->storage_->GetLearner("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetTemplates("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->ReplaceTemplates("nobody", second).code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, StoresAndFindsTokens) {
  const TokenRecord admin{"hash-admin", Role::kAdministrator, "root", "", 5};
  ASSERT_TRUE(this->storage_->PutToken(admin).ok());
  auto found = this->storage_->FindToken("hash-admin");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->token_hash, admin.token_hash);
  EXPECT_EQ(found->role, Role::kAdministrator);
  EXPECT_EQ(found->label, "root");
  EXPECT_EQ(found->session_id, "");
  EXPECT_EQ(found->created_at_unix_ms, 5);

  EXPECT_EQ(this->storage_->PutToken(admin).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(this->storage_->FindToken("hash-none").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(
      this->storage_->PutToken({"hash-l", Role::kLearner, "learner", "no-such-session", 6}).code(),
      absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, PassesNeedTheirLearnerAndAssessment) {
  EXPECT_EQ(this->storage_->PutPass({"p1", "nobody", "a1", kNow, false}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->PutPass({"p1", "l1", "nothing", kNow, false}).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->storage_->PutPass({"p1", "l1", "a1", kNow, false}).ok());
  EXPECT_EQ(this->storage_->PutPass({"p1", "l2", "a2", kNow, false}).code(),
            absl::StatusCode::kAlreadyExists);
}

TYPED_TEST(StorageTest, RedeemPassCreatesTheSessionAndItsToken) {
  ASSERT_TRUE(this->storage_->PutPass({"p1", "l2", "a2", kNow + 1, false}).ok());
  SessionRecord asked;
  asked.id = "s1";
  asked.learner_id = "ignored";     // taken from the pass
  asked.assessment_id = "ignored";  // taken from the pass
  asked.client_public_key.assign(32, 3);
  asked.opened_at_unix_ms = kNow;
  asked.last_seq = 99;  // a new session has no events
  auto opened =
      this->storage_->RedeemPass("p1", kNow, asked, {"t1", Role::kLearner, "learner", "s1", kNow});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->learner_id, "l2");
  EXPECT_EQ(opened->assessment_id, "a2");
  EXPECT_EQ(opened->last_seq, 0u);
  EXPECT_EQ(opened->head_hash, Hash32{});

  auto stored = this->storage_->GetSession("s1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ExpectSameSession(*stored, *opened);
  auto token = this->storage_->FindToken("t1");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->role, Role::kLearner);
  EXPECT_EQ(token->session_id, "s1");
  EXPECT_EQ(this->storage_->GetSession("nope").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, RedeemPassRefusesUnknownUsedAndExpiredPasses) {
  SessionRecord session;
  session.id = "s1";
  session.client_public_key.assign(32, 1);
  const TokenRecord token{"t1", Role::kLearner, "learner", "s1", kNow};

  auto unknown = this->storage_->RedeemPass("no-such-pass", kNow, session, token);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "unknown exam pass"))
      << unknown.status();

  ASSERT_TRUE(this->storage_->PutPass({"p1", "l1", "a1", kNow + 1000, false}).ok());
  ASSERT_TRUE(this->storage_->RedeemPass("p1", kNow, session, token).ok());
  SessionRecord again = session;
  again.id = "s2";
  auto used =
      this->storage_->RedeemPass("p1", kNow, again, {"t2", Role::kLearner, "learner", "s2", kNow});
  EXPECT_EQ(used.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(used.status().message(), "already used")) << used.status();
  EXPECT_EQ(this->storage_->GetSession("s2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->FindToken("t2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->ListSessions(false)->size(), 1u);

  ASSERT_TRUE(this->storage_->PutPass({"p2", "l1", "a1", kNow + 1000, false}).ok());
  SessionRecord late = session;
  late.id = "s3";
  auto expired = this->storage_->RedeemPass("p2", kNow + 1000, late,
                                            {"t3", Role::kLearner, "learner", "s3", kNow});
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(expired.status().message(), "expired")) << expired.status();
  EXPECT_EQ(this->storage_->GetSession("s3").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(
      this->storage_
          ->RedeemPass("p2", kNow + 999, late, {"t3", Role::kLearner, "learner", "s3", kNow})
          .ok());
}

TYPED_TEST(StorageTest, RedeemPassIsAllOrNothing) {
  this->NewSession("s1", "l1", "a1");
  ASSERT_TRUE(this->storage_->PutPass({"p2", "l2", "a2", kNow + 1000, false}).ok());
  SessionRecord clash;
  clash.id = "s1";  // already exists
  clash.client_public_key.assign(32, 1);
  auto refused =
      this->storage_->RedeemPass("p2", kNow, clash, {"t2", Role::kLearner, "learner", "s1", kNow});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  EXPECT_EQ(this->storage_->FindToken("t2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetSession("s1")->learner_id, "l1");

  SessionRecord fresh = clash;
  fresh.id = "s2";
  auto opened =
      this->storage_->RedeemPass("p2", kNow, fresh, {"t2", Role::kLearner, "learner", "s2", kNow});
  EXPECT_TRUE(opened.ok()) << "the refused redemption must leave the pass unused: "
                           << opened.status();
}

TYPED_TEST(StorageTest, AppendBatchesRefusesClosedSessions) {
  this->NewSession("s1", "l1", "a1");
  this->Append(TestBatch("s1", 0, 1, 3));
  SessionRecord closed = *this->storage_->GetSession("s1");
  closed.state = SessionState::kClosed;
  ASSERT_TRUE(this->storage_->UpdateSessionOutcome(closed).ok());
  auto statuses = this->storage_->AppendBatches({TestBatch("s1", 3, 4, 5)});
  ASSERT_TRUE(statuses.ok());
  EXPECT_EQ((*statuses)[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->storage_->ListEvents("s1")->size(), 3u);
  EXPECT_EQ(this->storage_->GetSession("s1")->last_seq, 3u);
}

TYPED_TEST(StorageTest, UpdateSessionOutcomeLeavesEventColumnsAlone) {
  this->NewSession("s1", "l1", "a1");
  this->Append(TestBatch("s1", 0, 1, 3));
  auto session = this->storage_->GetSession("s1");
  ASSERT_TRUE(session.ok());
  SessionRecord update = *session;
  update.state = SessionState::kClosed;
  update.ended_at_ms = 123456;
  update.closed_at_unix_ms = kNow + 5;
  update.risk_score = 0.625;
  update.verdict = Verdict::kRejected;
  update.decision_note = "two faces";
  update.decided_by = "examiner-1";
  update.last_seq = 77;         // not written
  update.head_hash.fill(0xaa);  // not written
  ASSERT_TRUE(this->storage_->UpdateSessionOutcome(update).ok());

  SessionRecord want = update;
  want.last_seq = 3;
  want.head_hash = TestHash("s1", 3);
  ExpectSameSession(*this->storage_->GetSession("s1"), want);

  update.id = "nope";
  EXPECT_EQ(this->storage_->UpdateSessionOutcome(update).code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, ListSessionsOrdersByRiskThenNewestAndFiltersPendingReview) {
  this->NewSession("low", "l1", "a1", kNow + 1);
  this->NewSession("high-old", "l1", "a2", kNow + 2);
  this->NewSession("high-new", "l2", "a1", kNow + 3);
  this->NewSession("open", "l2", "a2", kNow + 4);
  this->Close("low", 0.1, Verdict::kAutoAccepted);
  this->Close("high-old", 0.9, Verdict::kPendingReview);
  this->Close("high-new", 0.9, Verdict::kPendingReview);

  auto all = this->storage_->ListSessions(false);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(SessionIds(*all), (std::vector<std::string>{"high-new", "high-old", "low", "open"}));
  auto pending = this->storage_->ListSessions(true);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(SessionIds(*pending), (std::vector<std::string>{"high-new", "high-old"}));
}

TYPED_TEST(StorageTest, AppendedEventsRoundTrip) {
  this->NewSession("s1", "l1", "a1");
  this->Append(TestBatch("s1", 0, 1, 4));
  this->Append(TestBatch("s1", 4, 5, 3));

  auto events = this->storage_->ListEvents("s1");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 7u);
  for (uint64_t seq = 1; seq <= 7; ++seq) {
    SCOPED_TRACE(seq);
    ExpectSameEvent((*events)[seq - 1], TestEvent("s1", seq));
  }
  auto session = this->storage_->GetSession("s1");
  EXPECT_EQ(session->last_seq, 7u);
  EXPECT_EQ(session->head_hash, TestHash("s1", 7));
  EXPECT_TRUE(this->storage_->ListEvents("s2").status().code() == absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, StaleBatchIsAbortedWhileOthersInTheSameCallCommit) {
  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l2", "a2");
  this->Append(TestBatch("s1", 0, 1, 2));

  auto statuses = this->storage_->AppendBatches({
      TestBatch("s1", 0, 1, 3),    // stale: s1 is at 2
      TestBatch("s2", 0, 1, 5),    // commits
      TestBatch("s2", 5, 6, 2),    // follows the batch before it in the same call
      TestBatch("nope", 0, 1, 1),  // no such session
      TestBatch("s1", 2, 4, 1),    // seq 4 where 3 belongs
  });
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_EQ(statuses->size(), 5u);
  EXPECT_EQ((*statuses)[0].code(), absl::StatusCode::kAborted) << (*statuses)[0];
  EXPECT_TRUE((*statuses)[1].ok()) << (*statuses)[1];
  EXPECT_TRUE((*statuses)[2].ok()) << (*statuses)[2];
  EXPECT_EQ((*statuses)[3].code(), absl::StatusCode::kNotFound) << (*statuses)[3];
  EXPECT_EQ((*statuses)[4].code(), absl::StatusCode::kInvalidArgument) << (*statuses)[4];

  EXPECT_EQ(this->storage_->ListEvents("s1")->size(), 2u);
  EXPECT_EQ(this->storage_->GetSession("s1")->last_seq, 2u);
  EXPECT_EQ(this->storage_->GetSession("s1")->head_hash, TestHash("s1", 2));
  EXPECT_EQ(this->storage_->ListEvents("s2")->size(), 7u);
  EXPECT_EQ(this->storage_->GetSession("s2")->last_seq, 7u);
  EXPECT_EQ(this->storage_->GetSession("s2")->head_hash, TestHash("s2", 7));

  auto empty = this->storage_->AppendBatches({AppendBatch{"s1", 2, {}, std::nullopt}});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE((*empty)[0].ok());
  EXPECT_EQ(this->storage_->GetSession("s1")->head_hash, TestHash("s1", 2));
}

TYPED_TEST(StorageTest, BatchSignaturesAreStoredWithTheirBatchAndListedInSeqOrder) {
  using Heads = std::vector<uint64_t>;
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{1}}).ok());
  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l2", "a2");
  this->NewSession("s3", "l2", "a1");
  EXPECT_EQ(SignedHeads(*this->storage_, "s1"), Heads{});
  this->Append(TestBatch("s1", 0, 1, 3));

  AppendBatch unsigned_batch = TestBatch("s2", 4, 5, 1);
  unsigned_batch.head_signature.reset();
  AppendBatch empty{"s1", 6, {}, TestSignature("s1", 6)};
  auto statuses = this->storage_->AppendBatches({
      TestBatch("s2", 0, 1, 4),  // commits: s2 head 4
      TestBatch("s1", 0, 1, 2),  // ABORTED (s1 is at 3): neither events nor signature
      TestBatch("s1", 3, 4, 3),  // commits: s1 head 6
      empty,                     // no events, so no signature
      unsigned_batch,            // events without a signature: nothing to store
      TestBatch("s1", 6, 9, 1),  // seq 9 where 7 belongs: refused, no signature
  });
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_EQ(statuses->size(), 6u);
  EXPECT_TRUE((*statuses)[0].ok()) << (*statuses)[0];
  EXPECT_EQ((*statuses)[1].code(), absl::StatusCode::kAborted) << (*statuses)[1];
  EXPECT_TRUE((*statuses)[2].ok()) << (*statuses)[2];
  EXPECT_TRUE((*statuses)[3].ok()) << (*statuses)[3];
  EXPECT_TRUE((*statuses)[4].ok()) << (*statuses)[4];
  EXPECT_EQ((*statuses)[5].code(), absl::StatusCode::kInvalidArgument) << (*statuses)[5];
  this->Append(TestBatch("s1", 6, 7, 1));
  AppendBatch unsigned_alone = TestBatch("s3", 0, 1, 2);  // a call with no signature at all
  unsigned_alone.head_signature.reset();
  this->Append(unsigned_alone);

  EXPECT_EQ(SignedHeads(*this->storage_, "s1"), (Heads{3, 6, 7}));
  EXPECT_EQ(SignedHeads(*this->storage_, "s2"), Heads{4});
  EXPECT_EQ(SignedHeads(*this->storage_, "s3"), Heads{});
  EXPECT_EQ(this->storage_->GetSession("s3")->last_seq, 2u);
  EXPECT_EQ(this->storage_->GetSession("s2")->last_seq, 5u);

  // A resent batch is stale, so it adds nothing; neither does one after the session closed.
  auto resent = this->storage_->AppendBatches({TestBatch("s1", 3, 4, 3)});
  ASSERT_TRUE(resent.ok()) << resent.status();
  EXPECT_EQ((*resent)[0].code(), absl::StatusCode::kAborted);
  this->Close("s2", 0.5, Verdict::kPendingReview);
  auto closed = this->storage_->AppendBatches({TestBatch("s2", 5, 6, 1)});
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ((*closed)[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SignedHeads(*this->storage_, "s1"), (Heads{3, 6, 7}));
  EXPECT_EQ(SignedHeads(*this->storage_, "s2"), Heads{4});

  // Not biometric: a purge of the learner leaves them.
  ASSERT_TRUE(this->storage_->PurgeBiometrics("l1").ok());
  EXPECT_EQ(SignedHeads(*this->storage_, "s1"), (Heads{3, 6, 7}));
  EXPECT_EQ(this->storage_->ListBatchSignatures("nope").status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, NewSessionsRequireConsent) {
  this->NewSession("s1", "l1", "a1");
  EXPECT_TRUE(this->storage_->GetSession("s1")->consent_required);
  auto listed = this->storage_->ListSessions(false);
  ASSERT_TRUE(listed.ok());
  ASSERT_FALSE(listed->empty());
  EXPECT_TRUE(listed->front().consent_required);
}

TYPED_TEST(StorageTest, RevokeTokensDeletesOnlyThatLabelAndRole) {
  ASSERT_TRUE(this->storage_->PutToken({"h1", Role::kExaminer, "ann", "", 1}).ok());
  ASSERT_TRUE(this->storage_->PutToken({"h2", Role::kExaminer, "ann", "", 2}).ok());
  ASSERT_TRUE(this->storage_->PutToken({"h3", Role::kLmsConnector, "ann", "", 3}).ok());
  ASSERT_TRUE(this->storage_->PutToken({"h4", Role::kExaminer, "bob", "", 4}).ok());
  auto revoked = this->storage_->RevokeTokens("ann", Role::kExaminer);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(*revoked, 2);
  EXPECT_EQ(this->storage_->FindToken("h1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->FindToken("h2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->storage_->FindToken("h3").ok()) << "another role";
  EXPECT_TRUE(this->storage_->FindToken("h4").ok()) << "another label";
  EXPECT_EQ(*this->storage_->RevokeTokens("ann", Role::kExaminer), 0);
}

TYPED_TEST(StorageTest, GetEventReadsOneStoredEventAsListEventsDoes) {
  this->NewSession("s1", "l1", "a1");
  this->Append(TestBatch("s1", 0, 1, 6));
  const auto all = this->storage_->ListEvents("s1");
  ASSERT_TRUE(all.ok());
  for (uint64_t seq : {1u, 3u, 6u}) {
    auto one = this->storage_->GetEvent("s1", seq);
    ASSERT_TRUE(one.ok()) << one.status();
    const StoredEvent& listed = (*all)[seq - 1];
    EXPECT_EQ(one->event.seq, seq);
    EXPECT_EQ(one->event.kind, listed.event.kind);
    EXPECT_EQ(one->event.detail, listed.event.detail);
    EXPECT_EQ(one->event.at_ms, listed.event.at_ms);
    EXPECT_EQ(one->hash, listed.hash);
    EXPECT_EQ(one->has_evidence, listed.has_evidence);
    EXPECT_TRUE(one->sealed_evidence.empty()) << "no evidence bytes, as ListEvents";
  }
  EXPECT_EQ(this->storage_->GetEvent("s1", 7).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetEvent("s1", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetEvent("nope", 1).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, EventHashesReturnsTheStoredRange) {
  this->NewSession("s1", "l1", "a1");
  this->Append(TestBatch("s1", 0, 1, 10));
  auto range = this->storage_->EventHashes("s1", 3, 6);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (std::vector<Hash32>{TestHash("s1", 3), TestHash("s1", 4), TestHash("s1", 5),
                                         TestHash("s1", 6)}));
  EXPECT_EQ(this->storage_->EventHashes("s1", 1, 10)->size(), 10u);
  EXPECT_EQ(*this->storage_->EventHashes("s1", 7, 7), std::vector<Hash32>{TestHash("s1", 7)});
  EXPECT_EQ(this->storage_->EventHashes("s1", 9, 20)->size(), 2u) << "only what is stored";
  EXPECT_EQ(this->storage_->EventHashes("s1", 0, 2)->size(), 2u);
  EXPECT_EQ(this->storage_->EventHashes("s1", 10, std::numeric_limits<uint64_t>::max())->size(),
            1u);
  EXPECT_TRUE(this->storage_->EventHashes("s1", 6, 3)->empty());
  EXPECT_TRUE(this->storage_->EventHashes("s1", 11, 12)->empty());
  EXPECT_EQ(this->storage_->EventHashes("nope", 1, 2).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, EvidenceRoundTripsUntilPurged) {
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{1}, {2}}).ok());
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l2", {{3}}).ok());
  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l1", "a2");
  this->NewSession("s3", "l2", "a1");
  this->Append(TestBatch("s1", 0, 1, 6));  // evidence at seq 3, 6
  this->Append(TestBatch("s2", 0, 1, 3));  // evidence at seq 3
  this->Append(TestBatch("s3", 0, 1, 3));  // evidence at seq 3

  auto evidence = this->storage_->GetEvidence("s1", 6);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(*evidence, TestEvent("s1", 6).sealed_evidence);
  EXPECT_EQ(this->storage_->GetEvidence("s1", 2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetEvidence("s1", 60).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetEvidence("nope", 3).status().code(), absl::StatusCode::kNotFound);

  auto counts = this->storage_->PurgeBiometrics("l1");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->templates_removed, 2);
  EXPECT_EQ(counts->evidence_removed, 3);

  EXPECT_TRUE(this->storage_->GetTemplates("l1")->empty());
  EXPECT_EQ(this->storage_->GetLearner("l1")->template_count, 0);
  for (const auto& [session, seq] :
       {std::pair<std::string, uint64_t>{"s1", 3}, {"s1", 6}, {"s2", 3}}) {
    EXPECT_EQ(this->storage_->GetEvidence(session, seq).status().code(),
              absl::StatusCode::kNotFound)
        << session << " " << seq;
  }
  auto events = this->storage_->ListEvents("s1");
  ASSERT_EQ(events->size(), 6u) << "events stay";
  EXPECT_TRUE((*events)[2].has_evidence) << "evidence existed, and that stays known";
  EXPECT_TRUE((*events)[5].has_evidence);

  EXPECT_EQ(*this->storage_->GetEvidence("s3", 3), TestEvent("s3", 3).sealed_evidence)
      << "other learners keep theirs";
  EXPECT_EQ(this->storage_->GetTemplates("l2")->size(), 1u);

  auto again = this->storage_->PurgeBiometrics("l1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->templates_removed, 0);
  EXPECT_EQ(again->evidence_removed, 0);
  EXPECT_EQ(this->storage_->PurgeBiometrics("nobody").status().code(), absl::StatusCode::kNotFound);
}

// Retention deletes one session's evidence: that session's images go, its events (with
// has_evidence) and hashes stay, the learner's templates and other sessions keep theirs.
TYPED_TEST(StorageTest, PurgeSessionEvidenceTakesOnlyThatSessionsImages) {
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{1}}).ok());
  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l1", "a2");
  this->Append(TestBatch("s1", 0, 1, 6));  // evidence at seq 3, 6
  this->Append(TestBatch("s2", 0, 1, 3));  // evidence at seq 3
  const auto hashes = this->storage_->EventHashes("s1", 1, 6);
  ASSERT_TRUE(hashes.ok());
  EXPECT_EQ(*this->storage_->PurgeSessionEvidence("s1"), 0) << "open: its verdict is not final";
  SessionRecord closed = *this->storage_->GetSession("s1");
  closed.state = SessionState::kClosed;
  closed.verdict = Verdict::kPendingReview;
  ASSERT_TRUE(this->storage_->UpdateSessionOutcome(closed).ok());
  EXPECT_EQ(*this->storage_->PurgeSessionEvidence("s1"), 0) << "in review: not final either";
  EXPECT_TRUE(this->storage_->GetEvidence("s1", 3).ok());
  closed.verdict = Verdict::kAccepted;
  ASSERT_TRUE(this->storage_->UpdateSessionOutcome(closed).ok());

  auto removed = this->storage_->PurgeSessionEvidence("s1");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(this->storage_->GetEvidence("s1", 3).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetEvidence("s1", 6).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*this->storage_->GetEvidence("s2", 3), TestEvent("s2", 3).sealed_evidence)
      << "the learner's other session keeps its evidence";
  EXPECT_EQ(this->storage_->GetTemplates("l1")->size(), 1u) << "templates are not evidence";
  auto events = this->storage_->ListEvents("s1");
  ASSERT_EQ(events->size(), 6u);
  EXPECT_TRUE((*events)[2].has_evidence) << "that evidence existed stays known";
  EXPECT_EQ(*this->storage_->EventHashes("s1", 1, 6), *hashes);

  EXPECT_EQ(*this->storage_->PurgeSessionEvidence("s1"), 0) << "nothing left the second time";
  EXPECT_EQ(this->storage_->PurgeSessionEvidence("nope").status().code(),
            absl::StatusCode::kNotFound);
}

// A learner's self-enrollment as the server would store it, its photo telling learners apart.
SelfEnrollment TestSelfEnrollment(const std::string& learner_id, int64_t created_at_unix_ms) {
  SelfEnrollment e;
  e.learner_id = learner_id;
  e.assessment_id = "a1";
  e.sealed_photo = {0x5e, 0xa1, static_cast<uint8_t>(learner_id.back()), 0x00, 0xff};
  e.photos = 3;
  e.created_at_unix_ms = created_at_unix_ms;
  return e;
}

std::vector<std::string> LearnerIds(const std::vector<SelfEnrollment>& enrollments) {
  std::vector<std::string> ids;
  for (const SelfEnrollment& e : enrollments) ids.push_back(e.learner_id);
  return ids;
}

TYPED_TEST(StorageTest, SelfEnrollmentKeepsItsTemplatesAndSealedPhotoWhilePending) {
  const std::vector<std::vector<uint8_t>> templates = {{1, 2, 3}, {4}, {5, 6}};
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates).ok());

  auto got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->learner_id, "l1");
  EXPECT_EQ(got->assessment_id, "a1");
  EXPECT_EQ(got->state, SelfEnrollmentState::kPending);
  EXPECT_EQ(got->sealed_photo, TestSelfEnrollment("l1", kNow).sealed_photo);
  EXPECT_EQ(got->photos, 3);
  EXPECT_EQ(got->created_at_unix_ms, kNow);
  EXPECT_EQ(got->decided_by, "");
  EXPECT_EQ(got->decided_at_unix_ms, 0);
  EXPECT_EQ(got->note, "");
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), templates) << "they became the templates";
  EXPECT_EQ(this->storage_->GetLearner("l1")->template_count, 3);

  EXPECT_EQ(this->storage_->GetSelfEnrollment("l2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetSelfEnrollment("nobody").status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, SelfEnrollmentsListOldestFirstWithoutPhotosAllOrOnlyPending) {
  ASSERT_TRUE(this->storage_->UpsertLearner("l3", "Hedy").ok());
  // Stored in another order than their age and their ids.
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow + 30), {{1}}).ok());
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l3", kNow + 20), {{3}}).ok());
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow + 10), {{2}}).ok());
  ASSERT_TRUE(this->storage_
                  ->DecideSelfEnrollment("l3", SelfEnrollmentState::kConfirmed, "examiner-1",
                                         kNow + 40, "matches the student card")
                  .ok());

  auto all = this->storage_->ListSelfEnrollments(false);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(LearnerIds(*all), (std::vector<std::string>{"l2", "l3", "l1"}));
  for (const SelfEnrollment& e : *all) {
    EXPECT_TRUE(e.sealed_photo.empty()) << e.learner_id << ": lists carry no photo";
    EXPECT_EQ(e.assessment_id, "a1") << e.learner_id;
    EXPECT_EQ(e.photos, 3) << e.learner_id;
  }
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].state, SelfEnrollmentState::kPending);
  EXPECT_EQ((*all)[0].created_at_unix_ms, kNow + 10);
  EXPECT_EQ((*all)[1].state, SelfEnrollmentState::kConfirmed);
  EXPECT_EQ((*all)[1].decided_by, "examiner-1");
  EXPECT_EQ((*all)[1].decided_at_unix_ms, kNow + 40);
  EXPECT_EQ((*all)[1].note, "matches the student card");

  auto pending = this->storage_->ListSelfEnrollments(true);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(LearnerIds(*pending), (std::vector<std::string>{"l2", "l1"}));
  for (const SelfEnrollment& e : *pending) {
    EXPECT_EQ(e.state, SelfEnrollmentState::kPending) << e.learner_id;
    EXPECT_TRUE(e.sealed_photo.empty()) << e.learner_id;
  }
  EXPECT_FALSE(this->storage_->GetSelfEnrollment("l1")->sealed_photo.empty())
      << "the photo is still there, only not listed";
}

// A refused PutSelfEnrollment changes nothing: no templates written, no row.
TYPED_TEST(StorageTest, PutSelfEnrollmentRefusesAnEnrolledOrUnknownLearnerAndChangesNothing) {
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{9, 9}}).ok());
  const absl::Status enrolled =
      this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}, {2}});
  EXPECT_EQ(enrolled.code(), absl::StatusCode::kFailedPrecondition) << enrolled;
  EXPECT_TRUE(absl::StrContains(enrolled.message(), "already enrolled")) << enrolled;
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), (std::vector<std::vector<uint8_t>>{{9, 9}}))
      << "the administrator's templates stay";
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(this->storage_->PutSelfEnrollment(TestSelfEnrollment("nobody", kNow), {{1}}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetSelfEnrollment("nobody").status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow), {{2}}).ok());
  SelfEnrollment second = TestSelfEnrollment("l2", kNow + 1);
  second.sealed_photo = {7, 7, 7};
  const absl::Status again = this->storage_->PutSelfEnrollment(second, {{3}, {4}});
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_TRUE(absl::StrContains(again.message(), "already enrolled")) << again;
  EXPECT_EQ(*this->storage_->GetTemplates("l2"), (std::vector<std::vector<uint8_t>>{{2}}));
  auto kept = this->storage_->GetSelfEnrollment("l2");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->sealed_photo, TestSelfEnrollment("l2", kNow).sealed_photo);
  EXPECT_EQ(kept->created_at_unix_ms, kNow);
  EXPECT_EQ(LearnerIds(*this->storage_->ListSelfEnrollments(false)),
            std::vector<std::string>{"l2"});
}

TYPED_TEST(StorageTest, ConfirmingASelfEnrollmentDeletesThePhotoAndKeepsTheTemplates) {
  const std::vector<std::vector<uint8_t>> templates = {{1, 2}, {3}};
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates).ok());
  ASSERT_TRUE(this->storage_
                  ->DecideSelfEnrollment("l1", SelfEnrollmentState::kConfirmed, "examiner-1",
                                         kNow + 5, "matches the admission file")
                  .ok());
  auto got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kConfirmed);
  EXPECT_TRUE(got->sealed_photo.empty()) << "the photo goes with the decision";
  EXPECT_EQ(got->decided_by, "examiner-1");
  EXPECT_EQ(got->decided_at_unix_ms, kNow + 5);
  EXPECT_EQ(got->note, "matches the admission file");
  EXPECT_EQ(got->assessment_id, "a1");
  EXPECT_EQ(got->photos, 3);
  EXPECT_EQ(got->created_at_unix_ms, kNow);
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), templates);
  EXPECT_TRUE(this->storage_->ListSelfEnrollments(true)->empty());
}

TYPED_TEST(StorageTest, RejectingASelfEnrollmentDeletesPhotoAndTemplatesAndBarsAnotherOne) {
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}, {2}}).ok());
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow), {{3}}).ok());
  ASSERT_TRUE(this->storage_
                  ->DecideSelfEnrollment("l1", SelfEnrollmentState::kRejected, "examiner-2",
                                         kNow + 9, "not the person on the student card")
                  .ok());
  auto got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kRejected);
  EXPECT_TRUE(got->sealed_photo.empty());
  EXPECT_EQ(got->decided_by, "examiner-2");
  EXPECT_EQ(got->decided_at_unix_ms, kNow + 9);
  EXPECT_EQ(got->note, "not the person on the student card");
  EXPECT_TRUE(this->storage_->GetTemplates("l1")->empty()) << "someone else's face is no template";
  EXPECT_EQ(this->storage_->GetLearner("l1")->template_count, 0);
  EXPECT_EQ(*this->storage_->GetTemplates("l2"), (std::vector<std::vector<uint8_t>>{{3}}))
      << "other learners keep theirs";
  EXPECT_FALSE(this->storage_->GetSelfEnrollment("l2")->sealed_photo.empty());

  // No template now, but the rejection stands: the learner cannot try again on their own.
  const absl::Status retry =
      this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow + 20), {{4}});
  EXPECT_EQ(retry.code(), absl::StatusCode::kFailedPrecondition) << retry;
  EXPECT_TRUE(absl::StrContains(retry.message(), "rejected")) << retry;
  EXPECT_TRUE(this->storage_->GetTemplates("l1")->empty()) << "the refused put wrote nothing";
  got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kRejected);
  EXPECT_EQ(got->created_at_unix_ms, kNow);

  // Only an administrator enrolls that learner now.
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{8}}).ok());
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), (std::vector<std::vector<uint8_t>>{{8}}));
}

TYPED_TEST(StorageTest, ASelfEnrollmentIsDecidedOnce) {
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}}).ok());
  ASSERT_TRUE(this->storage_
                  ->DecideSelfEnrollment("l1", SelfEnrollmentState::kConfirmed, "examiner-1",
                                         kNow + 1, "first")
                  .ok());
  const absl::Status second = this->storage_->DecideSelfEnrollment(
      "l1", SelfEnrollmentState::kRejected, "examiner-2", kNow + 2, "second");
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_TRUE(absl::StrContains(second.message(), "already decided")) << second;
  auto got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kConfirmed) << "the first decision stands";
  EXPECT_EQ(got->decided_by, "examiner-1");
  EXPECT_EQ(got->note, "first");
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), (std::vector<std::vector<uint8_t>>{{1}}))
      << "the refused rejection deleted nothing";
  EXPECT_EQ(
      this->storage_
          ->DecideSelfEnrollment("l1", SelfEnrollmentState::kConfirmed, "examiner-2", kNow + 3, "")
          .code(),
      absl::StatusCode::kFailedPrecondition);

  // A pending one is not a decision.
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow), {{2}}).ok());
  EXPECT_EQ(
      this->storage_
          ->DecideSelfEnrollment("l2", SelfEnrollmentState::kPending, "examiner-1", kNow + 4, "")
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l2")->state, SelfEnrollmentState::kPending);
  EXPECT_FALSE(this->storage_->GetSelfEnrollment("l2")->sealed_photo.empty());
}

TYPED_TEST(StorageTest, DecidingAMissingSelfEnrollmentIsNotFound) {
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{1}}).ok());
  for (const std::string learner : {"l1", "l2", "nobody"}) {
    EXPECT_EQ(
        this->storage_
            ->DecideSelfEnrollment(learner, SelfEnrollmentState::kRejected, "examiner-1", kNow, "")
            .code(),
        absl::StatusCode::kNotFound)
        << learner;
  }
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), (std::vector<std::vector<uint8_t>>{{1}}))
      << "an administrator's enrollment is no self-enrollment to reject";
  EXPECT_TRUE(this->storage_->ListSelfEnrollments(false)->empty());
}

TYPED_TEST(StorageTest, ConcurrentDecisionsOnOneSelfEnrollmentHaveOneWinner) {
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}}).ok());
  constexpr int kExaminers = 6;
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kExaminers; ++i) {
    threads.emplace_back([this, i, &won, &refused] {
      const SelfEnrollmentState decision =
          i % 2 == 0 ? SelfEnrollmentState::kConfirmed : SelfEnrollmentState::kRejected;
      const absl::Status status = this->storage_->DecideSelfEnrollment(
          "l1", decision, absl::StrCat("examiner-", i), kNow + i, "");
      if (status.ok()) {
        ++won;
      } else if (status.code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      } else {
        ADD_FAILURE() << status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kExaminers - 1);
  auto got = this->storage_->GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  // The winner's decision, whole: a rejection took the templates, a confirmation kept them.
  const bool rejected = got->state == SelfEnrollmentState::kRejected;
  EXPECT_EQ(this->storage_->GetTemplates("l1")->empty(), rejected);
  EXPECT_EQ(got->decided_by == "examiner-1" || got->decided_by == "examiner-3" ||
                got->decided_by == "examiner-5",
            rejected)
      << got->decided_by;
}

TYPED_TEST(StorageTest, AnAdministratorsEnrollmentReplacesAPendingSelfEnrollment) {
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}, {2}}).ok());
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow), {{3}}).ok());
  ASSERT_TRUE(this->storage_->ReplaceTemplates("l1", {{7, 7}}).ok());
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound)
      << "the row and its photo are gone";
  EXPECT_EQ(*this->storage_->GetTemplates("l1"), (std::vector<std::vector<uint8_t>>{{7, 7}}));
  EXPECT_EQ(LearnerIds(*this->storage_->ListSelfEnrollments(false)),
            std::vector<std::string>{"l2"});
  EXPECT_EQ(this->storage_
                ->DecideSelfEnrollment("l1", SelfEnrollmentState::kRejected, "examiner-1", kNow, "")
                .code(),
            absl::StatusCode::kNotFound)
      << "nothing left to reject: the administrator's templates stay";
  EXPECT_EQ(this->storage_->GetTemplates("l1")->size(), 1u);
}

TYPED_TEST(StorageTest, PurgeBiometricsDeletesTheSelfEnrollmentWithItsPhoto) {
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l1", kNow), {{1}, {2}}).ok());
  ASSERT_TRUE(this->storage_->PutSelfEnrollment(TestSelfEnrollment("l2", kNow), {{3}}).ok());
  auto counts = this->storage_->PurgeBiometrics("l1");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->templates_removed, 2);
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->storage_->GetTemplates("l1")->empty());
  EXPECT_EQ(LearnerIds(*this->storage_->ListSelfEnrollments(false)),
            std::vector<std::string>{"l2"});
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l2")->sealed_photo,
            TestSelfEnrollment("l2", kNow).sealed_photo)
      << "other learners keep theirs";

  // A decided one goes too.
  ASSERT_TRUE(
      this->storage_
          ->DecideSelfEnrollment("l2", SelfEnrollmentState::kRejected, "examiner-1", kNow + 1, "")
          .ok());
  ASSERT_TRUE(this->storage_->PurgeBiometrics("l2").ok());
  EXPECT_EQ(this->storage_->GetSelfEnrollment("l2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->storage_->ListSelfEnrollments(false)->empty());
}

TYPED_TEST(StorageTest, FindingsListInTheOrderAdded) {
  this->NewSession("s1", "l1", "a1");
  ASSERT_TRUE(this->storage_
                  ->AddFinding({"s1", EventKind::kEvidenceMismatch, 5000, 4, 0.75f, "second look"})
                  .ok());
  ASSERT_TRUE(
      this->storage_->AddFinding({"s1", EventKind::kEvidenceMismatch, 1000, 2, -1.0f, "no face"})
          .ok());
  auto findings = this->storage_->ListFindings("s1");
  ASSERT_TRUE(findings.ok()) << findings.status();
  ASSERT_EQ(findings->size(), 2u);
  EXPECT_EQ((*findings)[0].session_id, "s1");
  EXPECT_EQ((*findings)[0].kind, EventKind::kEvidenceMismatch);
  EXPECT_EQ((*findings)[0].at_ms, 5000);
  EXPECT_EQ((*findings)[0].event_seq, 4u);
  EXPECT_EQ((*findings)[0].distance, 0.75f);
  EXPECT_EQ((*findings)[0].detail, "second look");
  EXPECT_EQ((*findings)[1].detail, "no face");
  EXPECT_EQ(this->storage_->AddFinding({"nope", EventKind::kEvidenceMismatch, 0, 1, 0, ""}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->ListFindings("nope").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageTest, AccommodationsAreKeptPerLearnerAndAssessmentAndReplaced) {
  Accommodation a{"l1", "a1", 60'000, true, false, 20 * 60'000, "dyslexia: reads aloud",
                  "admin", kNow};
  ASSERT_TRUE(this->storage_->PutAccommodation(a).ok());
  auto got = this->storage_->GetAccommodation("l1", "a1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->extra_absence_ms, 60'000);
  EXPECT_TRUE(got->looking_away_ignored);
  EXPECT_FALSE(got->identity_ends_only);
  EXPECT_EQ(got->extra_time_ms, 20 * 60'000);
  EXPECT_EQ(got->reason, "dyslexia: reads aloud");
  EXPECT_EQ(got->granted_by, "admin");
  EXPECT_EQ(got->granted_at_unix_ms, kNow);
  EXPECT_EQ(this->storage_->GetAccommodation("l1", "a2").status().code(),
            absl::StatusCode::kNotFound) << "per assessment";
  EXPECT_EQ(this->storage_->GetAccommodation("l2", "a1").status().code(),
            absl::StatusCode::kNotFound) << "per learner";
  a.looking_away_ignored = false;
  a.identity_ends_only = true;
  a.reason = "tremor";
  ASSERT_TRUE(this->storage_->PutAccommodation(a).ok());
  got = this->storage_->GetAccommodation("l1", "a1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->looking_away_ignored);
  EXPECT_TRUE(got->identity_ends_only);
  EXPECT_EQ(got->reason, "tremor") << "replaced, not added";
}

// Version `version` of an assessment's notice, every field telling the versions apart.
ConsentNotice TestNotice(const std::string& assessment_id, int32_t version) {
  ConsentNotice notice;
  notice.assessment_id = assessment_id;
  notice.version = version;
  notice.text = absl::StrCat("Notice ", version, ": we record your face.\nDur\u00e9e: 30 days.");
  notice.sha256_hex = std::string(64, static_cast<char>('a' + version));
  notice.created_by = absl::StrCat("admin-", version);
  notice.created_at_unix_ms = kNow + version;
  return notice;
}

void ExpectSameNotice(const ConsentNotice& got, const ConsentNotice& want) {
  EXPECT_EQ(got.assessment_id, want.assessment_id);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.sha256_hex, want.sha256_hex);
  EXPECT_EQ(got.created_by, want.created_by);
  EXPECT_EQ(got.created_at_unix_ms, want.created_at_unix_ms);
}

TYPED_TEST(StorageTest, LtiPlatformsAreRegisteredOncePerIssuerAndClient) {
  LtiPlatform p{"https://lms.example", "client-1", {"dep-1", "dep 2"}, "https://lms.example/auth",
                "https://lms.example/token", "https://lms.example/jwks", "admin", 1234};
  ASSERT_TRUE(this->storage_->PutLtiPlatform(p).ok());
  LtiPlatform other = p;
  other.client_id = "client-0";
  other.deployment_ids = {"x"};
  ASSERT_TRUE(this->storage_->PutLtiPlatform(other).ok());
  const absl::Status duplicate = this->storage_->PutLtiPlatform(p);
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_FALSE(IsMarkedInternal(duplicate));
  auto all = this->storage_->ListLtiPlatforms();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].client_id, "client-0") << "ordered by issuer, then client id";
  EXPECT_EQ((*all)[1].deployment_ids, (std::vector<std::string>{"dep-1", "dep 2"}));
  EXPECT_EQ((*all)[1].jwks_url, p.jwks_url);
  EXPECT_EQ((*all)[1].created_at_unix_ms, 1234);
  ASSERT_TRUE(this->storage_->RemoveLtiPlatform(p.issuer, "client-0").ok());
  EXPECT_EQ(this->storage_->RemoveLtiPlatform(p.issuer, "client-0").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->ListLtiPlatforms()->size(), 1u);
}

TYPED_TEST(StorageTest, LtiToolKeysListNewestFirstAndLoginsAreTakenOnce) {
  const std::vector<uint8_t> sealed = {1, 2, 0, 255};
  ASSERT_TRUE(this->storage_->PutLtiToolKey({"old", sealed, "{}", 100}).ok());
  ASSERT_TRUE(this->storage_->PutLtiToolKey({"new", sealed, "{\"kid\":\"new\"}", 200}).ok());
  EXPECT_EQ(this->storage_->PutLtiToolKey({"new", sealed, "{}", 300}).code(),
            absl::StatusCode::kAlreadyExists);
  auto keys = this->storage_->ListLtiToolKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "new");
  EXPECT_EQ((*keys)[0].sealed_private, sealed);
  EXPECT_EQ((*keys)[0].public_jwk, "{\"kid\":\"new\"}");
  ASSERT_TRUE(this->storage_->DeleteLtiToolKey("old").ok());
  EXPECT_EQ(this->storage_->DeleteLtiToolKey("old").code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(this->storage_->PutLtiLogin({"s1", "n1", "https://lms", "c", 1000}, 0).ok());
  ASSERT_TRUE(this->storage_->PutLtiLogin({"s2", "n2", "https://lms", "c", 5000}, 0).ok());
  // A third login clears the logins started before 2000 (s1) in the same transaction.
  ASSERT_TRUE(this->storage_->PutLtiLogin({"s3", "n3", "https://lms", "c", 6000}, 2000).ok());
  EXPECT_EQ(this->storage_->TakeLtiLogin("s1").status().code(), absl::StatusCode::kNotFound);
  auto taken = this->storage_->TakeLtiLogin("s2");
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->nonce, "n2");
  EXPECT_EQ(taken->issuer, "https://lms");
  EXPECT_EQ(taken->client_id, "c");
  EXPECT_EQ(taken->created_at_unix_ms, 5000);
  EXPECT_EQ(this->storage_->TakeLtiLogin("s2").status().code(), absl::StatusCode::kNotFound)
      << "a login is taken once";
  EXPECT_TRUE(this->storage_->TakeLtiLogin("s3").ok());
}

TYPED_TEST(StorageTest, LtiAttemptsAreKeptAndAPassKnowsTheSessionItOpened) {
  LtiAttempt a;
  a.id = "attempt-1";
  a.learner_id = "l1";
  a.assessment_id = "a1";
  a.issuer = "https://lms";
  a.client_id = "c";
  a.deployment_id = "d";
  a.message_type = "LtiStartProctoring";
  a.resource_link_id = "rl";
  a.attempt_number = 3;
  a.session_data = "opaque data";
  a.start_assessment_url = "https://lms/start";
  a.locale = "ru";
  a.pass_hash = "hash-of-the-pass";
  a.sealed_pass = {9, 0, 8};
  a.pass_expires_at_unix_ms = kNow + 1000;
  a.created_at_unix_ms = kNow;
  ASSERT_TRUE(this->storage_->PutLtiAttempt(a).ok());
  EXPECT_EQ(this->storage_->PutLtiAttempt(a).code(), absl::StatusCode::kAlreadyExists);
  LtiAttempt stranger = a;
  stranger.id = "attempt-2";
  stranger.learner_id = "nobody";
  EXPECT_EQ(this->storage_->PutLtiAttempt(stranger).code(), absl::StatusCode::kNotFound);
  auto read = this->storage_->GetLtiAttempt("attempt-1");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->session_data, "opaque data");
  EXPECT_EQ(read->attempt_number, 3);
  EXPECT_EQ(read->sealed_pass, a.sealed_pass);
  EXPECT_EQ(read->locale, "ru");
  EXPECT_EQ(read->start_assessment_url, a.start_assessment_url);
  EXPECT_EQ(read->pass_hash, a.pass_hash);
  EXPECT_EQ(this->storage_->GetLtiAttempt("attempt-9").status().code(),
            absl::StatusCode::kNotFound);

  // The session a pass opened is recorded with it, and only that one.
  EXPECT_EQ(this->storage_->SessionOfPass("pass-unknown").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->storage_->PutPass({"pass-fresh", "l1", "a1", kNow + 60000, false}).ok());
  auto unused = this->storage_->SessionOfPass("pass-fresh");
  ASSERT_TRUE(unused.ok()) << unused.status();
  EXPECT_EQ(*unused, "") << "not used yet";
  this->NewSession("first", "l1", "a1", kNow + 100);
  this->NewSession("second", "l1", "a1", kNow + 200);
  auto first = this->storage_->SessionOfPass("pass-first");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, "first") << "not the learner's latest session of the assessment";
  EXPECT_EQ(*this->storage_->SessionOfPass("pass-second"), "second");
  EXPECT_EQ(*this->storage_->SessionOfPass("pass-fresh"), "");
}

// An attempt of a learner on an assessment whose session is the one pass `pass_hash` opens.
LtiAttempt TestAttempt(const std::string& id, const std::string& learner,
                       const std::string& assessment, const std::string& pass_hash,
                       int64_t created_at) {
  LtiAttempt a;
  a.id = id;
  a.learner_id = learner;
  a.assessment_id = assessment;
  a.issuer = "https://lms";
  a.client_id = "c";
  a.deployment_id = "d";
  a.message_type = "LtiResourceLinkRequest";
  a.resource_link_id = "rl";
  a.attempt_number = 1;
  a.pass_hash = pass_hash;
  a.sealed_pass = {1, 2, 3};
  a.pass_expires_at_unix_ms = kNow + 60000;
  a.created_at_unix_ms = created_at;
  return a;
}

// A pending outbox item as server/lti would queue it (attempt_id and seq are the storage's).
LtiOutboxItem TestOutboxItem(const std::string& kind, int64_t due_at, int64_t done_at = 0) {
  LtiOutboxItem item;
  item.attempt_id = "set by QueueLtiChange";
  item.seq = 99;
  item.kind = kind;
  item.payload = absl::StrCat("{\"kind\":\"", kind, "\",\"due\":", due_at, "}");
  item.created_at_unix_ms = kNow;
  item.due_at_unix_ms = due_at;
  item.done_at_unix_ms = done_at;
  item.outcome = done_at != 0 ? "delivered" : "";
  return item;
}

// (attempt id, seq) of each item, in order.
std::vector<std::pair<std::string, int64_t>> OutboxKeys(const std::vector<LtiOutboxItem>& items) {
  std::vector<std::pair<std::string, int64_t>> keys;
  for (const LtiOutboxItem& item : items) keys.emplace_back(item.attempt_id, item.seq);
  return keys;
}

// A change to `verdict` of the attempt as stored now (its reported outcome the expected one).
LtiAttemptChange ChangeOf(Storage& storage, const std::string& attempt_id, Verdict verdict) {
  auto attempt = storage.GetLtiAttempt(attempt_id);
  EXPECT_TRUE(attempt.ok()) << attempt.status();
  return LtiAttemptChange{attempt.ok() ? *attempt : LtiAttempt{}, "", SessionState::kClosed,
                          verdict};
}

TYPED_TEST(StorageTest, LtiAttemptsKeepServicesAndReportedOutcomeAndListOldestFirst) {
  LtiAttempt a = TestAttempt("b-later", "l1", "a1", "p1", kNow + 20);
  a.services = "{\"sub\":\"u-1\",\"ags\":{\"lineitem\":\"https://lms/li/1\"}}";
  a.reported_state = 2;
  a.reported_verdict = 3;
  a.reported_seq = int64_t{1} << 40;  // more than 32 bits
  ASSERT_TRUE(this->storage_->PutLtiAttempt(a).ok());
  auto read = this->storage_->GetLtiAttempt("b-later");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->services, a.services);
  EXPECT_EQ(read->reported_state, 2);
  EXPECT_EQ(read->reported_verdict, 3);
  EXPECT_EQ(read->reported_seq, int64_t{1} << 40);
  EXPECT_EQ(read->id, "b-later");
  EXPECT_EQ(read->pass_hash, "p1");

  const LtiAttempt fresh = TestAttempt("c-first", "l1", "a1", "p2", kNow + 10);
  ASSERT_TRUE(this->storage_->PutLtiAttempt(fresh).ok());
  read = this->storage_->GetLtiAttempt("c-first");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->services, "{}");
  EXPECT_EQ(read->reported_state, 0);
  EXPECT_EQ(read->reported_verdict, 0);
  EXPECT_EQ(read->reported_seq, 0);

  // Same created_at as b-later: the id breaks the tie.
  ASSERT_TRUE(
      this->storage_->PutLtiAttempt(TestAttempt("a-tie", "l1", "a1", "p3", kNow + 20)).ok());
  ASSERT_TRUE(this->storage_->PutLtiAttempt(TestAttempt("l2-a1", "l2", "a1", "p4", kNow)).ok());
  ASSERT_TRUE(this->storage_->PutLtiAttempt(TestAttempt("l1-a2", "l1", "a2", "p5", kNow)).ok());

  auto listed = this->storage_->ListLtiAttempts("l1", "a1");
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> ids;
  for (const LtiAttempt& attempt : *listed) ids.push_back(attempt.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"c-first", "a-tie", "b-later"}));
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[2].services, a.services) << "listed whole, as GetLtiAttempt reads it";
  EXPECT_EQ((*listed)[2].reported_seq, int64_t{1} << 40);
  EXPECT_EQ((*listed)[2].sealed_pass, a.sealed_pass);
  EXPECT_EQ((*listed)[0].created_at_unix_ms, kNow + 10);

  auto other = this->storage_->ListLtiAttempts("l2", "a1");
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].id, "l2-a1");
  auto none = this->storage_->ListLtiAttempts("l2", "a2");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(StorageTest, LtiAttemptChangesAreListedWhileTheClosedOutcomeIsNotTheReportedOne) {
  Storage& storage = *this->storage_;
  // att-1's session s1 and att-3's session s3 will close; att-2's s2 stays open; att-0's pass
  // opens nothing.
  ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt("att-1", "l1", "a1", "pass-s1", kNow)).ok());
  ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt("att-2", "l1", "a1", "pass-s2", kNow + 1)).ok());
  ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt("att-3", "l2", "a2", "pass-s3", kNow - 5)).ok());
  ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt("att-0", "l1", "a1", "pass-none", kNow - 9)).ok());
  ASSERT_TRUE(storage.PutPass({"pass-none", "l1", "a1", kNow + 60000, false}).ok());
  auto changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_TRUE(changes->empty()) << "no session yet";

  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l1", "a1");
  this->NewSession("s3", "l2", "a2");
  changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_TRUE(changes->empty()) << "sessions still open";

  this->Close("s1", 0.7, Verdict::kPendingReview);
  this->Close("s3", 0.1, Verdict::kAutoAccepted);
  // A window of recent attempts leaves the older ones out (att-3 was made at kNow - 5).
  changes = storage.ListLtiAttemptChanges(10, kNow - 4);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].attempt.id, "att-1");
  changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].attempt.id, "att-3") << "oldest attempt first";
  EXPECT_EQ((*changes)[0].session_id, "s3");
  EXPECT_EQ((*changes)[0].verdict, Verdict::kAutoAccepted);
  const LtiAttemptChange closed = (*changes)[1];
  EXPECT_EQ(closed.attempt.id, "att-1");
  EXPECT_EQ(closed.attempt.pass_hash, "pass-s1");
  EXPECT_EQ(closed.attempt.reported_seq, 0);
  EXPECT_EQ(closed.session_id, "s1");
  EXPECT_EQ(closed.state, SessionState::kClosed);
  EXPECT_EQ(closed.verdict, Verdict::kPendingReview);
  changes = storage.ListLtiAttemptChanges(1);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u) << "up to the limit";
  EXPECT_EQ((*changes)[0].attempt.id, "att-3");

  // Queued with two items: seq 1 and 2, whatever the caller put in attempt_id and seq.
  ASSERT_TRUE(storage
                  .QueueLtiChange(
                      closed, {TestOutboxItem("score", kNow + 1), TestOutboxItem("flag", kNow + 2)})
                  .ok());
  auto attempt = storage.GetLtiAttempt("att-1");
  ASSERT_TRUE(attempt.ok()) << attempt.status();
  EXPECT_EQ(attempt->reported_state, static_cast<int32_t>(SessionState::kClosed));
  EXPECT_EQ(attempt->reported_verdict, static_cast<int32_t>(Verdict::kPendingReview));
  EXPECT_EQ(attempt->reported_seq, 2);
  auto outbox = storage.ListLtiOutbox("att-1");
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_EQ(OutboxKeys(*outbox),
            (std::vector<std::pair<std::string, int64_t>>{{"att-1", 1}, {"att-1", 2}}));
  ASSERT_EQ(outbox->size(), 2u);
  EXPECT_EQ((*outbox)[0].kind, "score");
  EXPECT_EQ((*outbox)[1].kind, "flag");
  EXPECT_EQ((*outbox)[1].payload, TestOutboxItem("flag", kNow + 2).payload);
  EXPECT_EQ((*outbox)[1].due_at_unix_ms, kNow + 2);
  changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u) << "att-1's outcome is reported now";
  EXPECT_EQ((*changes)[0].attempt.id, "att-3");

  // Another replica queuing the same change from the same stale read: nothing is queued.
  const absl::Status stale = storage.QueueLtiChange(closed, {TestOutboxItem("score", kNow)});
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  EXPECT_FALSE(IsMarkedInternal(stale)) << "an answer to the call, not a database failure";
  EXPECT_EQ(storage.ListLtiOutbox("att-1")->size(), 2u);
  EXPECT_EQ(storage.GetLtiAttempt("att-1")->reported_seq, 2);

  // The reviewer decides: the verdict changed, so the attempt is listed again.
  this->Close("s1", 0.7, Verdict::kAccepted);
  changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 2u);
  const LtiAttemptChange decided = (*changes)[1];
  EXPECT_EQ(decided.attempt.id, "att-1");
  EXPECT_EQ(decided.verdict, Verdict::kAccepted);
  EXPECT_EQ(decided.attempt.reported_verdict, static_cast<int32_t>(Verdict::kPendingReview));
  EXPECT_EQ(decided.attempt.reported_seq, 2);
  ASSERT_TRUE(storage.QueueLtiChange(decided, {TestOutboxItem("score", kNow + 3)}).ok());
  EXPECT_EQ(OutboxKeys(*storage.ListLtiOutbox("att-1")).back(),
            (std::pair<std::string, int64_t>{"att-1", 3}));
  EXPECT_EQ(storage.GetLtiAttempt("att-1")->reported_seq, 3);

  // With no items the outcome is recorded all the same.
  ASSERT_TRUE(storage.QueueLtiChange((*changes)[0], {}).ok());
  changes = storage.ListLtiAttemptChanges(10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_TRUE(changes->empty());
  attempt = storage.GetLtiAttempt("att-3");
  ASSERT_TRUE(attempt.ok()) << attempt.status();
  EXPECT_EQ(attempt->reported_verdict, static_cast<int32_t>(Verdict::kAutoAccepted));
  EXPECT_EQ(attempt->reported_seq, 0);
  EXPECT_TRUE(storage.ListLtiOutbox("att-3")->empty());

  LtiAttemptChange unknown = decided;
  unknown.attempt.id = "att-9";
  const absl::Status missing = storage.QueueLtiChange(unknown, {TestOutboxItem("score", kNow)});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(storage.ListLtiOutbox("")->size(), 3u);
}

TYPED_TEST(StorageTest, LtiOutboxClaimsTheLowestPendingSeqOfEachAttemptOnceUntilItsLeaseEnds) {
  Storage& storage = *this->storage_;
  for (const char* id : {"att-a", "att-b", "att-c"}) {
    ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt(id, "l1", "a1", id, kNow)).ok());
  }
  // att-a: seq 2 is due first but waits for seq 1. att-b: seq 1 is not due yet, so neither is
  // seq 2. att-c: seq 1 was done when queued, so seq 2 is next.
  ASSERT_TRUE(
      storage
          .QueueLtiChange(ChangeOf(storage, "att-a", Verdict::kAccepted),
                          {TestOutboxItem("score", kNow + 100), TestOutboxItem("flag", kNow + 50)})
          .ok());
  ASSERT_TRUE(
      storage
          .QueueLtiChange(ChangeOf(storage, "att-b", Verdict::kAccepted),
                          {TestOutboxItem("score", kNow + 500), TestOutboxItem("flag", kNow)})
          .ok());
  ASSERT_TRUE(storage
                  .QueueLtiChange(ChangeOf(storage, "att-c", Verdict::kRejected),
                                  {TestOutboxItem("score", kNow + 10, kNow + 11),
                                   TestOutboxItem("terminate", kNow + 20)})
                  .ok());

  using Keys = std::vector<std::pair<std::string, int64_t>>;
  const int64_t lease = kNow + 10000;
  auto claimed = storage.ClaimLtiOutbox(kNow + 200, lease, 1);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(OutboxKeys(*claimed), (Keys{{"att-c", 2}})) << "the earliest due, up to the limit";
  claimed = storage.ClaimLtiOutbox(kNow + 200, lease, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(OutboxKeys(*claimed), (Keys{{"att-a", 1}}));
  const LtiOutboxItem first = (*claimed)[0];  // a copy: `claimed` is reassigned below
  EXPECT_EQ(first.tries, 1);
  EXPECT_EQ(first.due_at_unix_ms, lease);
  EXPECT_EQ(first.kind, "score");
  EXPECT_EQ(first.payload, TestOutboxItem("score", kNow + 100).payload);
  EXPECT_EQ(first.created_at_unix_ms, kNow);
  EXPECT_EQ(first.done_at_unix_ms, 0);
  claimed = storage.ClaimLtiOutbox(kNow + 200, lease, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_TRUE(claimed->empty()) << "leased until " << lease;

  // att-a seq 1 delivered; att-c seq 2 failed, to be retried at +400. The update leaves tries.
  LtiOutboxItem delivered = first;
  delivered.done_at_unix_ms = kNow + 300;
  delivered.outcome = "delivered";
  delivered.tries = 42;
  ASSERT_TRUE(storage.UpdateLtiOutboxItem(delivered).ok());
  LtiOutboxItem failed = TestOutboxItem("terminate", kNow + 400);
  failed.attempt_id = "att-c";
  failed.seq = 2;
  failed.last_error = "HTTP 503 from the LMS";
  ASSERT_TRUE(storage.UpdateLtiOutboxItem(failed).ok());
  LtiOutboxItem unknown = failed;
  unknown.seq = 9;
  EXPECT_EQ(storage.UpdateLtiOutboxItem(unknown).code(), absl::StatusCode::kNotFound);

  claimed = storage.ClaimLtiOutbox(kNow + 350, lease, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(OutboxKeys(*claimed), (Keys{{"att-a", 2}})) << "seq 1 is done: seq 2 goes next";
  EXPECT_EQ((*claimed)[0].tries, 1);
  EXPECT_EQ((*claimed)[0].kind, "flag");

  // Once the leases have run out, everything pending is due again, earliest first.
  claimed = storage.ClaimLtiOutbox(lease + 1, lease + 20000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(OutboxKeys(*claimed), (Keys{{"att-c", 2}, {"att-b", 1}, {"att-a", 2}}));
  EXPECT_EQ((*claimed)[0].tries, 2);
  EXPECT_EQ((*claimed)[0].last_error, "HTTP 503 from the LMS");
  EXPECT_EQ((*claimed)[1].tries, 1);
  EXPECT_EQ((*claimed)[2].tries, 2);
  for (const LtiOutboxItem& item : *claimed) EXPECT_EQ(item.due_at_unix_ms, lease + 20000);

  auto all = storage.ListLtiOutbox("");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(
      OutboxKeys(*all),
      (Keys{{"att-a", 1}, {"att-a", 2}, {"att-b", 1}, {"att-b", 2}, {"att-c", 1}, {"att-c", 2}}));
  const LtiOutboxItem& done = (*all)[0];
  EXPECT_EQ(done.tries, 1);
  EXPECT_EQ(done.due_at_unix_ms, lease);
  EXPECT_EQ(done.done_at_unix_ms, kNow + 300);
  EXPECT_EQ(done.outcome, "delivered");
  EXPECT_EQ(done.last_error, "");
  EXPECT_EQ(done.kind, "score");
  const LtiOutboxItem& queued_done = (*all)[4];
  EXPECT_EQ(queued_done.tries, 0);
  EXPECT_EQ(queued_done.done_at_unix_ms, kNow + 11);
  EXPECT_EQ(queued_done.outcome, "delivered");
  EXPECT_EQ((*all)[5].last_error, "HTTP 503 from the LMS");
  EXPECT_EQ((*all)[5].tries, 2);
  EXPECT_EQ((*all)[3].tries, 0) << "att-b seq 2 was never claimed";
  auto one = storage.ListLtiOutbox("att-b");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(OutboxKeys(*one), (Keys{{"att-b", 1}, {"att-b", 2}}));
  EXPECT_TRUE(storage.ListLtiOutbox("att-z")->empty());
}

TYPED_TEST(StorageTest, LtiOutboxReadsOfTheGradeWaitInALaneOfTheirOwn) {
  Storage& storage = *this->storage_;
  ASSERT_TRUE(storage.PutLtiAttempt(TestAttempt("att-r", "l1", "a1", "pass-r", kNow)).ok());
  // Seq 1 and 3 read the LMS's grade, seq 2 and 4 are messages: each kind in seq order, neither
  // holding the other back.
  ASSERT_TRUE(
      storage
          .QueueLtiChange(ChangeOf(storage, "att-r", Verdict::kAccepted),
                          {TestOutboxItem("result", kNow), TestOutboxItem("score", kNow + 10),
                           TestOutboxItem("result", kNow + 5), TestOutboxItem("flag", kNow)})
          .ok());
  using Keys = std::vector<std::pair<std::string, int64_t>>;
  auto claimed = storage.ClaimLtiOutbox(kNow + 100, kNow + 10000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(OutboxKeys(*claimed), (Keys{{"att-r", 1}, {"att-r", 2}}));

  LtiOutboxItem delivered = (*claimed)[1];
  delivered.done_at_unix_ms = kNow + 200;
  delivered.outcome = "delivered";
  ASSERT_TRUE(storage.UpdateLtiOutboxItem(delivered).ok());
  claimed = storage.ClaimLtiOutbox(kNow + 300, kNow + 10000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(OutboxKeys(*claimed), (Keys{{"att-r", 4}}))
      << "the next message goes while the first read of the grade is still pending";
}

TYPED_TEST(StorageTest, ConsentNoticesAreVersionedAndTheLatestIsFound) {
  const ConsentNotice v1 = TestNotice("a1", 1);
  const ConsentNotice v2 = TestNotice("a1", 2);
  // Stored out of order: the latest is the highest version, not the last one stored.
  ASSERT_TRUE(this->storage_->PutConsentNotice(v2).ok());
  ASSERT_TRUE(this->storage_->PutConsentNotice(v1).ok());

  auto latest = this->storage_->GetConsentNotice("a1", 0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  ExpectSameNotice(*latest, v2);
  auto first = this->storage_->GetConsentNotice("a1", 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ExpectSameNotice(*first, v1);
  EXPECT_EQ(this->storage_->GetConsentNotice("a1", 3).status().code(), absl::StatusCode::kNotFound);

  ConsentNotice again = v2;
  again.text = "another text for a version that is taken";
  const absl::Status duplicate = this->storage_->PutConsentNotice(again);
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_FALSE(IsMarkedInternal(duplicate)) << "an answer to the call, not a database failure";
  EXPECT_EQ(this->storage_->GetConsentNotice("a1", 2)->text, v2.text) << "not replaced";

  ConsentNotice elsewhere = v1;
  elsewhere.assessment_id = "nothing";
  const absl::Status unknown = this->storage_->PutConsentNotice(elsewhere);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound) << unknown;
  EXPECT_EQ(this->storage_->GetConsentNotice("nothing", 0).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetConsentNotice("nothing", 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetConsentNotice("a2", 0).status().code(), absl::StatusCode::kNotFound)
      << "versions are per assessment";
  EXPECT_EQ(this->storage_->GetConsentNotice("a2", 1).status().code(), absl::StatusCode::kNotFound);

  ConsentNotice other = v1;
  other.assessment_id = "a2";
  ASSERT_TRUE(this->storage_->PutConsentNotice(other).ok()) << "version 1 of another assessment";
  EXPECT_EQ(this->storage_->GetConsentNotice("a2", 0)->version, 1);
  EXPECT_EQ(this->storage_->GetConsentNotice("a1", 0)->version, 2);
}

TYPED_TEST(StorageTest, FindPassReadsWithoutRedeeming) {
  const PassRecord pass{"p1", "l2", "a2", kNow + 1000, false};
  ASSERT_TRUE(this->storage_->PutPass(pass).ok());
  for (int i = 0; i < 2; ++i) {
    auto found = this->storage_->FindPass("p1");
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->pass_hash, "p1");
    EXPECT_EQ(found->learner_id, "l2");
    EXPECT_EQ(found->assessment_id, "a2");
    EXPECT_EQ(found->expires_at_unix_ms, kNow + 1000);
    EXPECT_FALSE(found->used) << "finding a pass does not use it";
  }

  SessionRecord session;
  session.id = "s1";
  session.client_public_key.assign(32, 1);
  ASSERT_TRUE(
      this->storage_->RedeemPass("p1", kNow, session, {"t1", Role::kLearner, "learner", "s1", kNow})
          .ok());
  auto used = this->storage_->FindPass("p1");
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_TRUE(used->used);
  EXPECT_EQ(used->learner_id, "l2");
  EXPECT_EQ(used->expires_at_unix_ms, kNow + 1000);

  auto unknown = this->storage_->FindPass("no-such-pass");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "unknown exam pass"))
      << unknown.status();
}

TYPED_TEST(StorageTest, ResultsAreReplacedOnResubmitAndListedOldestFirst) {
  this->NewSession("s1", "l1", "a1");
  this->NewSession("s2", "l2", "a2");
  this->NewSession("s3", "l2", "a1");
  ASSERT_TRUE(this->storage_->PutResult({"s1", "", "", 7, 10, kNow + 30, "lms"}).ok());
  ASSERT_TRUE(this->storage_->PutResult({"s2", "", "", 5, 10, kNow + 10, "lms"}).ok());
  ASSERT_TRUE(this->storage_->PutResult({"s3", "", "", 1, 2, kNow + 20, "lms"}).ok());
  ASSERT_TRUE(this->storage_->PutResult({"s1", "", "", 9, 10, kNow + 40, "admin"}).ok());
  EXPECT_EQ(this->storage_->PutResult({"nope", "", "", 1, 2, kNow, "lms"}).code(),
            absl::StatusCode::kNotFound);

  auto all = this->storage_->ListResults("");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].session_id, "s2");
  EXPECT_EQ((*all)[1].session_id, "s3");
  EXPECT_EQ((*all)[2].session_id, "s1");
  const ResultRecord& s1 = (*all)[2];
  EXPECT_EQ(s1.learner_id, "l1");
  EXPECT_EQ(s1.assessment_id, "a1");
  EXPECT_EQ(s1.score, 9);
  EXPECT_EQ(s1.max_score, 10);
  EXPECT_EQ(s1.submitted_at_unix_ms, kNow + 40);
  EXPECT_EQ(s1.submitted_by, "admin");

  auto a1 = this->storage_->ListResults("a1");
  ASSERT_TRUE(a1.ok());
  ASSERT_EQ(a1->size(), 2u);
  EXPECT_EQ((*a1)[0].session_id, "s3");
  EXPECT_EQ((*a1)[1].session_id, "s1");
  EXPECT_TRUE(this->storage_->ListResults("no-such-assessment")->empty());
}

TYPED_TEST(StorageTest, AuditListsEntriesInTheOrderAppended) {
  EXPECT_TRUE(this->storage_->ListAudit()->empty());
  ASSERT_TRUE(
      this->storage_->AppendAudit({kNow + 9, "root", "assessment.create", "a1", "FINAL"}).ok());
  ASSERT_TRUE(this->storage_->AppendAudit({kNow + 1, "exam", "review.decide", "s1", "ok"}).ok());
  ASSERT_TRUE(this->storage_->AppendAudit({kNow + 5, "root", "learner.purge", "l1", ""}).ok());
  auto audit = this->storage_->ListAudit();
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].at_unix_ms, kNow + 9);
  EXPECT_EQ((*audit)[0].actor, "root");
  EXPECT_EQ((*audit)[0].action, "assessment.create");
  EXPECT_EQ((*audit)[0].subject, "a1");
  EXPECT_EQ((*audit)[0].detail, "FINAL");
  EXPECT_EQ((*audit)[1].action, "review.decide");
  EXPECT_EQ((*audit)[2].action, "learner.purge");
}

TYPED_TEST(StorageTest, ConcurrentWritersAndReadersSeeConsistentSessions) {
  constexpr int kSessions = 4;
  constexpr uint64_t kBatches = 20;
  constexpr uint64_t kPerBatch = 25;
  for (int i = 0; i < kSessions; ++i) this->NewSession(absl::StrCat("c", i), "l1", "a1");
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([this, i] {
      const std::string id = absl::StrCat("c", i);
      for (uint64_t b = 0; b < kBatches; ++b) {
        auto statuses = this->storage_->AppendBatches(
            {TestBatch(id, b * kPerBatch, b * kPerBatch + 1, kPerBatch)});
        ASSERT_TRUE(statuses.ok()) << statuses.status();
        ASSERT_TRUE((*statuses)[0].ok()) << (*statuses)[0];
      }
    });
  }
  threads.emplace_back([this] {
    for (int round = 0; round < 50; ++round) {
      auto sessions = this->storage_->ListSessions(false);
      ASSERT_TRUE(sessions.ok()) << sessions.status();
      for (const SessionRecord& s : *sessions) {
        // Whatever a reader sees is a committed state: last_seq events and a matching head.
        auto hashes = this->storage_->EventHashes(s.id, 1, s.last_seq);
        ASSERT_TRUE(hashes.ok()) << hashes.status();
        ASSERT_EQ(hashes->size(), s.last_seq);
        if (s.last_seq > 0) {
          EXPECT_EQ(hashes->back(), s.head_hash);
        }
      }
      ASSERT_TRUE(this->storage_->FindToken("token-c0").ok());
    }
  });
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(this->storage_->GetSession(absl::StrCat("c", i))->last_seq, kBatches * kPerBatch);
  }
}

// ---- SQLite only. ----

// Runs SQL on a database file through a separate raw connection, as another process would.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

int64_t RawCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  int64_t count = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(SqliteStorageTest, DataSurvivesCloseAndReopen) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  {
    auto storage = SqliteStorage::Open(path);
    ASSERT_TRUE(storage.ok()) << storage.status();
    Storage& s = **storage;
    ASSERT_TRUE(s.CreateAssessment({"a1", "Math", "Final", AssessmentKind::kFinal, 1}).ok());
    ASSERT_TRUE(s.UpsertLearner("l1", "Ada").ok());
    ASSERT_TRUE(s.ReplaceTemplates("l1", {{1, 2}}).ok());
    ASSERT_TRUE(s.PutPass({"p1", "l1", "a1", kNow + 1, false}).ok());
    SessionRecord session;
    session.id = "s1";
    session.client_public_key.assign(32, 9);
    ASSERT_TRUE(
        s.RedeemPass("p1", kNow, session, {"t1", Role::kLearner, "learner", "s1", kNow}).ok());
    auto statuses = s.AppendBatches({TestBatch("s1", 0, 1, 6)});
    ASSERT_TRUE(statuses.ok() && (*statuses)[0].ok());
    ASSERT_TRUE(s.AppendAudit({kNow, "root", "x", "y", "z"}).ok());
  }
  auto reopened = SqliteStorage::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Storage& s = **reopened;
  EXPECT_EQ(s.GetAssessment("a1")->title, "Final");
  EXPECT_EQ(s.GetLearner("l1")->template_count, 1);
  EXPECT_EQ(s.GetSession("s1")->last_seq, 6u);
  EXPECT_EQ(s.GetSession("s1")->head_hash, TestHash("s1", 6));
  EXPECT_EQ(s.ListEvents("s1")->size(), 6u);
  EXPECT_EQ(*s.GetEvidence("s1", 3), TestEvent("s1", 3).sealed_evidence);
  EXPECT_EQ(s.FindToken("t1")->session_id, "s1");
  EXPECT_EQ(s.ListAudit()->size(), 1u);
  EXPECT_EQ(s.RedeemPass("p1", kNow, SessionRecord{}, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// The online backup: taken while another thread keeps appending, it is one moment's database
// (every session's events a prefix 1..n with its head at n), opens as a database of its own,
// is one file (no -wal beside it), 0600, and never replaces an existing file.
TEST(SqliteStorageTest, BackupToCopiesOneMomentWhileWritersGoOn) {
  TempDir dir;
  auto storage = SqliteStorage::Open(dir.File("proctor.db"));
  ASSERT_TRUE(storage.ok()) << storage.status();
  Storage& s = **storage;
  ASSERT_TRUE(s.CreateAssessment({"a1", "Math", "Final", AssessmentKind::kFinal, 1}).ok());
  ASSERT_TRUE(s.UpsertLearner("l1", "Ada").ok());
  ASSERT_TRUE(s.PutPass({"p1", "l1", "a1", kNow + 1, false}).ok());
  SessionRecord session;
  session.id = "s1";
  session.client_public_key.assign(32, 9);
  ASSERT_TRUE(
      s.RedeemPass("p1", kNow, session, {"t1", Role::kLearner, "learner", "s1", kNow}).ok());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::thread writer([&] {
    for (uint64_t last = 0; !stop && last < 5000; last += 5) {
      auto statuses = s.AppendBatches({TestBatch("s1", last, last + 1, 5)});
      if (!statuses.ok() || !(*statuses)[0].ok()) return;
      appended = last + 5;
    }
  });
  while (appended < 200) std::this_thread::yield();
  const std::string copy = dir.File("backup.db");
  const absl::Status backed_up = s.BackupTo(copy);
  const uint64_t appended_after = appended;
  stop = true;
  writer.join();
  ASSERT_TRUE(backed_up.ok()) << backed_up;
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));
  struct stat st {};
  ASSERT_EQ(::stat(copy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto restored = SqliteStorage::Open(copy);
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto events = (*restored)->ListEvents("s1");
  ASSERT_TRUE(events.ok());
  auto head = (*restored)->GetSession("s1");
  ASSERT_TRUE(head.ok());
  EXPECT_GE(events->size(), 200u);
  EXPECT_LE(events->size(), appended_after + 5);  // a commit not yet counted by the writer
  EXPECT_EQ(head->last_seq, events->size()) << "the session row and its events of one moment";
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].event.seq, i + 1);
  EXPECT_EQ(head->head_hash, TestHash("s1", head->last_seq));

  EXPECT_EQ(s.BackupTo(copy).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*restored)->ListEvents("s1")->size(), events->size()) << "the copy was left alone";
  EXPECT_EQ(s.BackupTo(dir.File("no-such-dir/backup.db")).code(), absl::StatusCode::kUnavailable);
}

TEST(SqliteStorageTest, AuditLogIsAppendOnlyEvenThroughRawSql) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  {
    auto storage = SqliteStorage::Open(path);
    ASSERT_TRUE(storage.ok()) << storage.status();
    ASSERT_TRUE((*storage)->AppendAudit({kNow, "examiner", "review.decide", "s1", "ok"}).ok());
  }
  for (const char* sql : {"UPDATE audit SET detail = 'forged'", "DELETE FROM audit"}) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_NE(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << sql;
    EXPECT_NE(std::string(error != nullptr ? error : "").find("append-only"), std::string::npos);
    sqlite3_free(error);
    sqlite3_close(db);
  }
  EXPECT_EQ(RawCount(path, "SELECT count(*) FROM audit WHERE detail = 'ok'"), 1);
}

TEST(SqliteStorageTest, RecordsEachMigrationOnce) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  ASSERT_TRUE(SqliteStorage::Open(path).ok());
  ASSERT_TRUE(SqliteStorage::Open(path).ok());
  EXPECT_EQ(RawCount(path, "SELECT count(*) FROM schema_migrations"),
            SqliteStorage::LatestSchemaVersion());
  EXPECT_EQ(RawCount(path, "SELECT max(version) FROM schema_migrations"),
            SqliteStorage::LatestSchemaVersion());
}

TEST(SqliteStorageTest, RefusesADatabaseWithANewerSchema) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  ASSERT_TRUE(SqliteStorage::Open(path).ok());
  const int newer = SqliteStorage::LatestSchemaVersion() + 1;
  RawExec(path, absl::StrCat("INSERT INTO schema_migrations (version, applied_at) VALUES (", newer,
                             ", 0)"));
  auto refused = SqliteStorage::Open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), absl::StrCat("schema version ", newer)))
      << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "newer")) << refused.status();
}

TEST(SqliteStorageTest, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  WriteFile(path, std::string(4096, 'x') + "these are not the pages you are looking for");
  auto refused = SqliteStorage::Open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), path)) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "not a database")) << refused.status();
}

TEST(SqliteStorageTest, RefusesADamagedDatabase) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  ASSERT_TRUE(SqliteStorage::Open(path).ok());
  // Keep the 100-byte header, overwrite the schema that follows it on page 1.
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(100);
  const std::string garbage(3000, '\x5a');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  file.close();
  auto refused = SqliteStorage::Open(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "sqlite: ")) << refused.status();
}

TEST(SqliteStorageTest, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  RawExec(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
  auto refused = SqliteStorage::Open(path);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_EQ(RawCount(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'events'"), 0);
}

TEST(SqliteStorageTest, RefusesPathsThatAreNotFiles) {
  EXPECT_EQ(SqliteStorage::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStorage::Open(":memory:").status().code(), absl::StatusCode::kInvalidArgument);
  TempDir dir;
  auto missing_dir = SqliteStorage::Open(dir.File("no/such/dir/proctor.db"));
  EXPECT_EQ(missing_dir.status().code(), absl::StatusCode::kUnavailable) << missing_dir.status();
  SqliteStorageOptions options;
  options.read_connections = 0;
  EXPECT_EQ(SqliteStorage::Open(dir.File("x.db"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Opens a storage with one session "s1" (learner l1, assessment a1) and "s2".
std::unique_ptr<SqliteStorage> OpenWithSessions(const std::string& path,
                                                const SqliteStorageOptions& options = {}) {
  auto opened = SqliteStorage::Open(path, options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  Storage& s = **opened;
  EXPECT_TRUE(s.CreateAssessment({"a1", "Math", "Final", AssessmentKind::kFinal, 1}).ok());
  EXPECT_TRUE(s.UpsertLearner("l1", "Ada").ok());
  for (const std::string id : {"s1", "s2"}) {
    EXPECT_TRUE(s.PutPass({"p" + id, "l1", "a1", kNow + 1, false}).ok());
    SessionRecord session;
    session.id = id;
    session.client_public_key.assign(32, 9);
    EXPECT_TRUE(
        s.RedeemPass("p" + id, kNow, session, {"t" + id, Role::kLearner, "learner", id, kNow})
            .ok());
  }
  return std::move(*opened);
}

// The mode bits of `path` (-1 when it cannot be read).
int FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << path << ": " << std::strerror(errno);
    return -1;
  }
  return static_cast<int>(st.st_mode & 0777);
}

// The database holds sealed biometric data and the audit log: the file, its WAL and its
// shared-memory index are the owner's only, under the usual umask 022 too (with which SQLite
// alone makes them 0644).
TEST(SqliteStorageTest, DatabaseWalAndShmFilesAreOwnerOnly) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  const mode_t umask_before = ::umask(022);
  auto storage = OpenWithSessions(path);
  ASSERT_NE(storage, nullptr);
  auto statuses = storage->AppendBatches({TestBatch("s1", 0, 1, 3)});
  ASSERT_TRUE(statuses.ok() && (*statuses)[0].ok());
  EXPECT_EQ(storage->ListEvents("s1")->size(), 3u);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    EXPECT_EQ(FileMode(file), 0600) << file;
  }
  ::umask(umask_before);
}

// A database an older proctor created 0644 is narrowed when it is opened, and the WAL and index
// made after it with it; a file that is not a database is refused and keeps its mode.
TEST(SqliteStorageTest, NarrowsAnOlderReadableDatabaseButNotAFileThatIsNone) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  ASSERT_TRUE(SqliteStorage::Open(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto storage = OpenWithSessions(path);
  ASSERT_NE(storage, nullptr);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    EXPECT_EQ(FileMode(file), 0600) << file;
  }

  const std::string notes = dir.File("notes.txt");
  WriteFile(notes, std::string(4096, 'x'));
  ASSERT_EQ(::chmod(notes.c_str(), 0644), 0);
  EXPECT_EQ(SqliteStorage::Open(notes).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(FileMode(notes), 0644);
}

TEST(SqliteStorageTest, AppendBatchesWritesNothingWhenTheTransactionFails) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  auto storage = OpenWithSessions(path);
  ASSERT_NE(storage, nullptr);
  // Another connection makes the fourth event of any session fail.
  RawExec(path,
          "CREATE TRIGGER fail_fourth AFTER INSERT ON events WHEN NEW.seq = 4 "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto failed = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "inserting events for session s2"))
      << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "injected failure")) << failed.status();
  EXPECT_TRUE(storage->ListEvents("s1")->empty());
  EXPECT_EQ(storage->GetSession("s1")->last_seq, 0u);
  EXPECT_TRUE(storage->ListEvents("s2")->empty());
  EXPECT_TRUE(storage->ListBatchSignatures("s1")->empty()) << "s1's batch was rolled back too";
  EXPECT_TRUE(storage->ListBatchSignatures("s2")->empty());

  RawExec(path, "DROP TRIGGER fail_fourth");
  auto retried = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(storage->GetSession("s2")->last_seq, 5u);
  EXPECT_EQ(SignedHeads(*storage, "s1"), std::vector<uint64_t>{3});
  EXPECT_EQ(SignedHeads(*storage, "s2"), std::vector<uint64_t>{5});
}

TEST(SqliteStorageTest, AFailingSignatureInsertWritesNoEventsEither) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  auto storage = OpenWithSessions(path);
  ASSERT_NE(storage, nullptr);
  RawExec(path,
          "CREATE TRIGGER fail_signature AFTER INSERT ON batch_signatures WHEN NEW.head_seq = 5 "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto failed = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(
      absl::StrContains(failed.status().message(), "storing the batch signature of session s2"))
      << failed.status();
  for (const std::string id : {"s1", "s2"}) {
    EXPECT_TRUE(storage->ListEvents(id)->empty()) << id;
    EXPECT_EQ(storage->GetSession(id)->last_seq, 0u) << id;
    EXPECT_TRUE(storage->ListBatchSignatures(id)->empty()) << id;
  }
}

// A failure inside each self-enrollment transaction (a trigger injects it) leaves what was there
// before: no templates without their row, no decision without its deletions.
TEST(SqliteStorageTest, SelfEnrollmentWritesAreAllOrNothing) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  auto opened = SqliteStorage::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& s = **opened;
  ASSERT_TRUE(s.UpsertLearner("l1", "Ada").ok());
  const std::vector<std::vector<uint8_t>> templates = {{1}, {2}};

  RawExec(path,
          "CREATE TRIGGER fail_put BEFORE INSERT ON self_enrollments "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const absl::Status put = s.PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates);
  EXPECT_FALSE(put.ok());
  EXPECT_TRUE(absl::StrContains(put.message(), "injected failure")) << put;
  EXPECT_TRUE(s.GetTemplates("l1")->empty()) << "the templates went with the row";
  EXPECT_EQ(s.GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
  RawExec(path, "DROP TRIGGER fail_put");
  ASSERT_TRUE(s.PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates).ok());

  RawExec(path,
          "CREATE TRIGGER fail_templates BEFORE DELETE ON templates "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  EXPECT_FALSE(
      s.DecideSelfEnrollment("l1", SelfEnrollmentState::kRejected, "examiner-1", kNow, "").ok());
  auto got = s.GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kPending) << "no rejection without its deletions";
  EXPECT_EQ(got->sealed_photo, TestSelfEnrollment("l1", kNow).sealed_photo);
  EXPECT_EQ(*s.GetTemplates("l1"), templates);
  RawExec(path, "DROP TRIGGER fail_templates");

  RawExec(path,
          "CREATE TRIGGER fail_delete BEFORE DELETE ON self_enrollments "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  EXPECT_FALSE(s.ReplaceTemplates("l1", {{9}}).ok());
  EXPECT_FALSE(s.PurgeBiometrics("l1").ok());
  EXPECT_EQ(*s.GetTemplates("l1"), templates) << "neither replaced nor purged";
  EXPECT_EQ(s.GetSelfEnrollment("l1")->state, SelfEnrollmentState::kPending);
  RawExec(path, "DROP TRIGGER fail_delete");
  ASSERT_TRUE(s.ReplaceTemplates("l1", {{9}}).ok());
  EXPECT_EQ(s.GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
}

// A database made by a build that knew only schema version 1, with a session and events in it.
void MakeVersion1Database(const std::string& path) {
  ASSERT_GE(SqliteMigrations().size(), 2u);
  RawExec(path,
          absl::StrCat("BEGIN; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                       "applied_at INTEGER NOT NULL); ",
                       SqliteMigrations()[0].sql,
                       "; INSERT INTO schema_migrations VALUES (1, 0); "
                       "INSERT INTO assessments VALUES ('a1', 'Math', 'Final', 2, 1); "
                       "INSERT INTO learners VALUES ('l1', 'Ada'); "
                       "INSERT INTO sessions (id, learner_id, assessment_id, client_public_key, "
                       "state, opened_at_unix_ms, closed_at_unix_ms, ended_at_ms, risk_score, "
                       "verdict, decision_note, decided_by, last_seq, head_hash) VALUES ('old', "
                       "'l1', 'a1', zeroblob(32), 1, 0, 0, 0, 0, 1, '', '', 1, zeroblob(32)); "
                       "INSERT INTO events (session_sid, seq, kind, phase, at_ms, duration_ms, "
                       "client_distance, face_count, detail, prev_hash, hash, server_distance, "
                       "received_at_unix_ms, has_evidence) SELECT sid, 1, 1, 0, 0, 0, -1, 0, '', "
                       "zeroblob(32), zeroblob(32), -1, 0, 0 FROM sessions; COMMIT"));
}

TEST(SqliteStorageTest, MigratesAVersion1DatabaseAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  MakeVersion1Database(path);
  ASSERT_EQ(RawCount(path, "SELECT max(version) FROM schema_migrations"), 1);
  auto storage = SqliteStorage::Open(path);
  ASSERT_TRUE(storage.ok()) << storage.status();
  EXPECT_EQ(RawCount(path, "SELECT max(version) FROM schema_migrations"),
            SqliteStorage::LatestSchemaVersion());
  EXPECT_EQ(RawCount(path, "SELECT count(*) FROM schema_migrations"),
            SqliteStorage::LatestSchemaVersion());
  EXPECT_GE(SqliteStorage::LatestSchemaVersion(), 2);
  Storage& s = **storage;
  EXPECT_EQ(s.GetSession("old")->last_seq, 1u);
  EXPECT_FALSE(s.GetSession("old")->consent_required)
      << "a session opened before consent existed may finish as it began";
  EXPECT_EQ(s.ListEvents("old")->size(), 1u);
  auto none = s.ListBatchSignatures("old");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty()) << "sessions stored before version 2 have no signatures";
  auto statuses = s.AppendBatches({TestBatch("old", 1, 2, 2)});
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_TRUE((*statuses)[0].ok()) << (*statuses)[0];
  EXPECT_EQ(SignedHeads(s, "old"), std::vector<uint64_t>{3});
}

TEST(SqliteStorageTest, ALockedDatabaseIsUnavailableAndWritesNothing) {
  TempDir dir;
  const std::string path = dir.File("proctor.db");
  SqliteStorageOptions options;
  options.busy_timeout_ms = 50;
  auto storage = OpenWithSessions(path, options);
  ASSERT_NE(storage, nullptr);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto blocked = storage->AppendBatches({TestBatch("s1", 0, 1, 3)});
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable) << blocked.status();
  EXPECT_TRUE(absl::StrContains(blocked.status().message(), "sqlite: ")) << blocked.status();
  EXPECT_TRUE(IsMarkedInternal(blocked.status())) << "callers must not see the path";
  EXPECT_EQ(storage->UpsertLearner("l2", "Grace").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(storage->GetSession("s1").ok()) << "reads go on while another process writes";
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  EXPECT_TRUE(storage->ListEvents("s1")->empty());
  auto retried = storage->AppendBatches({TestBatch("s1", 0, 1, 3)});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE((*retried)[0].ok());
}

// ---- PostgreSQL only. ----

// A value from one query on a database, through a separate raw connection.
int64_t PgCount(const std::string& uri, const std::string& sql) {
  pqxx::connection c(uri);
  pqxx::nontransaction t(c);
  return t.exec1(sql)[0].as<int64_t>();
}

// Opens a storage on a fresh database with sessions "s1" and "s2" (learner l1, assessment a1).
std::unique_ptr<PostgresStorage> OpenPgWithSessions(const std::string& uri,
                                                    const PostgresStorageOptions& options = {}) {
  auto opened = PostgresStorage::Open(uri, options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  Storage& s = **opened;
  EXPECT_TRUE(s.CreateAssessment({"a1", "Math", "Final", AssessmentKind::kFinal, 1}).ok());
  EXPECT_TRUE(s.UpsertLearner("l1", "Ada").ok());
  for (const std::string id : {"s1", "s2"}) {
    EXPECT_TRUE(s.PutPass({"p" + id, "l1", "a1", kNow + 1, false}).ok());
    SessionRecord session;
    session.id = id;
    session.client_public_key.assign(32, 9);
    EXPECT_TRUE(
        s.RedeemPass("p" + id, kNow, session, {"t" + id, Role::kLearner, "learner", id, kNow})
            .ok());
  }
  return std::move(*opened);
}

TEST(PostgresStorageTest, DataSurvivesCloseAndReopenAndMigrationsRunOnce) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  {
    auto storage = OpenPgWithSessions(*uri);
    ASSERT_NE(storage, nullptr);
    ASSERT_TRUE(storage->ReplaceTemplates("l1", {{1, 2}}).ok());
    auto statuses = storage->AppendBatches({TestBatch("s1", 0, 1, 6)});
    ASSERT_TRUE(statuses.ok() && (*statuses)[0].ok());
    ASSERT_TRUE(storage->AppendAudit({kNow, "root", "x", "y", "z"}).ok());
  }
  auto reopened = PostgresStorage::Open(*uri);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Storage& s = **reopened;
  EXPECT_EQ(s.GetAssessment("a1")->title, "Final");
  EXPECT_EQ(s.GetLearner("l1")->template_count, 1);
  EXPECT_EQ(s.GetSession("s1")->last_seq, 6u);
  EXPECT_EQ(s.GetSession("s1")->head_hash, TestHash("s1", 6));
  EXPECT_EQ(s.ListEvents("s1")->size(), 6u);
  EXPECT_EQ(*s.GetEvidence("s1", 3), TestEvent("s1", 3).sealed_evidence);
  EXPECT_EQ(s.FindToken("ts1")->session_id, "s1");
  EXPECT_EQ(s.ListAudit()->size(), 1u);
  EXPECT_EQ(s.RedeemPass("ps1", kNow, SessionRecord{}, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM schema_migrations"),
            PostgresStorage::LatestSchemaVersion());
  EXPECT_EQ(PgCount(*uri, "SELECT max(version) FROM schema_migrations"),
            PostgresStorage::LatestSchemaVersion());
  EXPECT_EQ(PostgresStorage::LatestSchemaVersion(), SqliteStorage::LatestSchemaVersion())
      << "one schema history for both engines";
}

TEST(PostgresStorageTest, ReplicasStartingTogetherMigrateOnce) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  std::vector<std::thread> replicas;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&] {
      auto storage = PostgresStorage::Open(*uri);
      EXPECT_TRUE(storage.ok()) << storage.status();
      if (storage.ok()) ++opened;
    });
  }
  for (std::thread& t : replicas) t.join();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM schema_migrations"),
            PostgresStorage::LatestSchemaVersion());
}

TEST(PostgresStorageTest, RefusesADatabaseWithANewerSchema) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  ASSERT_TRUE(PostgresStorage::Open(*uri).ok());
  const int newer = PostgresStorage::LatestSchemaVersion() + 1;
  {
    pqxx::connection c(*uri);
    pqxx::nontransaction t(c);
    t.exec0(absl::StrCat("INSERT INTO schema_migrations (version, applied_at) VALUES (", newer,
                         ", 0)"));
  }
  auto refused = PostgresStorage::Open(*uri);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), absl::StrCat("schema version ", newer)))
      << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "newer")) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "postgresql://proctor@127.0.0.1:"))
      << "names the database: " << refused.status();
}

TEST(PostgresStorageTest, RefusesAnotherApplicationsDatabase) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  {
    pqxx::connection c(*uri);
    pqxx::nontransaction t(c);
    t.exec0("CREATE TABLE photos (id integer PRIMARY KEY, name text)");
  }
  auto refused = PostgresStorage::Open(*uri);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "not proctor's")) << refused.status();
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM pg_tables WHERE tablename = 'events'"), 0);
}

TEST(PostgresStorageTest, AuditLogIsAppendOnlyEvenThroughRawSql) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  {
    auto storage = PostgresStorage::Open(*uri);
    ASSERT_TRUE(storage.ok()) << storage.status();
    ASSERT_TRUE((*storage)->AppendAudit({kNow, "examiner", "review.decide", "s1", "ok"}).ok());
  }
  for (const char* sql :
       {"UPDATE audit SET detail = 'forged'", "DELETE FROM audit", "TRUNCATE audit"}) {
    pqxx::connection c(*uri);
    pqxx::nontransaction t(c);
    try {
      t.exec0(sql);
      ADD_FAILURE() << sql << " succeeded";
    } catch (const pqxx::sql_error& e) {
      EXPECT_TRUE(absl::StrContains(e.what(), "append-only")) << sql << ": " << e.what();
    }
  }
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM audit WHERE detail = 'ok'"), 1);
}

TEST(PostgresStorageTest, AppendBatchesWritesNothingWhenTheTransactionFails) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto storage = OpenPgWithSessions(*uri);
  ASSERT_NE(storage, nullptr);
  auto server = SharedPostgres();
  ASSERT_TRUE(server.ok());
  const std::string database = uri->substr(uri->rfind('/') + 1);
  // Another connection makes the fourth event of any session fail.
  ASSERT_TRUE((*server)
                  ->Execute(database,
                            "CREATE FUNCTION fail_fourth() RETURNS trigger LANGUAGE plpgsql AS $$ "
                            "BEGIN RAISE EXCEPTION 'injected failure'; END $$; "
                            "CREATE TRIGGER fail_fourth BEFORE INSERT ON events FOR EACH ROW "
                            "WHEN (NEW.seq = 4) EXECUTE FUNCTION fail_fourth()")
                  .ok());
  auto failed = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "postgresql: appending events on "))
      << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "injected failure")) << failed.status();
  EXPECT_TRUE(storage->ListEvents("s1")->empty());
  EXPECT_EQ(storage->GetSession("s1")->last_seq, 0u);
  EXPECT_TRUE(storage->ListEvents("s2")->empty());
  EXPECT_TRUE(storage->ListBatchSignatures("s1")->empty()) << "s1's batch was rolled back too";
  EXPECT_TRUE(storage->ListBatchSignatures("s2")->empty());

  ASSERT_TRUE((*server)->Execute(database, "DROP TRIGGER fail_fourth ON events").ok());
  auto retried = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(storage->GetSession("s2")->last_seq, 5u);
  EXPECT_EQ(SignedHeads(*storage, "s1"), std::vector<uint64_t>{3});
  EXPECT_EQ(SignedHeads(*storage, "s2"), std::vector<uint64_t>{5});
}

TEST(PostgresStorageTest, AFailingSignatureInsertWritesNoEventsEither) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto storage = OpenPgWithSessions(*uri);
  ASSERT_NE(storage, nullptr);
  auto server = SharedPostgres();
  ASSERT_TRUE(server.ok());
  const std::string database = uri->substr(uri->rfind('/') + 1);
  ASSERT_TRUE((*server)
                  ->Execute(database,
                            "CREATE FUNCTION fail_signature() RETURNS trigger LANGUAGE plpgsql "
                            "AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; "
                            "CREATE TRIGGER fail_signature BEFORE INSERT ON batch_signatures "
                            "FOR EACH ROW WHEN (NEW.head_seq = 5) EXECUTE FUNCTION "
                            "fail_signature()")
                  .ok());
  auto failed = storage->AppendBatches({TestBatch("s1", 0, 1, 3), TestBatch("s2", 0, 1, 5)});
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "injected failure")) << failed.status();
  for (const std::string id : {"s1", "s2"}) {
    EXPECT_TRUE(storage->ListEvents(id)->empty()) << id;
    EXPECT_EQ(storage->GetSession(id)->last_seq, 0u) << id;
    EXPECT_TRUE(storage->ListBatchSignatures(id)->empty()) << id;
  }
}

// As SqliteStorageTest.SelfEnrollmentWritesAreAllOrNothing, on PostgreSQL.
TEST(PostgresStorageTest, SelfEnrollmentWritesAreAllOrNothing) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto opened = PostgresStorage::Open(*uri);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& s = **opened;
  ASSERT_TRUE(s.UpsertLearner("l1", "Ada").ok());
  auto server = SharedPostgres();
  ASSERT_TRUE(server.ok());
  const std::string database = uri->substr(uri->rfind('/') + 1);
  const std::vector<std::vector<uint8_t>> templates = {{1}, {2}};
  ASSERT_TRUE((*server)
                  ->Execute(database,
                            "CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ "
                            "BEGIN RAISE EXCEPTION 'injected failure'; END $$; "
                            "CREATE TRIGGER fail_put BEFORE INSERT ON self_enrollments "
                            "FOR EACH ROW EXECUTE FUNCTION fail()")
                  .ok());
  const absl::Status put = s.PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates);
  EXPECT_FALSE(put.ok());
  EXPECT_TRUE(absl::StrContains(put.message(), "injected failure")) << put;
  EXPECT_TRUE(s.GetTemplates("l1")->empty()) << "the templates went with the row";
  EXPECT_EQ(s.GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*server)->Execute(database, "DROP TRIGGER fail_put ON self_enrollments").ok());
  ASSERT_TRUE(s.PutSelfEnrollment(TestSelfEnrollment("l1", kNow), templates).ok());

  ASSERT_TRUE((*server)
                  ->Execute(database,
                            "CREATE TRIGGER fail_templates BEFORE DELETE ON templates "
                            "FOR EACH ROW EXECUTE FUNCTION fail()")
                  .ok());
  EXPECT_FALSE(
      s.DecideSelfEnrollment("l1", SelfEnrollmentState::kRejected, "examiner-1", kNow, "").ok());
  auto got = s.GetSelfEnrollment("l1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, SelfEnrollmentState::kPending) << "no rejection without its deletions";
  EXPECT_EQ(got->sealed_photo, TestSelfEnrollment("l1", kNow).sealed_photo);
  EXPECT_EQ(*s.GetTemplates("l1"), templates);
  ASSERT_TRUE((*server)->Execute(database, "DROP TRIGGER fail_templates ON templates").ok());

  ASSERT_TRUE((*server)
                  ->Execute(database,
                            "CREATE TRIGGER fail_delete BEFORE DELETE ON self_enrollments "
                            "FOR EACH ROW EXECUTE FUNCTION fail()")
                  .ok());
  EXPECT_FALSE(s.ReplaceTemplates("l1", {{9}}).ok());
  EXPECT_FALSE(s.PurgeBiometrics("l1").ok());
  EXPECT_EQ(*s.GetTemplates("l1"), templates) << "neither replaced nor purged";
  EXPECT_EQ(s.GetSelfEnrollment("l1")->state, SelfEnrollmentState::kPending);
  ASSERT_TRUE((*server)->Execute(database, "DROP TRIGGER fail_delete ON self_enrollments").ok());
  ASSERT_TRUE(s.ReplaceTemplates("l1", {{9}}).ok());
  EXPECT_EQ(s.GetSelfEnrollment("l1").status().code(), absl::StatusCode::kNotFound);
}

TEST(PostgresStorageTest, MigratesAVersion1DatabaseAndKeepsItsData) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  ASSERT_GE(PostgresMigrations().size(), 2u);
  {
    pqxx::connection c(*uri);
    pqxx::work t(c);
    t.exec0(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT "
        "NULL)");
    t.exec0(PostgresMigrations()[0].sql);
    t.exec0(
        "INSERT INTO schema_migrations VALUES (1, 0); "
        "INSERT INTO assessments VALUES ('a1', 'Math', 'Final', 2, 1); "
        "INSERT INTO learners VALUES ('l1', 'Ada'); "
        "INSERT INTO sessions (id, learner_id, assessment_id, client_public_key, state, "
        "opened_at_unix_ms, closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, "
        "decided_by, last_seq, head_hash) VALUES ('old', 'l1', 'a1', "
        "decode(repeat('00', 32), 'hex'), 1, 0, 0, 0, 0, 1, '', '', 1, "
        "decode(repeat('00', 32), 'hex')); "
        "INSERT INTO events (session_sid, seq, kind, phase, at_ms, duration_ms, client_distance, "
        "face_count, detail, prev_hash, hash, server_distance, received_at_unix_ms, "
        "has_evidence) SELECT sid, 1, 1, 0, 0, 0, -1, 0, '', decode(repeat('00', 32), 'hex'), "
        "decode(repeat('00', 32), 'hex'), -1, 0, false FROM sessions");
    t.commit();
  }
  ASSERT_EQ(PgCount(*uri, "SELECT max(version) FROM schema_migrations"), 1);
  auto storage = PostgresStorage::Open(*uri);
  ASSERT_TRUE(storage.ok()) << storage.status();
  EXPECT_EQ(PgCount(*uri, "SELECT max(version) FROM schema_migrations"),
            PostgresStorage::LatestSchemaVersion());
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM schema_migrations"),
            PostgresStorage::LatestSchemaVersion());
  Storage& s = **storage;
  EXPECT_EQ(s.GetSession("old")->last_seq, 1u);
  EXPECT_FALSE(s.GetSession("old")->consent_required)
      << "a session opened before consent existed may finish as it began";
  EXPECT_EQ(s.ListEvents("old")->size(), 1u);
  auto none = s.ListBatchSignatures("old");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty()) << "sessions stored before version 2 have no signatures";
  auto statuses = s.AppendBatches({TestBatch("old", 1, 2, 2)});
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_TRUE((*statuses)[0].ok()) << (*statuses)[0];
  EXPECT_EQ(SignedHeads(s, "old"), std::vector<uint64_t>{3});
}

TEST(PostgresStorageTest, TwoReplicasAppendingTheSameSeqsStoreThemOnce) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto first = OpenPgWithSessions(*uri);
  ASSERT_NE(first, nullptr);
  auto second = PostgresStorage::Open(*uri);
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kRounds = 50;
  int ok = 0;
  int aborted = 0;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t last = static_cast<uint64_t>(round) * 2;
    absl::StatusOr<std::vector<absl::Status>> results[2];
    std::thread a([&] { results[0] = first->AppendBatches({TestBatch("s1", last, last + 1, 2)}); });
    std::thread b(
        [&] { results[1] = (*second)->AppendBatches({TestBatch("s1", last, last + 1, 2)}); });
    a.join();
    b.join();
    for (const auto& result : results) {
      ASSERT_TRUE(result.ok()) << result.status();
      if ((*result)[0].ok()) ++ok;
      if ((*result)[0].code() == absl::StatusCode::kAborted) ++aborted;
    }
  }
  EXPECT_EQ(ok, kRounds) << "exactly one replica wins each round";
  EXPECT_EQ(aborted, kRounds) << "and the other is told the session moved";
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM events"), 2 * kRounds);
  EXPECT_EQ((*second)->GetSession("s1")->last_seq, static_cast<uint64_t>(2 * kRounds));

  // A session closed through one replica refuses appends through the other.
  SessionRecord closed = *first->GetSession("s2");
  closed.state = SessionState::kClosed;
  ASSERT_TRUE(first->UpdateSessionOutcome(closed).ok());
  auto refused = (*second)->AppendBatches({TestBatch("s2", 0, 1, 1)});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ((*refused)[0].code(), absl::StatusCode::kFailedPrecondition) << (*refused)[0];
}

TEST(PostgresStorageTest, EventDetailsHoldAnyUtf8IncludingNul) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto storage = OpenPgWithSessions(*uri);
  ASSERT_NE(storage, nullptr);
  AppendBatch batch = TestBatch("s1", 0, 1, 2);
  batch.events[0].event.detail = std::string("nul \0 inside, \"quotes\" and \\ \xc3\xa9", 31);
  batch.events[1].event.detail = "{braces},NULL";
  auto statuses = storage->AppendBatches({batch});
  ASSERT_TRUE(statuses.ok()) << statuses.status();
  ASSERT_TRUE((*statuses)[0].ok());
  auto events = storage->ListEvents("s1");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].event.detail, batch.events[0].event.detail);
  EXPECT_EQ((*events)[1].event.detail, "{braces},NULL");
}

TEST(PostgresStorageTest, AClusterOfSeveralHostsIsReachedThroughItsWritableMember) {
  const std::string defaults = "target_session_attrs=read-write&tcp_user_timeout=10000";
  EXPECT_EQ(WithClusterDefaults("postgresql://p@h1:5432,h2:5433/proctor"),
            "postgresql://p@h1:5432,h2:5433/proctor?" + defaults);
  EXPECT_EQ(WithClusterDefaults("postgresql://p:a,b@h1,h2/proctor?sslmode=require"),
            "postgresql://p:a,b@h1,h2/proctor?sslmode=require&" + defaults);
  EXPECT_EQ(WithClusterDefaults("host=h1,h2 port=5432,5433 dbname=proctor"),
            "host=h1,h2 port=5432,5433 dbname=proctor target_session_attrs=read-write "
            "tcp_user_timeout=10000");
  // The administrator's own choice stands.
  EXPECT_EQ(WithClusterDefaults("postgresql://h1,h2/p?target_session_attrs=any"),
            "postgresql://h1,h2/p?target_session_attrs=any&tcp_user_timeout=10000");
  EXPECT_EQ(WithClusterDefaults("host=h1,h2 tcp_user_timeout=3000"),
            "host=h1,h2 tcp_user_timeout=3000 target_session_attrs=read-write");
  // One host: unchanged (a comma in the password is no host list).
  EXPECT_EQ(WithClusterDefaults("postgresql://p:a,b@h1/proctor"), "postgresql://p:a,b@h1/proctor");
  EXPECT_EQ(WithClusterDefaults("host=h1 password=a,b"), "host=h1 password=a,b");
}

TEST(PostgresStorageTest, ConnectionErrorsNameTheDatabaseButNeverThePassword) {
  EXPECT_EQ(
      RedactPostgresConninfo("postgresql://ada:s3cret@db.example:5433/proctor?sslmode=require"),
      "postgresql://ada@db.example:5433/proctor?sslmode=require");
  EXPECT_EQ(RedactPostgresConninfo("postgres://db/p?password=s3cret&application_name=x"),
            "postgres://db/p?password=***&application_name=x");
  EXPECT_EQ(RedactPostgresConninfo("host=db password='s 3cret' dbname=p"),
            "host=db password=*** dbname=p");
  EXPECT_EQ(RedactPostgresConninfo("host=db password=s3cret"), "host=db password=***");

  // Nothing listens on this port: Open fails UNAVAILABLE, quickly, and says where it tried.
  const std::string uri = "postgresql://ada:s3cret@127.0.0.1:1/proctor";
  auto refused = PostgresStorage::Open(uri);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "postgresql://ada@127.0.0.1:1/proctor"))
      << refused.status();
  EXPECT_FALSE(absl::StrContains(refused.status().message(), "s3cret")) << refused.status();
  EXPECT_TRUE(IsMarkedInternal(refused.status())) << "callers must not see the address";
  EXPECT_EQ(PostgresStorage::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  PostgresStorageOptions options;
  options.connections = 0;
  EXPECT_EQ(PostgresStorage::Open(uri, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A cluster URI whose first member is down: the pool writes to the next one, and says so.
TEST(PostgresStorageTest, WithSeveralHostsTheFirstThatAnswersAndWritesIsUsedAndNamed) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto server = SharedPostgres();
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  // postgresql://proctor@127.0.0.1:PORT/DB → postgresql://proctor@127.0.0.1:1,127.0.0.1:PORT/DB
  std::string cluster = *uri;
  const std::string member = absl::StrCat("127.0.0.1:", port);
  cluster.replace(cluster.find(member), member.size(), absl::StrCat("127.0.0.1:1,", member));
  auto storage = PostgresStorage::Open(cluster);
  ASSERT_TRUE(storage.ok()) << storage.status();
  EXPECT_EQ((*storage)->Writer().backend, "postgresql");
  EXPECT_EQ((*storage)->Writer().member, member);
  EXPECT_EQ((*storage)->Writer().failovers, 0u);
  Assessment a;
  a.id = "cluster";
  a.course = "c";
  a.title = "t";
  EXPECT_TRUE((*storage)->CreateAssessment(a).ok());
}

// A database that refuses writes (here: read-only by default, as a hot standby is) answers
// UNAVAILABLE to writes, with nothing written, while reads go on.
TEST(PostgresStorageTest, ADatabaseThatRefusesWritesIsUnavailableForWrites) {
  auto uri = FreshPostgresDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  ASSERT_NE(OpenPgWithSessions(*uri), nullptr);
  auto server = SharedPostgres();
  ASSERT_TRUE(server.ok());
  const std::string database = uri->substr(uri->rfind('/') + 1);
  ASSERT_TRUE((*server)
                  ->Execute("postgres", absl::StrCat("ALTER DATABASE ", database,
                                                     " SET default_transaction_read_only = on"))
                  .ok());
  auto storage = PostgresStorage::Open(*uri);  // new connections: read-only
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto append = (*storage)->AppendBatches({TestBatch("s1", 0, 1, 3)});
  EXPECT_EQ(append.status().code(), absl::StatusCode::kUnavailable) << append.status();
  EXPECT_TRUE(absl::StrContains(append.status().message(), "read-only")) << append.status();
  EXPECT_TRUE(IsMarkedInternal(append.status())) << append.status();
  EXPECT_EQ((*storage)->AppendAudit({kNow, "root", "x", "y", "z"}).code(),
            absl::StatusCode::kUnavailable);
  auto session = (*storage)->GetSession("s1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->last_seq, 0u);
  EXPECT_EQ(PgCount(*uri, "SELECT count(*) FROM events"), 0);
}

// The database goes away under a running storage: calls fail UNAVAILABLE (no crash, nothing
// half-written), and once the server is back the same storage object works again.
TEST(PostgresStorageTest, AStoppedServerIsUnavailableAndTheStorageRecoversAfterRestart) {
  auto server = PgServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto uri = (*server)->CreateDatabase("proctor");
  ASSERT_TRUE(uri.ok()) << uri.status();
  PostgresStorageOptions options;
  options.connections = 3;
  auto storage = OpenPgWithSessions(*uri, options);
  ASSERT_NE(storage, nullptr);
  // Use every pooled connection, so that all of them are stale after the restart.
  std::vector<std::thread> readers;
  for (int i = 0; i < 6; ++i) {
    readers.emplace_back([&] { EXPECT_TRUE(storage->ListSessions(false).ok()); });
  }
  for (std::thread& t : readers) t.join();
  ASSERT_TRUE(storage->AppendBatches({TestBatch("s1", 0, 1, 3)}).ok());

  for (bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "killed" : "stopped");
    ASSERT_TRUE((crash ? (*server)->Kill() : (*server)->Stop()).ok());
    auto append = storage->AppendBatches({TestBatch("s1", 3, 4, 2)});
    EXPECT_EQ(append.status().code(), absl::StatusCode::kUnavailable) << append.status();
    EXPECT_TRUE(absl::StrContains(append.status().message(),
                                  "postgresql: appending events on "
                                  "postgresql://proctor@127.0.0.1:"))
        << append.status();
    EXPECT_TRUE(IsMarkedInternal(append.status())) << "callers must not see the address";
    EXPECT_EQ(storage->UpsertLearner("l2", "Grace").code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(storage->GetSession("s1").status().code(), absl::StatusCode::kUnavailable);

    ASSERT_TRUE((*server)->Restart().ok());
    auto session = storage->GetSession("s1");
    ASSERT_TRUE(session.ok()) << "the first call after the restart reconnects: "
                              << session.status();
    EXPECT_EQ(session->last_seq, 3u) << "nothing of the refused append was stored";
    EXPECT_EQ(storage->ListEvents("s1")->size(), 3u);
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(storage->ListSessions(false).ok()) << i;
  }
  auto resumed = storage->AppendBatches({TestBatch("s1", 3, 4, 2)});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_TRUE((*resumed)[0].ok()) << (*resumed)[0];
  EXPECT_EQ(storage->GetSession("s1")->last_seq, 5u);
  EXPECT_TRUE(storage->UpsertLearner("l2", "Grace").ok());
}

}  // namespace
}  // namespace proctor::server
