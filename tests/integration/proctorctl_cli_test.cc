// proctorctl as a user runs it, against a real proctor-server: the DESIGN.md JSON contracts of
// `session show --json` and `result list --json`, `session replay`, and the exit codes
// (0 ok, 1 server refused, 2 bad local input, 3 server unreachable).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/face_fixtures.h"
#include "tests/support/server_harness.h"

namespace proctor::testing {
namespace {

struct CtlRun {
  int exit_code = -1;
  std::string out;
};

class ProctorctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(server_.Start(&why)) << why;
    faces_ = DemoFaces(2);
    ASSERT_GE(faces_.size(), 2u);
  }

  // Runs proctorctl with the admin token unless `token` is given; stdout only (stderr goes to
  // the test log).
  CtlRun Ctl(const std::string& args, const std::string& token = "") {
    const std::string command = std::string("PROCTOR_TOKEN='") +
                                (token.empty() ? server_.admin_token() : token) + "' " +
                                PROCTORCTL_BINARY + " --server " + server_.address() + " " + args;
    CtlRun r;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = server_.data_dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string FacesJson() {
    nlohmann::json faces = nlohmann::json::array();
    for (const auto& f : faces_) faces.push_back({{"descriptor", f.descriptor}});
    return nlohmann::json{{"images", {{{"path", "x"}, {"faces", faces}}}}}.dump();
  }

  ServerProcess server_;
  std::vector<FaceSample> faces_;
};

TEST_F(ProctorctlTest, ScriptedSessionShowsContractJsonAndResultFollowsReview) {
  ASSERT_EQ(Ctl("assessment create --id mid --course C --title T --kind intermediate").exit_code, 0);
  const std::string photo = WriteFile(
      "ada.jpg", std::string(faces_[0].photo_jpeg.begin(), faces_[0].photo_jpeg.end()));
  ASSERT_EQ(Ctl("learner enroll --learner ada --name Ada --photo " + photo).exit_code, 0);
  const CtlRun pass = Ctl("pass issue --learner ada --assessment mid --json");
  ASSERT_EQ(pass.exit_code, 0);
  const auto pass_json = nlohmann::json::parse(pass.out);
  const std::string script = WriteFile("s.script",
                                       "0 CONSENT_GIVEN  # the notice OpenSession returned\n"
                                       "0 SESSION_STARTED\n"
                                       "1000 IDENTITY_VERIFIED face=0\n"
                                       "5000 MULTIPLE_FACES BEGIN\n"
                                       "15000 MULTIPLE_FACES END\n"
                                       "20000 IDENTITY_VERIFIED face=1  # someone else\n"
                                       "30000 SESSION_ENDED\n");
  const CtlRun replay = Ctl("session replay --json --pass " + pass_json["pass"].get<std::string>() +
                         " --script " + script + " --faces " + WriteFile("f.json", FacesJson()));
  ASSERT_EQ(replay.exit_code, 0) << replay.out;
  const auto replayed = nlohmann::json::parse(replay.out);
  EXPECT_EQ(replayed["acked"], 7);
  EXPECT_EQ(replayed["verdict"], "PENDING_REVIEW");
  const std::string id = replayed["session_id"];

  const CtlRun show = Ctl("session show " + id + " --json");
  ASSERT_EQ(show.exit_code, 0);
  const auto s = nlohmann::json::parse(show.out);  // exactly one JSON document on stdout
  for (const char* key : {"session_id", "learner_id", "assessment_id", "state", "risk_score",
                          "verdict", "events", "flags"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }
  EXPECT_EQ(s["session_id"], id);
  EXPECT_EQ(s["learner_id"], "ada");
  EXPECT_EQ(s["state"], "CLOSED");
  ASSERT_GE(s["events"].size(), 7u);
  EXPECT_EQ(s["events"][0]["seq"], 1);
  EXPECT_EQ(s["events"][0]["kind"], "CONSENT_GIVEN");
  EXPECT_EQ(s["events"][1]["kind"], "SESSION_STARTED");
  EXPECT_FALSE(s["events"][1].contains("distance"));  // only identity events carry one
  EXPECT_EQ(s["events"][2]["kind"], "IDENTITY_VERIFIED");
  EXPECT_LT(s["events"][2]["distance"].template get<double>(), 0.6);
  EXPECT_GT(s["events"][5]["distance"].template get<double>(), 0.6);
  bool several = false;
  for (const auto& f : s["flags"]) {
    if (f["kind"] == "MULTIPLE_FACES") {
      several = true;
      EXPECT_EQ(f["from_ms"], 5000);
      EXPECT_EQ(f["to_ms"], 15000);
    }
  }
  EXPECT_TRUE(several);

  // The human output in each language; the server writes its risk reasons in the language
  // proctorctl asks for, and the JSON keeps its stable names whatever the language.
  const CtlRun english = Ctl("--lang en session show " + id);
  ASSERT_EQ(english.exit_code, 0);
  for (const char* expected : {"timeline (media time; match threshold 0.600)", "same person",
                               "flags", "forces review", "MULTIPLE_FACES"}) {
    EXPECT_NE(english.out.find(expected), std::string::npos) << expected << "\n" << english.out;
  }
  const CtlRun russian = Ctl("session show " + id + " --lang=ru");
  ASSERT_EQ(russian.exit_code, 0);
  for (const char* expected : {"хронология (время записи; порог сходства 0,600)",
                               "тот же человек", "другой человек", "отметки",
                               "требует проверки", "сверх допуска", "MULTIPLE_FACES"}) {
    EXPECT_NE(russian.out.find(expected), std::string::npos) << expected << "\n" << russian.out;
  }
  EXPECT_EQ(russian.out.find("forces review"), std::string::npos) << russian.out;
  const auto russian_json = nlohmann::json::parse(Ctl("--lang ru session show " + id + " --json").out);
  EXPECT_EQ(russian_json["state"], "CLOSED");
  EXPECT_EQ(russian_json["events"][0]["kind"], "CONSENT_GIVEN");
  const CtlRun table = Ctl("--lang ru session list");
  EXPECT_EQ(table.out.rfind("СЕССИЯ", 0), 0u) << table.out;
  EXPECT_EQ(Ctl("--lang de session list").exit_code, 2) << "an unknown language is bad input";

  ASSERT_EQ(Ctl("result submit --session " + id + " --score 30 --max 40").exit_code, 0);
  auto results = nlohmann::json::parse(Ctl("result list --json").out);
  ASSERT_EQ(results["results"].size(), 1u);
  EXPECT_EQ(results["results"][0]["status"], "PENDING_REVIEW");
  ASSERT_EQ(Ctl("review decide " + id + " --verdict accept --note 'sibling walked past'").exit_code,
            0);
  results = nlohmann::json::parse(Ctl("result list --json").out);
  EXPECT_EQ(results["results"][0]["status"], "OFFICIAL");
  EXPECT_EQ(results["results"][0]["verdict"], "ACCEPTED");
  const auto flagged = nlohmann::json::parse(Ctl("session list --flagged --json").out);
  EXPECT_TRUE(flagged["sessions"].empty());
}

// Due process on a FINAL assessment: a rejection takes a second examiner's agreement, and a
// learner's appeal (filed by the LMS) reopens review for an examiner who did not decide before.
TEST_F(ProctorctlTest, FinalRejectionNeedsTwoExaminersAndAnAppealGoesToAThird) {
  ASSERT_EQ(Ctl("assessment create --id fin --course C --title T --kind final").exit_code, 0);
  const std::string photo = WriteFile(
      "ada.jpg", std::string(faces_[0].photo_jpeg.begin(), faces_[0].photo_jpeg.end()));
  ASSERT_EQ(Ctl("learner enroll --learner ada --name Ada --photo " + photo).exit_code, 0);
  const auto pass = nlohmann::json::parse(Ctl("pass issue --learner ada --assessment fin --json").out);
  const std::string script = WriteFile("f.script",
                                       "0 SESSION_STARTED\n"
                                       "1000 IDENTITY_VERIFIED face=1  # someone else\n"
                                       "20000 SESSION_ENDED\n");
  const CtlRun replay = Ctl("session replay --json --pass " + pass["pass"].get<std::string>() +
                            " --script " + script + " --faces " + WriteFile("f.json", FacesJson()));
  ASSERT_EQ(replay.exit_code, 0) << replay.out;
  const std::string id = nlohmann::json::parse(replay.out)["session_id"];
  auto token = [&](const std::string& role, const std::string& label) {
    const CtlRun t = Ctl("token issue --role " + role + " --label " + label);
    EXPECT_EQ(t.exit_code, 0);
    return std::string(absl::StripAsciiWhitespace(t.out));
  };
  const std::string first = token("examiner", "first"), second = token("examiner", "second");
  const std::string third = token("examiner", "third"), lms = token("lms", "moodle");
  auto verdict = [&]() {
    return nlohmann::json::parse(Ctl("session show " + id + " --json").out)["verdict"];
  };
  ASSERT_EQ(verdict(), "PENDING_REVIEW");

  const CtlRun proposed = Ctl("review decide " + id + " --verdict reject --note 'not Ada'", first);
  ASSERT_EQ(proposed.exit_code, 0);
  EXPECT_NE(proposed.out.find("second examiner"), std::string::npos) << proposed.out;
  EXPECT_EQ(verdict(), "PENDING_REVIEW") << "one examiner's rejection is a proposal";
  EXPECT_EQ(Ctl("review decide " + id + " --verdict reject --note again", first).exit_code, 1)
      << "the proposer cannot confirm their own proposal";
  ASSERT_EQ(Ctl("review decide " + id + " --verdict reject --note agreed", second).exit_code, 0);
  EXPECT_EQ(verdict(), "REJECTED");

  EXPECT_EQ(Ctl("appeal file --session " + id + " --reason x", first).exit_code, 1)
      << "examiners do not file appeals";
  const CtlRun appeal =
      Ctl("appeal file --session " + id + " --reason 'it was me, in new glasses' --json", lms);
  ASSERT_EQ(appeal.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(appeal.out)["verdict"], "PENDING_REVIEW");
  EXPECT_EQ(verdict(), "PENDING_REVIEW");
  EXPECT_EQ(Ctl("appeal file --session " + id + " --reason twice", lms).exit_code, 1)
      << "already back in review";
  for (const std::string* barred : {&first, &second}) {
    EXPECT_EQ(Ctl("review decide " + id + " --verdict accept --note ok", *barred).exit_code, 1)
        << "an examiner who decided before may not decide the appeal";
  }
  ASSERT_EQ(Ctl("review decide " + id + " --verdict accept --note 'glasses; same person'", third)
                .exit_code,
            0);
  EXPECT_EQ(verdict(), "ACCEPTED");
}

// An accommodation changes the verdict of a session that would otherwise go to review, and the
// examiner sees why: two learners, the same long absence, one of them accommodated.
TEST_F(ProctorctlTest, AnAccommodationChangesTheVerdictAndTheExaminerSeesWhy) {
  ASSERT_EQ(Ctl("assessment create --id fin --course C --title T --kind final").exit_code, 0);
  nlohmann::json faces = nlohmann::json::array();
  for (size_t i = 0; i < 2; ++i) {
    const std::string photo = WriteFile(
        "p" + std::to_string(i) + ".jpg",
        std::string(faces_[i].photo_jpeg.begin(), faces_[i].photo_jpeg.end()));
    const std::string learner = i == 0 ? "ada" : "bob";
    ASSERT_EQ(Ctl("learner enroll --learner " + learner + " --name X --photo " + photo).exit_code,
              0);
    faces.push_back({{"descriptor", faces_[i].descriptor},
                     {"chip", WriteFile("c" + std::to_string(i) + ".jpg",
                                        std::string(faces_[i].chip_jpeg.begin(),
                                                    faces_[i].chip_jpeg.end()))}});
  }
  const std::string faces_file =
      WriteFile("chips.json", nlohmann::json{{"images", {{{"path", "x"}, {"faces", faces}}}}}.dump());
  const CtlRun granted = Ctl(
      "learner accommodate --learner ada --assessment fin --extra-absence 600 "
      "--identity-ends-only --reason 'broken leg: leaves the desk to stretch' --json");
  ASSERT_EQ(granted.exit_code, 0);
  EXPECT_NE(nlohmann::json::parse(granted.out)["policy_summary"].get<std::string>().find(
                "absence tolerance +600.0 s"),
            std::string::npos)
      << granted.out;
  EXPECT_EQ(Ctl("learner accommodate --learner nobody --assessment fin --reason x").exit_code, 1);
  EXPECT_EQ(Ctl("learner accommodate --learner ada --assessment fin --reason ''").exit_code, 1);

  auto run = [&](const std::string& learner, int face) {
    const auto pass = nlohmann::json::parse(
        Ctl("pass issue --learner " + learner + " --assessment fin --json").out);
    const std::string f = std::to_string(face);
    // No liveness challenge (a replay has no frames to show the server): both sessions carry
    // the FINAL policy's "no liveness check passed" alike, and differ only in the absence.
    const std::string script = WriteFile(learner + ".script",
                                         "0 SESSION_STARTED\n"
                                         "1000 IDENTITY_VERIFIED face=" + f + "\n"
                                         "5000 FACE_ABSENT BEGIN\n"
                                         "200000 FACE_ABSENT END\n"
                                         "205000 IDENTITY_VERIFIED face=" + f + "\n"
                                         "210000 SESSION_ENDED\n");
    const CtlRun replay = Ctl("session replay --json --pass " + pass["pass"].get<std::string>() +
                              " --script " + script + " --faces " + faces_file);
    EXPECT_EQ(replay.exit_code, 0) << replay.out;
    return nlohmann::json::parse(replay.out);
  };
  const auto ada = run("ada", 0);
  const auto bob = run("bob", 1);
  EXPECT_EQ(bob["verdict"], "PENDING_REVIEW") << "the control: the same absence, no accommodation";
  EXPECT_DOUBLE_EQ(ada["risk_score"].get<double>(), 0.3) << "only the missing liveness check";
  EXPECT_GT(bob["risk_score"].get<double>(), ada["risk_score"].get<double>())
      << "the absence is scored for bob, not for ada";
  const auto shown =
      nlohmann::json::parse(Ctl("session show " + ada["session_id"].get<std::string>() + " --json").out);
  bool why = false;
  for (const auto& reason : shown["risk_reasons"]) {
    why |= reason.get<std::string>().find("under an accommodation") != std::string::npos &&
           reason.get<std::string>().find("broken leg") != std::string::npos;
  }
  EXPECT_TRUE(why) << shown["risk_reasons"].dump();
}

// `retention run` on a real server: a session accepted moments ago is not due (its evidence is
// kept 180 days), so a dry run and a real one delete nothing and say so, in the JSON contract;
// an examiner may not run it. The deletions themselves are SessionLedgerTest's (a test clock).
TEST_F(ProctorctlTest, RetentionRunKeepsWhatIsNotDueAndIsForAdministrators) {
  ASSERT_EQ(Ctl("assessment create --id ret --course C --title T --kind final").exit_code, 0);
  const std::string photo = WriteFile(
      "p.jpg", std::string(faces_[0].photo_jpeg.begin(), faces_[0].photo_jpeg.end()));
  ASSERT_EQ(Ctl("learner enroll --learner ada --name Ada --photo " + photo).exit_code, 0);
  const auto pass =
      nlohmann::json::parse(Ctl("pass issue --learner ada --assessment ret --json").out);
  const std::string faces_file = WriteFile("faces.json", FacesJson());
  const std::string script = WriteFile("s.script",
                                       "0 SESSION_STARTED\n"
                                       "1000 IDENTITY_VERIFIED face=0\n"
                                       "9000 SESSION_ENDED\n");
  const CtlRun replay = Ctl("session replay --json --pass " + pass["pass"].get<std::string>() +
                            " --script " + script + " --faces " + faces_file);
  ASSERT_EQ(replay.exit_code, 0) << replay.out;

  for (const char* args : {"retention run --dry-run --json", "retention run --json"}) {
    const CtlRun run = Ctl(args);
    ASSERT_EQ(run.exit_code, 0) << args;
    const auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["dry_run"].get<bool>(), std::string(args).find("dry") != std::string::npos);
    EXPECT_TRUE(report["sessions"].empty()) << run.out;
    EXPECT_TRUE(report["learners"].empty()) << run.out;
  }
  const CtlRun human = Ctl("retention run --dry-run");
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("sessions due: 0"), std::string::npos) << human.out;
  const auto shown = nlohmann::json::parse(
      Ctl("session show " + nlohmann::json::parse(replay.out)["session_id"].get<std::string>() +
          " --json")
          .out);
  EXPECT_EQ(shown["events"].size(), 4u) << "nothing of the session went (consent + 3)";

