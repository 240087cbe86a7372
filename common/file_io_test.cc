#include "common/file_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/testing/platform_testing.h"

namespace proctor {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/file_io_test_" + std::to_string(proctor::testing::ProcessId()) +
         "_" + name;
}

TEST(ReadFileBytesTest, ReadsWholeFile) {
  const std::string path = TempPath("hello");
  std::ofstream(path, std::ios::binary) << "hello\0world";
  auto bytes = ReadFileBytes(path, 1024);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "hello");
  std::remove(path.c_str());
}

TEST(ReadFileBytesTest, MissingFileIsNotFoundAndNamesThePath) {
  auto bytes = ReadFileBytes("/nonexistent/proctor/file.jpg", 1024);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(bytes.status().message().find("/nonexistent/proctor/file.jpg"), std::string::npos);
}

TEST(ReadFileBytesTest, DirectoryIsRefused) {
  auto bytes = ReadFileBytes(::testing::TempDir(), 1024);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReadFileBytesTest, OversizedFileIsRefusedBeforeReading) {
  const std::string path = TempPath("big");
  std::ofstream(path, std::ios::binary) << std::string(2048, 'x');
  auto bytes = ReadFileBytes(path, 1024);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted);
  std::remove(path.c_str());
}

TEST(ReadFileBytesTest, EmptyFileGivesNoBytes) {
  const std::string path = TempPath("empty");
  std::ofstream(path, std::ios::binary).close();
  auto bytes = ReadFileBytes(path, 1024);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_TRUE(bytes->empty());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace proctor
