// proctor-face compare REFERENCE PROBE [--json]: is the reference person in the probe image?
#ifndef PROCTOR_CLIENT_CLI_COMPARE_COMMAND_H_
#define PROCTOR_CLIENT_CLI_COMPARE_COMMAND_H_

#include <string>

#include "client/cli/face_cli.h"

namespace proctor::cli {

// Takes the largest face of REFERENCE and the closest face of PROBE. Exit: kExitOk when both
// hold a face (match or not: read "match"), kExitNoFace when either holds none, kExitBadInput
// when either cannot be read, kExitFailure when the models cannot load.
int RunCompare(const FaceCliOptions& options, const std::string& reference,
               const std::string& probe);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_COMPARE_COMMAND_H_
