// A minimal W3C WebDriver client for browser tests: Debian's chromedriver driving headless
// Chromium (Debian's chromium). Chromium and chromedriver are required (scripts/setup.sh installs
// them): a test that needs them fails without them, it does not skip.
#ifndef PROCTOR_TESTS_SUPPORT_WEBDRIVER_H_
#define PROCTOR_TESTS_SUPPORT_WEBDRIVER_H_

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/free_port.h"

namespace proctor::testing {

inline constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";

inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// A minimal W3C WebDriver client over chromedriver's HTTP API. Calls that fail record a test
// failure and return null.
class Browser {
 public:
  Browser(const std::string& chromedriver, const std::string& chromium) {
    port_ = FreeLoopbackPort();
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port_flag = "--port=" + std::to_string(port_);
      ::execl(chromedriver.c_str(), chromedriver.c_str(), port_flag.c_str(), "--silent", nullptr);
      ::_exit(127);
    }
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http_->set_read_timeout(60, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = http_->Get("/status");
      if (res && res->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    nlohmann::json caps = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", chromium},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1700", "--hide-scrollbars"}}}}}}}}};
    auto res = http_->Post("/session", caps.dump(), "application/json");
    if (!res) {
      ADD_FAILURE() << "chromedriver did not answer on port " << port_;
      return;
    }
    const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200 || !body.contains("value") || !body["value"].contains("sessionId")) {
      ADD_FAILURE() << "chromedriver could not start Chromium: " << res->body;
      return;
    }
    session_ = body["value"]["sessionId"];
  }

  ~Browser() {
    if (!session_.empty()) http_->Delete("/session/" + session_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  bool ok() const { return !session_.empty(); }

  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nlohmann::json::object()) {
    const std::string url = "/session/" + session_ + path;
    httplib::Result res =
        method == "GET" ? http_->Get(url) : http_->Post(url, body.dump(), "application/json");
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": no answer from chromedriver";
      return nullptr;
    }
    nlohmann::json answer = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status != 200) {
      ADD_FAILURE() << method << " " << path << " -> " << res->status << ": " << res->body;
      return nullptr;
    }
    return answer.value("value", nlohmann::json());
  }

  void Go(const std::string& url) { Call("POST", "/url", {{"url", url}}); }
  std::string Url() {
    const nlohmann::json v = Call("GET", "/url");
    return v.is_string() ? v.get<std::string>() : "";
  }
  std::vector<std::string> FindAll(const std::string& css) {
    std::vector<std::string> ids;
    const nlohmann::json v = Call("POST", "/elements", {{"using", "css selector"}, {"value", css}});
    if (v.is_array()) {
      for (const nlohmann::json& e : v) ids.push_back(e[kElementKey]);
    }
    return ids;
  }
  std::string Find(const std::string& css) {
    auto all = FindAll(css);
    if (all.empty()) {
      ADD_FAILURE() << "no element matches " << css << " on " << Url();
      return "";
    }
    return all.front();
  }
  void Click(const std::string& css) { Call("POST", "/element/" + Find(css) + "/click"); }
  // Clicks something that loads a new page and waits until that page has loaded: a form's
  // submission can still be in flight when chromedriver answers the click (seen in CI, where
  // the next read found the old page). The old document is marked; the new one is not.
  void ClickAndLoad(const std::string& css) {
    Script("window.__proctorOldPage = true;");
    Click(css);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = http_->Post("/session/" + session_ + "/execute/sync",
                             nlohmann::json{{"script",
                                             "return window.__proctorOldPage === undefined && "
                                             "document.readyState === 'complete';"},
                                            {"args", nlohmann::json::array()}}
                                 .dump(),
                             "application/json");
      if (res && res->status == 200) {
        const nlohmann::json v = nlohmann::json::parse(res->body, nullptr, false);
        if (v.is_object() && v.value("value", nlohmann::json()) == nlohmann::json(true)) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "clicking " << css << " did not load a new page within 20 s (" << Url() << ")";
  }
  void Type(const std::string& css, const std::string& text) {
    Call("POST", "/element/" + Find(css) + "/value", {{"text", text}});
  }
  std::string Text(const std::string& css) {
    const nlohmann::json v = Call("GET", "/element/" + Find(css) + "/text");
    return v.is_string() ? v.get<std::string>() : "";
  }
  nlohmann::json Script(const std::string& script) {
    return Call("POST", "/execute/sync", {{"script", script}, {"args", nlohmann::json::array()}});
  }
  // True when a JavaScript alert is open (an injected script would have opened one).
  bool AlertOpen() {
    auto res = http_->Get("/session/" + session_ + "/alert/text");
    return res && res->status == 200;
  }
  std::vector<uint8_t> Screenshot() {
    const nlohmann::json v = Call("GET", "/screenshot");
    std::string png;
    if (!v.is_string() || !absl::Base64Unescape(v.get<std::string>(), &png)) return {};
    return std::vector<uint8_t>(png.begin(), png.end());
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<httplib::Client> http_;
  std::string session_;
};

inline void SavePng(const std::vector<uint8_t>& png, const std::string& path) {
  EXPECT_GT(png.size(), 1000u) << path;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
}

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_WEBDRIVER_H_
