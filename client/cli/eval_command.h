// proctor-face eval [DIR] [--pairs FILE] [--groups DIR]... [--degrade] [--plot PREFIX] [--json]:
// error rates of the face checks on labelled photos (client/eval/face_eval.h says what counts).
#ifndef PROCTOR_CLIENT_CLI_EVAL_COMMAND_H_
#define PROCTOR_CLIENT_CLI_EVAL_COMMAND_H_

#include <string>

#include "client/cli/face_cli.h"
#include "client/eval/eval_report.h"
#include "client/eval/face_eval.h"

namespace proctor::cli {

struct EvalCommandOptions {
  eval::EvalInputs inputs;
  eval::ReportOptions report;
  bool degrade = false;     // --degrade: repeat under each synthetic condition
  std::string plot_prefix;  // --plot PREFIX: PREFIX.png, PREFIX.svg, PREFIX-worst.png
};

// Exit: kExitOk when the figures were computed; kExitBadInput for missing inputs or a malformed
// pairs file; kExitNoFace when no comparison could be made; kExitFailure for models or plots.
int RunEval(const FaceCliOptions& options, const EvalCommandOptions& eval);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_EVAL_COMMAND_H_
