// Whole-file reads with a size cap, returning absl::Status errors that name the path.
#ifndef PROCTOR_COMMON_FILE_IO_H_
#define PROCTOR_COMMON_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace proctor {

// Reads all of `path`. Fails with NOT_FOUND when it does not exist, FAILED_PRECONDITION when it
// is a directory, RESOURCE_EXHAUSTED when it is larger than `max_bytes` (checked before reading),
// and INTERNAL on an I/O error. Thread-safe.
absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path, size_t max_bytes);

}  // namespace proctor

#endif  // PROCTOR_COMMON_FILE_IO_H_
