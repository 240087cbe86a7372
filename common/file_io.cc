#include "common/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/platform.h"

namespace proctor {
namespace {

absl::Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path, size_t max_bytes) {
  const platform::FileKind kind = platform::KindOf(path);
  if (kind == platform::FileKind::kMissing) return ErrnoStatus("reading", path, ENOENT);
  if (kind == platform::FileKind::kDirectory) {
    return absl::FailedPreconditionError(absl::StrCat("reading ", path, ": is a directory"));
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(platform::OpenFile(path, "rb"), &std::fclose);
  if (!file) return ErrnoStatus("opening", path, errno);
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(platform::PathFromUtf8(path), ec);
  if (!ec && size > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("reading ", path, ": file is ", size,
                                                     " bytes, more than the limit of ", max_bytes));
  }
  std::vector<uint8_t> bytes;
  if (!ec) bytes.reserve(static_cast<size_t>(size));
  uint8_t buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    if (bytes.size() + n > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("reading ", path, ": file grew past the limit of ", max_bytes, " bytes"));
    }
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  if (std::ferror(file.get())) return ErrnoStatus("reading", path, errno);
  return bytes;
}

}  // namespace proctor
