// What the tests ask of the operating system, on POSIX and on Windows (under Wine in CI): the
// process id (for unique scratch names) and whether a file or directory is its owner's only.
#ifndef PROCTOR_COMMON_TESTING_PLATFORM_TESTING_H_
#define PROCTOR_COMMON_TESTING_PLATFORM_TESTING_H_

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// windows.h first.
#include <aclapi.h>
#include <process.h>

#include "common/win32_util.h"
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <string>

namespace proctor::testing {

inline int ProcessId() {
#ifdef _WIN32
  return ::_getpid();
#else
  return static_cast<int>(::getpid());
#endif
}

// setenv / unsetenv (a null value unsets). Windows: _putenv_s, which also sets the process
// environment that GetEnvironmentVariableW (platform::GetEnv) reads.
inline void SetEnv(const char* name, const char* value) {
#ifdef _WIN32
  ::_putenv_s(name, value == nullptr ? "" : value);
#else
  if (value == nullptr) {
    ::unsetenv(name);
  } else {
    ::setenv(name, value, 1);
  }
#endif
}

// True when this Windows program runs under Wine (never on POSIX). Wine does not keep or enforce
// Windows access lists (it answers with a list made from the Unix mode), so IsOwnerOnly cannot
// be observed there: the tests check it on POSIX and on Windows itself.
inline bool UnderWine() {
#ifdef _WIN32
  return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
#else
  return false;
#endif
}

// True when only the owner may read or write `path` (mode 0600 / 0700 on POSIX; on Windows a
// protected DACL whose only entries are the current user's). Otherwise false, with the reason in
// `*why`.
inline bool IsOwnerOnly(const std::string& path, std::string* why) {
#ifdef _WIN32
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  std::wstring wide = win32::Widen(path);
  if (::GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                              nullptr, &dacl, nullptr, &descriptor) != ERROR_SUCCESS) {
    *why = "cannot read the access list of " + path;
    return false;
  }
  bool ok = dacl != nullptr;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  ::GetSecurityDescriptorControl(descriptor, &control, &revision);
  if (!(control & SE_DACL_PROTECTED)) {
    ok = false;
    *why = path + " inherits access from its folder";
  }
  HANDLE token = nullptr;
  ::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token);
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::string user(size, '\0');
  ::GetTokenInformation(token, TokenUser, user.data(), size, &size);
  ::CloseHandle(token);
  PSID me = reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid;
  for (DWORD i = 0; ok && i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    ::GetAce(dacl, i, &ace);
    auto* header = static_cast<ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
    PSID sid = &static_cast<ACCESS_ALLOWED_ACE*>(ace)->SidStart;
    if (!::EqualSid(sid, me)) {
      ok = false;
      *why = path + " grants access to another account";
    }
  }
  if (ok && dacl->AceCount == 0) {
    ok = false;
    *why = path + " has an empty access list";
  }
  ::LocalFree(descriptor);
  return ok;
#else
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *why = "cannot stat " + path;
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    *why = path + " has mode " + std::to_string(st.st_mode & 0777) + " (octal bits for others)";
    return false;
  }
  return true;
#endif
}

}  // namespace proctor::testing

#endif  // PROCTOR_COMMON_TESTING_PLATFORM_TESTING_H_
