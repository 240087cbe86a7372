// proctor-loadgen as an operator runs it, against a real proctor-server that is SIGKILLed and
// restarted mid-run: its sessions back off, reopen their streams and resend what was not
// acknowledged, as the learner's client does, so its `acked` equals what the server stored.
// Without retries (--no-retry) the same fault ends the sessions and the run fails.
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/server_harness.h"
#include "tests/support/shell_command.h"

namespace proctor::testing {
namespace {

struct LoadgenRun {
  int exit_code = -1;
  nlohmann::json report;
};

// Starts proctor-loadgen (JSON on stdout), runs `fault` while it streams, then waits for it.
template <typename Fault>
LoadgenRun RunLoadgenThrough(const ServerProcess& server, const std::string& args, Fault fault) {
  const std::string command = std::string("PROCTOR_TOKEN='") + server.admin_token() + "' " +
                              PROCTOR_LOADGEN_BINARY + " --server " + server.address() +
                              " --json " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  fault();
  const CommandRun done = FinishCommand(pipe);
  LoadgenRun run;
  run.exit_code = done.exit_code;
  run.report = nlohmann::json::parse(done.out, nullptr, /*allow_exceptions=*/false);
  return run;
}

// Events the server's SQLite database holds: all rows, and distinct (session, seq) pairs.
std::pair<int64_t, int64_t> StoredEvents(const std::string& data_dir) {
  sqlite3* db = nullptr;
  std::pair<int64_t, int64_t> counts{-1, -1};
  if (sqlite3_open_v2((data_dir + "/proctor.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT session_sid, "
                           "seq FROM events)) FROM events",
                           -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      counts = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)};
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return counts;
}

constexpr char kPacedRun[] = "--sessions 20 --duration 8 --rate 10 --batch 5 --timeout 30";

TEST(LoadgenRideThroughTest, ResendsAcrossAServerRestartAndAckedEqualsStored) {
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  bool restarted = false;
  const LoadgenRun run = RunLoadgenThrough(server, kPacedRun, [&] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    server.Kill();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    restarted = server.Start(&why);
  });
  ASSERT_TRUE(restarted) << why;
  ASSERT_TRUE(run.report.is_object()) << "no JSON report";
  EXPECT_EQ(run.exit_code, 0) << run.report.dump();
  EXPECT_GT(run.report["reconnects"].get<int64_t>(), 0) << "the restart broke no stream?";
  EXPECT_GT(run.report["resent"].get<int64_t>(), 0);
  EXPECT_EQ(run.report["stream_errors"].get<int>(), 0);
  const int64_t acked = run.report["acked"].get<int64_t>();
  EXPECT_EQ(acked, run.report["made"].get<int64_t>());
  // 20 sessions x 8 s x 10 events/s in all; at least the 2 s before the kill (on a busy machine
  // the restart may take long enough that the sessions do not catch up before the end).
  EXPECT_GT(acked, 20 * 2 * 10);
  const int stop_status = server.Stop();
  ASSERT_TRUE(WIFEXITED(stop_status) && WEXITSTATUS(stop_status) == 0) << stop_status;
  const auto [rows, distinct] = StoredEvents(server.data_dir());
  EXPECT_EQ(rows, acked) << "acknowledged events lost, or unacknowledged ones counted";
  EXPECT_EQ(distinct, rows) << "an event stored twice";
  // Per-minute figures cover every acknowledged event.
  int64_t per_minute = 0;
  for (const auto& m : run.report["per_minute"]) per_minute += m["acked"].get<int64_t>();
  EXPECT_EQ(per_minute, acked);
}

TEST(LoadgenRideThroughTest, WithoutRetriesTheSameRestartFailsTheRun) {
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.Start(&why)) << why;
  const LoadgenRun run = RunLoadgenThrough(server, std::string(kPacedRun) + " --no-retry", [&] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    server.Kill();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    server.Start(&why);
  });
  ASSERT_TRUE(run.report.is_object()) << "no JSON report";
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.report["reconnects"].get<int64_t>(), 0);
  EXPECT_GT(run.report["stream_errors"].get<int>(), 0);
}

TEST(LoadgenRideThroughTest, RejectsARampNotShorterThanTheRun) {
  const std::string command =
      std::string(PROCTOR_LOADGEN_BINARY) + " --token x --duration 10 --ramp 10 2>&1";
  const CommandRun r = Shell(command);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--ramp"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace proctor::testing
