// The ceiling for proctor-server's ingest: the raw SQLite insert rate of the rows the server
// writes for proctor-loadgen's events (HEARTBEAT rows with their hash), through the same
// SqliteStorage::AppendBatches group commit, without gRPC, signatures or validation.
//   storage_append_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Arg 0: sessions per commit (each contributing one batch); arg 1: events per batch.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "common/crypto.h"
#include "server/storage/sqlite_storage.h"

namespace proctor::server {
namespace {

struct Fixture {
  std::string dir;
  std::unique_ptr<SqliteStorage> storage;
  std::vector<std::string> sessions;
  std::vector<uint64_t> last_seq;
};

Fixture Open(int sessions) {
  Fixture f;
  char pattern[] = "/tmp/proctor_bench_XXXXXX";
  f.dir = ::mkdtemp(pattern);
  f.storage = std::move(SqliteStorage::Open(f.dir + "/bench.db").value());
  (void)f.storage->CreateAssessment({"a", "c", "t", AssessmentKind::kIntermediate, 0});
  (void)f.storage->UpsertLearner("l", "L");
  const SigningKey key = SigningKey::Generate();
  for (int i = 0; i < sessions; ++i) {
    const std::string id = "s-" + std::to_string(i);
    (void)f.storage->PutPass({"p" + id, "l", "a", int64_t{1} << 50, false});
    SessionRecord s;
    s.id = id;
    s.client_public_key.assign(key.public_key().begin(), key.public_key().end());
    (void)f.storage->RedeemPass("p" + id, 0, s, {"t" + id, Role::kLearner, "x", id, 0});
    f.sessions.push_back(id);
  }
  f.last_seq.assign(sessions, 0);
  return f;
}

void BM_SqliteAppendBatches(benchmark::State& state) {
  const int sessions = static_cast<int>(state.range(0));
  const int per_batch = static_cast<int>(state.range(1));
  Fixture f = Open(sessions);
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<AppendBatch> group(sessions);
    for (int i = 0; i < sessions; ++i) {
      group[i].session_id = f.sessions[i];
      group[i].expected_last_seq = f.last_seq[i];
      for (int k = 0; k < per_batch; ++k) {
        StoredEvent e;
        e.event.session_id = f.sessions[i];
        e.event.seq = ++f.last_seq[i];
        e.event.kind = EventKind::kHeartbeat;
        e.event.at_ms = static_cast<int64_t>(e.event.seq) * 200;
        e.hash = EventDigest(e.event);
        group[i].events.push_back(std::move(e));
      }
    }
    state.ResumeTiming();
    auto statuses = f.storage->AppendBatches(group);
    if (!statuses.ok()) state.SkipWithError(std::string(statuses.status().message()).c_str());
    rows += int64_t{sessions} * per_batch;
  }
  state.SetItemsProcessed(rows);
  f.storage.reset();
  std::filesystem::remove_all(f.dir);
}
// 1,000 sessions with batches of 10 and 50 events; a small group as the per-commit floor.
BENCHMARK(BM_SqliteAppendBatches)->Args({1000, 10})->Args({1000, 50})->Args({50, 10})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// What the LTI delivery asks the database every 2 s on each replica: the attempts whose closed
// session has an outcome not yet reported to the LMS (a join over every attempt: none is due
// here, the worst case). Arg: attempts, each with its own closed, reported session. The
// baseline in the same run is one session read by id (BM_SqliteGetSession).
Fixture OpenWithAttempts(int attempts) {
  Fixture f = Open(attempts);
  for (int i = 0; i < attempts; ++i) {
    SessionRecord s = f.storage->GetSession(f.sessions[i]).value();
    s.state = SessionState::kClosed;
    s.verdict = Verdict::kAccepted;
    (void)f.storage->UpdateSessionOutcome(s);
    LtiAttempt a;
    a.id = "attempt-" + std::to_string(i);
    a.learner_id = "l";
    a.assessment_id = "a";
    a.pass_hash = "p" + f.sessions[i];
    a.reported_state = static_cast<int32_t>(SessionState::kClosed);
    a.reported_verdict = static_cast<int32_t>(Verdict::kAccepted);
    a.reported_seq = 1;
    (void)f.storage->PutLtiAttempt(a);
  }
  return f;
}

void BM_SqliteLtiAttemptChanges(benchmark::State& state) {
  Fixture f = OpenWithAttempts(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto changes = f.storage->ListLtiAttemptChanges(20);
    if (!changes.ok() || !changes->empty()) state.SkipWithError("expected no change due");
  }
  f.storage.reset();
  std::filesystem::remove_all(f.dir);
}
BENCHMARK(BM_SqliteLtiAttemptChanges)->Arg(1000)->Arg(10000)->Arg(30000)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// The same question as the delivery asks it between full scans: only attempts of the recent
// window (here none of the 30,000 is recent: the index answers).
void BM_SqliteLtiAttemptChangesRecent(benchmark::State& state) {
  Fixture f = OpenWithAttempts(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto changes = f.storage->ListLtiAttemptChanges(20, int64_t{1} << 40);
    if (!changes.ok() || !changes->empty()) state.SkipWithError("expected no change due");
  }
  f.storage.reset();
  std::filesystem::remove_all(f.dir);
}
BENCHMARK(BM_SqliteLtiAttemptChangesRecent)->Arg(30000)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SqliteGetSession(benchmark::State& state) {
  Fixture f = Open(1000);
  int i = 0;
  for (auto _ : state) {
    auto s = f.storage->GetSession(f.sessions[i++ % 1000]);
    if (!s.ok()) state.SkipWithError("no session");
  }
  f.storage.reset();
  std::filesystem::remove_all(f.dir);
}
BENCHMARK(BM_SqliteGetSession)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace proctor::server

BENCHMARK_MAIN();
