// Backup and restore as an administrator does it, on real processes: `proctorctl admin backup`
// copies a proctor-server's SQLite database while learners stream into it, the copy is put in a
// new data dir with the storage key, a new server opens it, and `proctorctl admin verify`
// re-checks every session's hash chain and batch signatures there (the console report's check,
// headless). A tampered event in the restored copy is found; a backup never overwrites a file.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "common/crypto.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/server_harness.h"
#include "tests/support/shell_command.h"

namespace proctor::testing {
namespace {

namespace fs = std::filesystem;

CommandRun Ctl(const ServerProcess& server, const std::string& args) {
  return Shell(std::string("PROCTOR_TOKEN='") + server.admin_token() + "' " + PROCTORCTL_BINARY +
               " --server " + server.address() + " " + args);
}

std::string Loadgen(const ServerProcess& server, const std::string& args) {
  return std::string("PROCTOR_TOKEN='") + server.admin_token() + "' " + PROCTOR_LOADGEN_BINARY +
         " --server " + server.address() + " --json " + args;
}

int64_t CountEvents(const std::string& db_path) {
  sqlite3* db = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return count;
}

bool Exec(const std::string& db_path, const char* sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(db_path.c_str(), &db) == SQLITE_OK &&
            sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Sha256Stream sha;
  sha.Update(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  const auto digest = sha.Finish();
  return ToHex(digest.data(), digest.size());
}

class BackupRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(source_.Start(&why)) << why;
    char pattern[] = "/tmp/proctor_restore_XXXXXX";
    restore_dir_ = ::mkdtemp(pattern);
    // Closed sessions with evidence (every 7th event a JPEG, sealed at rest).
    const CommandRun seeded = Shell(Loadgen(source_,
                                            "--sessions 6 --events 60 --batch 10 "
                                            "--evidence-every 7 --assessment seeded"));
    ASSERT_EQ(seeded.exit_code, 0) << seeded.out;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(restore_dir_, ec);
  }

  ServerProcess source_;
  std::string restore_dir_;
};

TEST_F(BackupRestoreTest, AnOnlineBackupRestoresIntoANewServerAndEverySessionVerifies) {
  // Learners keep streaming during the backup: it is online.
  FILE* during = ::popen(Loadgen(source_,
                                 "--sessions 8 --duration 6 --rate 20 --batch 5 "
                                 "--assessment during")
                             .c_str(),
                         "r");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::string backup = restore_dir_ + "/proctor.db";
  const CommandRun made = Ctl(source_, "admin backup --json --out " + backup);
  const CommandRun during_run = FinishCommand(during);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  ASSERT_EQ(during_run.exit_code, 0) << during_run.out;

  const auto report = nlohmann::json::parse(made.out);
  EXPECT_EQ(report["bytes"].get<uint64_t>(), fs::file_size(backup));
  EXPECT_EQ(report["sha256"].get<std::string>(), FileSha256(backup));
  struct stat st {};
  ASSERT_EQ(::stat(backup.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the backup holds biometric data";
  EXPECT_FALSE(fs::exists(backup + ".partial"));
  EXPECT_FALSE(fs::exists(backup + "-wal")) << "the backup is one self-contained file";
  for (const auto& entry : fs::directory_iterator(source_.data_dir())) {
    EXPECT_EQ(entry.path().string().find(".db.partial"), std::string::npos)
        << "the server left its staging copy: " << entry.path();
  }
  const int64_t in_backup = CountEvents(backup);
  EXPECT_GE(in_backup, 6 * 60) << "the seeded sessions are in the backup";

  // A new server on the copy and the storage key (kept apart from backups in real life).
  fs::copy_file(source_.data_dir() + "/storage.key", restore_dir_ + "/storage.key");
  ServerProcess restored;
  restored.UseDataDir(restore_dir_);
  std::string why;
  ASSERT_TRUE(restored.Start(&why)) << why;
  const CommandRun verified = Ctl(restored, "admin verify --json");
  ASSERT_EQ(verified.exit_code, 0) << verified.out;
  const auto checked = nlohmann::json::parse(verified.out);
  EXPECT_TRUE(checked["ok"].get<bool>());
  EXPECT_EQ(checked["sessions_failed"].get<int>(), 0);
  EXPECT_EQ(checked["sessions_checked"].get<int>(), 6 + 8);
  EXPECT_EQ(checked["events"].get<int64_t>(), in_backup);
  int64_t recomputed = 0;
  for (const auto& s : checked["sessions"]) {
    EXPECT_TRUE(s["ok"].get<bool>()) << s.dump();
    EXPECT_TRUE(s["head_matches"].get<bool>()) << s.dump();
    EXPECT_EQ(s["recomputed"], s["events"]) << "evidence opened with the restored key";
    EXPECT_GT(s["signatures_verified"].get<int64_t>(), 0);
    recomputed += s["recomputed"].get<int64_t>();
  }
  EXPECT_EQ(recomputed, in_backup);

  // One event altered in the restored database: verify names the session and fails.
  ASSERT_EQ(restored.Stop(), 0);
  ASSERT_TRUE(Exec(backup,
                   "UPDATE events SET at_ms = at_ms + 1 "
                   "WHERE rowid = (SELECT min(rowid) FROM events)"));
  ASSERT_TRUE(restored.Start(&why)) << why;
  const CommandRun tampered = Ctl(restored, "admin verify --json");
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out;
  const auto found = nlohmann::json::parse(tampered.out);
  EXPECT_FALSE(found["ok"].get<bool>());
  EXPECT_EQ(found["sessions_failed"].get<int>(), 1);
}

TEST_F(BackupRestoreTest, NeverOverwritesAFileAndOnlyAnAdministratorBacksUp) {
  const std::string existing = restore_dir_ + "/keep.db";
  std::ofstream(existing) << "precious";
  const CommandRun refused = Ctl(source_, "admin backup --out " + existing);
  EXPECT_EQ(refused.exit_code, 2);
  std::ifstream in(existing);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");

  const CommandRun token = Ctl(source_, "token issue --role examiner --label reviewer --json");
  ASSERT_EQ(token.exit_code, 0) << token.out;
  const std::string examiner = nlohmann::json::parse(token.out)["token"].get<std::string>();
  const CommandRun denied =
      Shell(std::string("PROCTOR_TOKEN='") + examiner + "' " + PROCTORCTL_BINARY + " --server " +
            source_.address() + " admin backup --out " + restore_dir_ + "/by-examiner.db 2>&1");
  EXPECT_EQ(denied.exit_code, 1) << denied.out;
  EXPECT_NE(denied.out.find("PERMISSION_DENIED"), std::string::npos) << denied.out;
  EXPECT_FALSE(fs::exists(restore_dir_ + "/by-examiner.db"));
  EXPECT_FALSE(fs::exists(restore_dir_ + "/by-examiner.db.partial"));
  // An examiner may verify (an appeal, an audit).
  const CommandRun verify =
      Shell(std::string("PROCTOR_TOKEN='") + examiner + "' " + PROCTORCTL_BINARY + " --server " +
            source_.address() + " admin verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("6 sessions checked"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace proctor::testing
