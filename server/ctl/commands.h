// proctorctl's subcommand groups, one .cc each. Each Add…Commands function adds its group to
// the application; when one of its commands is parsed, the command stores what it will do in
// *action, which main runs once the connection context exists.
#ifndef PROCTOR_SERVER_CTL_COMMANDS_H_
#define PROCTOR_SERVER_CTL_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <memory>

#include "server/ctl/ctl_context.h"

namespace proctor::ctl {

// assessment create
void AddAssessmentCommands(CLI::App* app, CommandAction* action);
// learner enroll, learner purge
void AddLearnerCommands(CLI::App* app, CommandAction* action);
// pass issue
void AddPassCommands(CLI::App* app, CommandAction* action);
// token issue
void AddTokenCommands(CLI::App* app, CommandAction* action);
// session list, session show
void AddSessionCommands(CLI::App* app, CommandAction* action);
// session replay (added to the session group by AddSessionCommands)
void AddReplayCommand(CLI::App* session_group, CommandAction* action);
// review decide
void AddReviewCommands(CLI::App* app, CommandAction* action);
// retention run [--dry-run]
void AddRetentionCommands(CLI::App* app, CommandAction* action);
// appeal file
void AddAppealCommands(CLI::App* app, CommandAction* action);
// result submit, result list
void AddResultCommands(CLI::App* app, CommandAction* action);
// lti platform add|list|remove
void AddLtiCommands(CLI::App* app, CommandAction* action);
// admin backup, admin verify
void AddAdminCommands(CLI::App* app, CommandAction* action);

// When `command` is parsed, *action becomes `run` applied to `options` (which the command's
// flags fill in during parsing).
template <typename Options>
void SetActionOnParse(CLI::App* command, CommandAction* action, std::shared_ptr<Options> options,
                      int (*run)(const CtlContext&, const Options&)) {
  command->callback([command_action = action, options, run] {
    *command_action = [options, run](const CtlContext& context) { return run(context, *options); };
  });
}

}  // namespace proctor::ctl

#endif  // PROCTOR_SERVER_CTL_COMMANDS_H_
