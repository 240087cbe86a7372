// tests/lti/lti_platform.py as a process: an independent LTI 1.3 platform (Python, PyJWT and
// cryptography from Debian; none of the tool's code) for the LTI tests.
#ifndef PROCTOR_TESTS_SUPPORT_LTI_PLATFORM_PROCESS_H_
#define PROCTOR_TESTS_SUPPORT_LTI_PLATFORM_PROCESS_H_

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

extern char** environ;

namespace proctor::testing {

// The platform's process: started with the tool's URLs, stopped (SIGTERM) with the object.
class PlatformProcess {
 public:
  // `tool_base`: the tool's public URL (its /lti/login, /lti/launch and /lti/jwks).
  bool Start(const std::string& client_id, const std::string& deployment_id,
             const std::string& tool_base, std::string* why) {
    int out[2];
    if (::pipe(out) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const std::string script = std::string(PROCTOR_SOURCE_DIR) + "/tests/lti/lti_platform.py";
    const std::string login = tool_base + "/lti/login";
    const std::string launch = tool_base + "/lti/launch";
    const std::string jwks = tool_base + "/lti/jwks";
    std::vector<std::string> args = {
        "/usr/bin/python3",  script,        "--client-id",      client_id,
        "--deployment-id",   deployment_id, "--tool-login-url", login,
        "--tool-launch-url", launch,        "--tool-jwks-url",  jwks};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      ::close(out[0]);
      *why = "cannot start /usr/bin/python3 (install python3-jwt python3-cryptography)";
      return false;
    }
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(out[0]);
    ready_ = nlohmann::json::parse(line, nullptr, false);
    if (!ready_.is_object() || !ready_.contains("issuer")) {
      *why = "the platform did not start (is python3-jwt installed?): '" + line + "'";
      return false;
    }
    http_ = std::make_unique<httplib::Client>("127.0.0.1", ready_["port"].get<int>());
    http_->set_read_timeout(30, 0);
    return true;
  }
  ~PlatformProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  std::string issuer() const { return ready_["issuer"]; }
  std::string url(const char* key) const { return ready_[key]; }
  httplib::Client& http() { return *http_; }
  // The platform's own record of what it received.
  nlohmann::json Log() {
    auto res = http_->Get("/test/log");
    return res && res->status == 200 ? nlohmann::json::parse(res->body) : nlohmann::json();
  }
  int Count(const std::string& path) {
    int n = 0;
    for (const auto& entry : Log()) n += entry["path"] == path;
    return n;
  }

 private:
  pid_t pid_ = -1;
  nlohmann::json ready_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_LTI_PLATFORM_PROCESS_H_