  const std::string examiner = Ctl("token issue --role examiner --label e").out;
  const std::string token = examiner.substr(0, examiner.find_first_of("\r\n"));
  EXPECT_EQ(Ctl("retention run --dry-run", token).exit_code, 1);
}

TEST_F(ProctorctlTest, ExitCodesTellWhoseFaultItIs) {
  EXPECT_EQ(Ctl("learner enroll --learner x --name X --photo /nonexistent.jpg").exit_code, 2);
  EXPECT_EQ(Ctl("assessment create --id a --course c --title t --kind weekly").exit_code, 2);
  ASSERT_EQ(Ctl("assessment create --id a --course c --title t --kind final").exit_code, 0);
  EXPECT_EQ(Ctl("assessment create --id a --course c --title t --kind final").exit_code, 1);
  const std::string examiner = Ctl("token issue --role examiner --label e").out;
  ASSERT_FALSE(examiner.empty());
  std::string token = examiner.substr(0, examiner.find_first_of("\r\n"));
  EXPECT_EQ(Ctl("assessment create --id b --course c --title t --kind final", token).exit_code, 1);
  EXPECT_EQ(Ctl("session list", "not-a-token").exit_code, 1);
  const std::string garbage = WriteFile("garbage.jpg", std::string(1000, 'x'));
  EXPECT_EQ(Ctl("learner enroll --learner x --name X --photo " + garbage).exit_code, 1);
  server_.Kill();
  EXPECT_EQ(Ctl("session list --timeout 3").exit_code, 3);
}

}  // namespace
}  // namespace proctor::testing
