// The policy one session runs under: its assessment kind's, adjusted by the learner's
// accommodation for that assessment when an administrator recorded one.
#ifndef PROCTOR_SERVER_CORE_SESSION_POLICY_H_
#define PROCTOR_SERVER_CORE_SESSION_POLICY_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/core/policy.h"
#include "server/core/storage.h"

namespace proctor::server {

absl::StatusOr<Policy> SessionPolicy(Storage& storage, const std::string& learner_id,
                                     const Assessment& assessment);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_SESSION_POLICY_H_
