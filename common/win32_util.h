// Helpers shared by the Win32 implementations of common/platform.h and common/file_env.h.
// Windows-only; included by platform_win32.cc and win32_file_env.cc and nothing else.
#ifndef PROCTOR_COMMON_WIN32_UTIL_H_
#define PROCTOR_COMMON_WIN32_UTIL_H_

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor::win32 {

// UTF-8 <-> UTF-16. Invalid UTF-8 is replaced (U+FFFD), never dropped silently into another
// path: a path that cannot be named is then simply not found.
std::wstring Widen(std::string_view utf8);
std::string Narrow(std::wstring_view utf16);

// A status for a Win32 error code, naming what was done to which path, with the system's
// English message: NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED (also for a write-protected
// disk), RESOURCE_EXHAUSTED (disk full) or INTERNAL.
absl::Status ErrorStatus(const char* what, const std::string& path, DWORD error);

// A security descriptor whose DACL is protected (nothing inherited from the folder above) and
// has one entry: full control for the user running this process. For a directory the entry is
// inherited by everything created in it.
class OwnerOnlySecurity {
 public:
  static absl::StatusOr<std::unique_ptr<OwnerOnlySecurity>> Create(bool for_directory);
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }
  PACL acl() const { return reinterpret_cast<PACL>(const_cast<BYTE*>(acl_.data())); }

 private:
  OwnerOnlySecurity() = default;
  std::vector<BYTE> user_;  // TOKEN_USER with the SID
  std::vector<BYTE> acl_;
  SECURITY_DESCRIPTOR descriptor_{};
  SECURITY_ATTRIBUTES attributes_{};
};

// Closes a HANDLE when it goes out of scope.
struct HandleCloser {
  void operator()(HANDLE handle) const {
    if (handle != nullptr && handle != INVALID_HANDLE_VALUE) ::CloseHandle(handle);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

}  // namespace proctor::win32

#endif  // PROCTOR_COMMON_WIN32_UTIL_H_
