#include "common/internal_status.h"

#include "absl/strings/cord.h"

namespace proctor {

absl::Status MarkInternal(absl::Status status) {
  // The payload's presence is the mark; its value says nothing more.
  status.SetPayload(kInternalDetailTypeUrl, absl::Cord());
  return status;
}

bool IsMarkedInternal(const absl::Status& status) {
  return status.GetPayload(kInternalDetailTypeUrl).has_value();
}

}  // namespace proctor
