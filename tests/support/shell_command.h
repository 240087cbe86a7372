// Runs a shell command for a test as a user would type it: its stdout and exit code (stderr goes
// where the test's goes, to the test log).
#ifndef PROCTOR_TESTS_SUPPORT_SHELL_COMMAND_H_
#define PROCTOR_TESTS_SUPPORT_SHELL_COMMAND_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace proctor::testing {

struct CommandRun {
  int exit_code = -1;  // -1 when it did not exit normally (a signal) or could not start
  std::string out;     // stdout
};

// Reads `pipe` (from popen) to its end and closes it.
inline CommandRun FinishCommand(FILE* pipe) {
  CommandRun r;
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CommandRun Shell(const std::string& command) {
  return FinishCommand(::popen(command.c_str(), "r"));
}

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_SHELL_COMMAND_H_
