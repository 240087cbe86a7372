// proctor-loadgen's untimed phases: preparing the sessions (assessment, learners, passes,
// OpenSession) before the run and closing them after it.
#ifndef PROCTOR_SERVER_LOADGEN_SESSION_LIFECYCLE_H_
#define PROCTOR_SERVER_LOADGEN_SESSION_LIFECYCLE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/loadgen/loadgen_options.h"
#include "server/loadgen/synthetic_session.h"

namespace proctor::loadgen {

// A call that failed: what it was for ("enrolling learner loadgen-7") and the status.
struct RpcFailure {
  std::string what;
  grpc::Status status;
};

// Creates options.assessment (an existing one is fine), then for each session i enrolls learner
// "loadgen-<i>" without photos, issues a pass and opens the session with the session's own key,
// binding it to the new session id and token. Calls run a few at a time on `channel`; the first
// failure stops the setup and is returned.
std::optional<RpcFailure> PrepareSessions(
    const LoadgenOptions& options, const std::string& admin_token,
    const std::shared_ptr<grpc::Channel>& channel,
    const std::vector<std::unique_ptr<SyntheticSession>>& sessions);

// Closes every session (ended at its last event's media time); returns the failures.
std::vector<RpcFailure> CloseSessions(
    const LoadgenOptions& options, const std::shared_ptr<grpc::Channel>& channel,
    const std::vector<std::unique_ptr<SyntheticSession>>& sessions);

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_SESSION_LIFECYCLE_H_
