// proctorctl: administer a proctor-server — assessments, learners, passes, tokens, session
// review and results — from the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "common/i18n.h"
#include "server/ctl/commands.h"
#include "server/ctl/ctl_context.h"

namespace {

using proctor::ctl::CtlOptions;
using proctor::i18n::Tr;

void AddGlobalOptions(CLI::App* app, CtlOptions& options) {
  app->add_option("--server", options.server, Tr("proctor-server address, host:port"))
      ->capture_default_str();
  app->add_option("--token", options.token,
                  Tr("Bearer token (default: $PROCTOR_TOKEN, else the file named by "
                     "$PROCTOR_TOKEN_FILE)"));
  app->add_option("--tls-ca", options.tls_ca,
                  Tr("PEM file of the CA that signed the server's certificate; enables TLS"))
      ->check(CLI::ExistingFile);
  app->add_flag("--json", options.json, Tr("Print exactly one JSON document on stdout"));
  app->add_option("--lang", options.lang,
                  Tr("Language of the messages: en or ru (default: from LANGUAGE, LC_ALL, "
                     "LC_MESSAGES, LANG)"));
  app->add_option("--timeout", options.timeout_s, Tr("Deadline of each call, in seconds"))
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// CLI11's message with the program's name in front, like every other proctorctl error.
std::string ParseFailureMessage(const CLI::App* app, const CLI::Error& error) {
  return "proctorctl: " + CLI::FailureMessage::simple(app, error);
}

int Run(const CtlOptions& options, const proctor::ctl::CommandAction& action) {
  auto context = proctor::ctl::CtlContext::Create(options);
  if (!context.ok()) return proctor::ctl::ReportLocalError(std::string(context.status().message()));
  return action(**context);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (auto s = proctor::i18n::ChooseProcessLanguage(argc, argv); !s.ok()) {
      return proctor::ctl::ReportLocalError(std::string(s.message()));
    }
    CLI::App app{
        Tr("proctorctl: administer a proctor-server (assessments, learners, passes, "
           "tokens, session review, results)")};
    app.footer(
        Tr("Global options may also follow the subcommand. Exit codes: 0 ok; 1 the server "
           "answered with an error; 2 bad arguments or bad local input (missing file, no "
           "token); 3 the server could not be reached."));
    app.fallthrough();
    app.failure_message(ParseFailureMessage);
    app.require_subcommand(1);
    CtlOptions options;
    AddGlobalOptions(&app, options);
    proctor::ctl::CommandAction action;
    proctor::ctl::AddAssessmentCommands(&app, &action);
    proctor::ctl::AddLearnerCommands(&app, &action);
    proctor::ctl::AddPassCommands(&app, &action);
    proctor::ctl::AddTokenCommands(&app, &action);
    proctor::ctl::AddSessionCommands(&app, &action);
    proctor::ctl::AddReviewCommands(&app, &action);
    proctor::ctl::AddAppealCommands(&app, &action);
    proctor::ctl::AddResultCommands(&app, &action);
    proctor::ctl::AddAdminCommands(&app, &action);
    proctor::ctl::AddLtiCommands(&app, &action);
    proctor::ctl::AddRetentionCommands(&app, &action);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::ctl::kExitOk : proctor::ctl::kExitUsage;
    }
    if (!action) return proctor::ctl::ReportLocalError(Tr("no command given; see --help"));
    return Run(options, action);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctorctl: %s\n",
                 proctor::i18n::Trf("unexpected error: $0", e.what()).c_str());
    return proctor::ctl::kExitServerError;
  }
}
