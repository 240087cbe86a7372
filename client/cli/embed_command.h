// proctor-face embed IMAGE... [--json]: faces and their descriptors, per image.
#ifndef PROCTOR_CLIENT_CLI_EMBED_COMMAND_H_
#define PROCTOR_CLIENT_CLI_EMBED_COMMAND_H_

#include <string>
#include <vector>

#include "client/cli/face_cli.h"

namespace proctor::cli {

// Exit: kExitOk; kExitBadInput when any image could not be read (it gets an "error" entry);
// otherwise kExitNoFace when any image holds no face; kExitFailure when the models cannot load.
int RunEmbed(const FaceCliOptions& options, const std::vector<std::string>& images);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_EMBED_COMMAND_H_
