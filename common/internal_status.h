// A mark on an error status whose message is for the server's operator only: it names a
// database address, a file path, or a library's own account of what went wrong. Whatever shows
// errors to callers (the gRPC boundary) replaces a marked message with a generic one and logs
// the original. The adapters that turn foreign errors into absl::Status (SQLite, PostgreSQL) set
// the mark where the error arises, so no one has to recognize such messages by their wording.
//
// The mark is a status payload (type URL kInternalDetailTypeUrl): it travels with every copy of
// the status (RETURN_IF_ERROR, ASSIGN_OR_RETURN, StatusOr), but not into a status rebuilt from a
// code and a message: code that rebuilds one (to add context) must carry it over
// (`if (IsMarkedInternal(original)) rebuilt = MarkInternal(std::move(rebuilt));`).
#ifndef PROCTOR_COMMON_INTERNAL_STATUS_H_
#define PROCTOR_COMMON_INTERNAL_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace proctor {

inline constexpr absl::string_view kInternalDetailTypeUrl = "type.proctor/internal-detail";

// `status` with the mark; an OK status is returned unchanged (OK carries no payload).
absl::Status MarkInternal(absl::Status status);
// True when `status` carries the mark.
bool IsMarkedInternal(const absl::Status& status);

}  // namespace proctor

#endif  // PROCTOR_COMMON_INTERNAL_STATUS_H_
