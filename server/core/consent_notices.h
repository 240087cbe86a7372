// ConsentNotices: the notice a learner reads and agrees to before the camera opens, per
// assessment and versioned in Storage, with the server's built-in notice (version 0) for an
// assessment that has none of its own. What the client shows, what OpenSession checks the
// learner's agreement against, and what the ledger checks a CONSENT_GIVEN event against.
//
// Thread-safe (Storage is); holds no state of its own.
#ifndef PROCTOR_SERVER_CORE_CONSENT_NOTICES_H_
#define PROCTOR_SERVER_CORE_CONSENT_NOTICES_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/core/domain.h"
#include "server/core/storage.h"

namespace proctor::server {

class ConsentNotices {
 public:
  explicit ConsentNotices(Storage* storage) : storage_(storage) {}

  // The built-in notice (Russian, then English), version 0.
  static const ConsentNotice& BuiltIn();

  // The notice in force for an assessment: its latest version, or the built-in one.
  absl::StatusOr<ConsentNotice> InForce(const std::string& assessment_id);
  // One version (0: the built-in notice); NOT_FOUND when the assessment has no such version.
  absl::StatusOr<ConsentNotice> Version(const std::string& assessment_id, int32_t version);
  // Stores `text` as the assessment's next version. INVALID_ARGUMENT for an empty, over-long or
  // non-UTF-8 text; NOT_FOUND for an unknown assessment.
  absl::StatusOr<ConsentNotice> Add(const std::string& assessment_id, const std::string& text,
                                    const std::string& created_by, int64_t now_unix_ms);

 private:
  Storage* const storage_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_CONSENT_NOTICES_H_
