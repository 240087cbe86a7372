#include "common/file_env.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/testing/fault_injection_env.h"
#include "common/testing/platform_testing.h"
#include "common/testing/test_dir.h"

namespace proctor {
namespace {

namespace fs = std::filesystem;

class FileEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = proctor::testing::FreshTestDir("file_env"); }
  void TearDown() override { fs::remove_all(dir_); }
  static void ExpectOwnerOnly(const std::string& path) {
    EXPECT_TRUE(fs::exists(path)) << path;
    if (testing::UnderWine()) return;  // see UnderWine()
    std::string why;
    EXPECT_TRUE(testing::IsOwnerOnly(path, &why)) << why;
  }
  fs::path dir_;
};

TEST_F(FileEnvTest, PrivateDirAndFilesAreTheOwnersOnly) {
  FileEnv* env = FileEnv::Default();
  const std::string dir = (dir_ / "a" / "b").string();
  ASSERT_TRUE(env->CreatePrivateDir(dir).ok());
  ExpectOwnerOnly(dir);
  auto file = env->OpenReadWrite(dir + "/log");
  ASSERT_TRUE(file.ok()) << file.status();
  ExpectOwnerOnly(dir + "/log");
  ASSERT_TRUE(env->WriteFileAtomically(dir + "/meta", "{}", true).ok());
  ExpectOwnerOnly(dir + "/meta");
  EXPECT_FALSE(env->FileExists(dir + "/meta.tmp"));
}

TEST_F(FileEnvTest, RandomAccessReadsWhatWasWrittenAndRefusesToReadPastTheEnd) {
  FileEnv* env = FileEnv::Default();
  ASSERT_TRUE(env->CreatePrivateDir(dir_.string()).ok());
  auto file = env->OpenReadWrite((dir_ / "log").string());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Write(0, "hello world", 11).ok());
  ASSERT_TRUE((*file)->Write(6, "there", 5).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(*(*file)->Size(), 11u);
  char buf[11];
  ASSERT_TRUE((*file)->Read(0, 11, buf).ok());
  EXPECT_EQ(std::string(buf, 11), "hello there");
  EXPECT_EQ((*file)->Read(8, 10, buf).code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE((*file)->Truncate(5).ok());
  EXPECT_EQ(*(*file)->Size(), 5u);
}

TEST_F(FileEnvTest, ReadAndRemoveOfMissingFiles) {
  FileEnv* env = FileEnv::Default();
  EXPECT_EQ(env->ReadFile((dir_ / "none").string()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(env->RemoveFile((dir_ / "none").string()).ok());
}

TEST_F(FileEnvTest, PowerCutKeepsOnlyWhatWasSyncedAndUndoesNonDurableReplacements) {
  testing::FaultInjectionEnv env;
  ASSERT_TRUE(env.CreatePrivateDir(dir_.string()).ok());
  const std::string log = (dir_ / "log").string(), state = (dir_ / "state").string();
  ASSERT_TRUE(env.WriteFileAtomically(state, "v1", true).ok());
  {
    auto file = env.OpenReadWrite(log);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Write(0, "synced", 6).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Write(6, "+lost", 5).ok());
  }
  ASSERT_TRUE(env.WriteFileAtomically(state, "v2", false).ok());
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(*env.ReadFile(log), "synced");
  EXPECT_EQ(*env.ReadFile(state), "v1");
}

TEST_F(FileEnvTest, ArmedFaultsHitTheNumberedCallAndACrashStopsEverythingUntilReboot) {
  testing::FaultInjectionEnv env;
  ASSERT_TRUE(env.CreatePrivateDir(dir_.string()).ok());
  auto file = env.OpenReadWrite((dir_ / "log").string());
  ASSERT_TRUE(file.ok());
  env.FailSyncNumber(2);
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_EQ((*file)->Sync().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE((*file)->Sync().ok());
  env.TearWriteNumber(1, 3);
  EXPECT_EQ((*file)->Write(0, "abcdef", 6).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(env.crashed());
  EXPECT_EQ((*file)->Sync().code(), absl::StatusCode::kUnavailable);
  file->reset();
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.Reboot();
  EXPECT_EQ(*env.ReadFile((dir_ / "log").string()), "abc") << "a torn write keeps its first bytes";
}

}  // namespace
}  // namespace proctor
