// The LTI tests' fixture: a real proctor-server and the independent platform
// (tests/lti/lti_platform.py), and a learner's browser walking the launch over HTTP (302s, the
// state cookie, the auto-submitted form) as a browser does.
#ifndef PROCTOR_TESTS_SUPPORT_LTI_FLOW_H_
#define PROCTOR_TESTS_SUPPORT_LTI_FLOW_H_

#include <httplib.h>
#include <sqlite3.h>

#include <cmath>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proctor/v1/admin.grpc.pb.h"
#include "tests/support/face_fixtures.h"
#include "tests/support/lti_platform_process.h"
#include "tests/support/server_harness.h"
#include "tests/support/shell_command.h"

namespace proctor::testing {

inline constexpr char kClientId[] = "proctor-tool-7";
inline constexpr char kDeployment[] = "deployment-1";

// The path and query of a URL on one of the two loopback servers.
inline std::string PathOf(const std::string& url) {
  if (absl::StartsWith(url, "/")) return url;  // already relative
  const size_t scheme = url.find("//");
  return url.substr(url.find('/', scheme + 2));
}

inline std::string CookieFrom(const httplib::Result& res, const std::string& name) {
  for (size_t i = 0; i < res->get_header_value_count("Set-Cookie"); ++i) {
    const std::string header = res->get_header_value("Set-Cookie", i);
    if (absl::StartsWith(header, name + "=")) {
      return header.substr(name.size() + 1, header.find(';') - name.size() - 1);
    }
  }
  return "";
}

inline std::string HtmlUnescape(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"&quot;", "\""},
                                                                                 {"&#x27;", "'"},
                                                                                 {"&#39;", "'"},
                                                                                 {"&lt;", "<"},
                                                                                 {"&gt;", ">"},
                                                                                 {"&amp;", "&"}}) {
    for (size_t at; (at = s.find(from)) != std::string::npos;) s.replace(at, from.size(), to);
  }
  return s;
}

inline std::string Match(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? HtmlUnescape(m[1].str()) : "";
}

// The first 16 characters of the login's state (from the platform redirect's query): what
// names its cookie.
inline std::string login_state(const httplib::Result& login) {
  const std::string location = login->get_header_value("Location");
  const size_t at = location.find("&state=");
  return at == std::string::npos ? "" : location.substr(at + 7, 16);
}

// What the browser ends with after a launch.
struct Outcome {
  int status = 0;
  std::string body;
  std::string id_token, state, cookie;  // to replay
  std::string cookie_name, set_cookie;  // the state's cookie as /lti/login set it
  std::string attempt_path;             // /lti/attempts/ID when accepted
  std::string csp;                      // the attempt page's Content-Security-Policy
  std::string frame_options;            // and its X-Frame-Options ("" when absent)
};

class LtiFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server_.add_args({"--lti-retry-seconds", "1"});  // an LMS back up is tried again soon
    ASSERT_TRUE(server_.Start(&why)) << why;
    tool_base_ = "http://" + server_.http_address();
    ASSERT_TRUE(platform_.Start(kClientId, kDeployment, tool_base_, &why)) << why;
    tool_ = std::make_unique<httplib::Client>("127.0.0.1", server_.http_port());
    tool_->set_read_timeout(30, 0);
  }

  CommandRun Ctl(const std::string& args) {
    return Shell(absl::StrCat("PROCTOR_TOKEN='", server_.admin_token(), "' ", PROCTORCTL_BINARY,
                              " --server ", server_.address(), " ", args));
  }

  void Register() {
    const CommandRun added = Ctl(absl::StrCat(
        "--json lti platform add --issuer ", platform_.issuer(), " --client-id ", kClientId,
        " --deployment-id ", kDeployment, " --auth-url ", platform_.url("auth_url"),
        " --token-url ", platform_.url("token_url"), " --jwks-url ", platform_.url("jwks_url")));
    ASSERT_EQ(added.exit_code, 0) << added.out;
    const auto doc = nlohmann::json::parse(added.out);
    EXPECT_EQ(doc["tool"]["login_url"], tool_base_ + "/lti/login");
    EXPECT_EQ(doc["tool"]["launch_url"], tool_base_ + "/lti/launch");
    EXPECT_EQ(doc["tool"]["jwks_url"], tool_base_ + "/lti/jwks");
  }

  // The learner clicks the link in the LMS; the browser follows the redirects and submits the
  // platform's form to the tool.
  Outcome Launch(const std::string& query) {
    Outcome o = Prepare(query);
    if (o.id_token.empty()) return o;
    return Post(o);
  }

  // Everything up to the auto-submitted form (what a browser holds before it posts).
  Outcome Prepare(const std::string& query) {
    Outcome o;
    auto click = platform_.http().Get("/launch?" + query);
    if (!click || click->status != 302) {
      ADD_FAILURE() << "the platform's /launch did not redirect: " << (click ? click->body : "");
      return o;
    }
    auto login = tool_->Get(PathOf(click->get_header_value("Location")));
    if (!login || login->status != 302) {
      o.status = login ? login->status : 0;
      o.body = login ? login->body : "";
      return o;
    }
    o.cookie_name = "proctor_lti_" + login_state(login);
    o.cookie = CookieFrom(login, o.cookie_name);
    o.set_cookie = login->get_header_value("Set-Cookie");
    auto auth = platform_.http().Get(PathOf(login->get_header_value("Location")));
    if (!auth || auth->status != 200) {
      ADD_FAILURE() << "the platform refused the tool's authorization request: "
                    << (auth ? auth->body : "");
      return o;
    }
    EXPECT_EQ(Match(auth->body, "<form id=\"lti\" method=\"post\" action=\"([^\"]*)\">"),
              tool_base_ + "/lti/launch");
    o.id_token = Match(auth->body, "name=\"id_token\" value=\"([^\"]*)\"");
    o.state = Match(auth->body, "name=\"state\" value=\"([^\"]*)\"");
    return o;
  }

  Outcome Post(Outcome o) {
    httplib::Headers headers = {{"Origin", platform_.issuer()}};
    if (!o.cookie.empty()) headers.emplace("Cookie", o.cookie_name + "=" + o.cookie);
    auto res = tool_->Post("/lti/launch", headers,
                           httplib::Params{{"id_token", o.id_token}, {"state", o.state}});
    o.status = res ? res->status : 0;
    o.body = res ? res->body : "";
    if (o.status == 303) {  // to the attempt's page, as the browser follows it
      o.attempt_path = PathOf(res->get_header_value("Location"));
      EXPECT_TRUE(absl::StartsWith(o.attempt_path, "/lti/attempts/")) << o.attempt_path;
      auto page = tool_->Get(o.attempt_path);
      o.status = page ? page->status : 0;
      o.body = page ? page->body : "";
      if (page) {
        o.csp = page->get_header_value("Content-Security-Policy");
        o.frame_options = page->get_header_value("X-Frame-Options");
      }
    }
    return o;
  }

  // The attempt's page again, as its refresh does.
  std::string Reload(const std::string& attempt_path) {
    auto page = tool_->Get(attempt_path);
    EXPECT_TRUE(page && page->status == 200) << (page ? page->body : "no answer");
    return page ? page->body : "";
  }

  // Rows in the server's database: learners, assessments, passes (nothing may appear on a
  // refused launch).
  std::map<std::string, int> Counts() {
    std::map<std::string, int> counts;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((server_.data_dir() + "/proctor.db").c_str(), &db,
                              SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    for (const char* table : {"learners", "assessments", "passes"}) {
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(db, absl::StrCat("SELECT count(*) FROM ", table).c_str(), -1, &s, nullptr);
      counts[table] = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
      sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return counts;
  }

  // The one learner the launches created (tests that launch one learner).
  std::string OnlyLearnerId() {
    sqlite3* db = nullptr;
    sqlite3_open_v2((server_.data_dir() + "/proctor.db").c_str(), &db, SQLITE_OPEN_READONLY,
                    nullptr);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT id FROM learners", -1, &s, nullptr);
    std::string id;
    if (sqlite3_step(s) == SQLITE_ROW)
      id = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    EXPECT_NE(sqlite3_step(s), SQLITE_ROW) << "more than one learner";
    sqlite3_finalize(s);
    sqlite3_close(db);
    return id;
  }

  // An examiner enrolls the learner from a photo (as `proctorctl learner enroll` does).
  void Enroll(const std::string& learner_id, const FaceSample& face) {
    auto admin = v1::AdminService::NewStub(server_.channel());
    grpc::ClientContext context;
    Authorize(&context, server_.admin_token());
    v1::EnrollLearnerRequest request;
    request.set_learner_id(learner_id);
    request.set_name("Alice");
    request.add_photos(std::string(face.photo_jpeg.begin(), face.photo_jpeg.end()));
    v1::EnrollLearnerResponse response;
    const grpc::Status status = admin->EnrollLearner(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static Event Identity(LearnerSession& s, int64_t at_ms, const FaceSample& face, EventKind kind) {
    const auto& ref = s.opened().reference_descriptor();
    double sum = 0;
    for (int i = 0; i < ref.size(); ++i) {
      sum += (double{face.descriptor[i]} - ref[i]) * (double{face.descriptor[i]} - ref[i]);
    }
    return s.Next(kind, at_ms, EventPhase::kInstant, [&](Event& e) {
      e.descriptor = face.descriptor;
      e.client_distance = static_cast<float>(std::sqrt(sum));
      e.face_count = 1;
      e.evidence_jpeg = face.chip_jpeg;
    });
  }

  ServerProcess server_;
  PlatformProcess platform_;
  std::string tool_base_;
  std::unique_ptr<httplib::Client> tool_;
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_LTI_FLOW_H_
