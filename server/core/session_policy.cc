#include "server/core/session_policy.h"

namespace proctor::server {

absl::StatusOr<Policy> SessionPolicy(Storage& storage, const std::string& learner_id,
                                     const Assessment& assessment) {
  Policy policy = PolicyFor(assessment.kind);
  auto accommodation = storage.GetAccommodation(learner_id, assessment.id);
  if (accommodation.ok()) return Accommodate(std::move(policy), *accommodation);
  if (absl::IsNotFound(accommodation.status())) return policy;
  return accommodation.status();
}

}  // namespace proctor::server
