// proctor-client as a child process for end-to-end tests: stdout and stderr in files, waiting
// for a line of output, SIGKILL, the exit code, the --json summary. The binary is
// PROCTOR_CLIENT_BINARY, a compile definition of the test target, started through
// PROCTOR_CLIENT_LAUNCHER when that is defined too (Wine, for the Windows client).
#ifndef PROCTOR_TESTS_SUPPORT_CLIENT_PROCESS_H_
#define PROCTOR_TESTS_SUPPORT_CLIENT_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace proctor::testing {

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// proctor-client as a child process, stdout and stderr in files.
class ClientProcess {
  using Clock = std::chrono::steady_clock;

 public:
  // Runs `proctor-client SUBCOMMAND ARGS...` ("run" unless told otherwise). `run` gets
  // --consent (the learner agreed) unless `answer` is given: then the learner's answer to the
  // consent question is that text on standard input (otherwise /dev/null).
  // The command that starts the client under test: [launcher,] binary.
  static std::vector<std::string> DefaultCommand() {
#ifdef PROCTOR_CLIENT_LAUNCHER
    // The Windows client under Wine: `wine proctor-client.exe ...`. SIGKILL reaches the Windows
    // process itself (wine execs into it), as a crash would.
    return {PROCTOR_CLIENT_LAUNCHER, PROCTOR_CLIENT_BINARY};
#else
    return {PROCTOR_CLIENT_BINARY};
#endif
  }

  ClientProcess(const std::string& dir, const std::vector<std::string>& args,
                const std::string& subcommand = "run",
                const std::optional<std::string>& answer = std::nullopt,
                const std::vector<std::string>& command = DefaultCommand()) {
    static int counter = 0;
    const std::string stem = dir + "/client-" + std::to_string(++counter);
    out_path_ = stem + ".out";
    err_path_ = stem + ".err";
    std::string in_path = "/dev/null";
    if (answer) {
      in_path = stem + ".in";
      std::ofstream(in_path) << *answer;
    }
    std::vector<std::string> argv = command;
    argv.push_back(subcommand);
    argv.insert(argv.end(), args.begin(), args.end());
    if (subcommand == "run" && !answer) argv.push_back("--consent");
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in_path.c_str(), O_RDONLY, 0);
    if (posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ClientProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // The exit code; -1 when it did not end within timeout_s (then it is killed).
  int Wait(int timeout_s = 180) {
    const auto give_up = Clock::now() + std::chrono::seconds(timeout_s);
    while (pid_ > 0) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (Clock::now() > give_up) {
        Kill();
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_code_;
  }
  bool Running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return pid_ > 0;
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exit_code_ = 137;
  }
  // Waits until stderr contains `text`; false when the process ended or timeout_s passed first.
  bool WaitForOutput(const std::string& text, int timeout_s = 120) {
    const auto give_up = Clock::now() + std::chrono::seconds(timeout_s);
    while (Clock::now() < give_up) {
      if (err().find(text) != std::string::npos) return true;
      int status = 0;
      if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return err().find(text) != std::string::npos;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::string out() const { return ReadAll(out_path_); }
  std::string err() const { return ReadAll(err_path_); }
  nlohmann::json summary() const {
    try {
      return nlohmann::json::parse(out());
    } catch (const nlohmann::json::exception& e) {
      ADD_FAILURE() << "stdout is not one JSON document: " << e.what() << "\n" << out();
      return {};
    }
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string out_path_;
  std::string err_path_;
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_CLIENT_PROCESS_H_
