// A directory of its own for the running GoogleTest test: <tmp>/<prefix>_<pid>_<test name>,
// removed first so every test starts empty (the caller removes it in TearDown).
#ifndef PROCTOR_COMMON_TESTING_TEST_DIR_H_
#define PROCTOR_COMMON_TESTING_TEST_DIR_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/testing/platform_testing.h"

namespace proctor::testing {

inline std::string FreshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + "_" + std::to_string(ProcessId()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir.string();
}

}  // namespace proctor::testing

#endif  // PROCTOR_COMMON_TESTING_TEST_DIR_H_
