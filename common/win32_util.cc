#include "common/win32_util.h"

#include "absl/strings/str_cat.h"

namespace proctor::win32 {

std::wstring Widen(std::string_view utf8) {
  if (utf8.empty()) return std::wstring();
  const int n =
      ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), wide.data(), n);
  return wide;
}

std::string Narrow(std::wstring_view utf16) {
  if (utf16.empty()) return std::string();
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()),
                                      nullptr, 0, nullptr, nullptr);
  std::string narrow(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), narrow.data(), n,
                        nullptr, nullptr);
  return narrow;
}

absl::Status ErrorStatus(const char* what, const std::string& path, DWORD error) {
  wchar_t* text = nullptr;
  const DWORD flags =
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  DWORD n = ::FormatMessageW(flags, nullptr, error, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US),
                             reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  if (n == 0) {
    n = ::FormatMessageW(flags, nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  }
  std::string reason = n > 0 ? Narrow(std::wstring_view(text, n)) : std::string();
  if (text != nullptr) ::LocalFree(text);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r' ||
                             reason.back() == ' ' || reason.back() == '.')) {
    reason.pop_back();
  }
  if (reason.empty()) reason = absl::StrCat("Windows error ", error);
  std::string message = absl::StrCat(what, " ", path, ": ", reason);
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
      return absl::NotFoundError(message);
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
      return absl::AlreadyExistsError(message);
    case ERROR_ACCESS_DENIED:
    case ERROR_WRITE_PROTECT:
    case ERROR_SHARING_VIOLATION:
      return absl::PermissionDeniedError(message);
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<std::unique_ptr<OwnerOnlySecurity>> OwnerOnlySecurity::Create(bool for_directory) {
  std::unique_ptr<OwnerOnlySecurity> security(new OwnerOnlySecurity());
  HANDLE raw_token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw_token)) {
    return ErrorStatus("reading the user of", "this process", ::GetLastError());
  }
  UniqueHandle token(raw_token);
  DWORD size = 0;
  ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
  security->user_.resize(size);
  if (!::GetTokenInformation(token.get(), TokenUser, security->user_.data(), size, &size)) {
    return ErrorStatus("reading the user of", "this process", ::GetLastError());
  }
  PSID sid = reinterpret_cast<TOKEN_USER*>(security->user_.data())->User.Sid;
  const DWORD acl_size =
      sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + ::GetLengthSid(sid);
  security->acl_.resize(acl_size);
  const DWORD inherit = for_directory ? (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE) : 0;
  if (!::InitializeAcl(security->acl(), acl_size, ACL_REVISION) ||
      !::AddAccessAllowedAceEx(security->acl(), ACL_REVISION, inherit, GENERIC_ALL, sid) ||
      !::InitializeSecurityDescriptor(&security->descriptor_, SECURITY_DESCRIPTOR_REVISION) ||
      !::SetSecurityDescriptorDacl(&security->descriptor_, TRUE, security->acl(), FALSE) ||
      !::SetSecurityDescriptorControl(&security->descriptor_, SE_DACL_PROTECTED,
                                      SE_DACL_PROTECTED)) {
    return ErrorStatus("building an owner-only access list for", "this user", ::GetLastError());
  }
  security->attributes_.nLength = sizeof(SECURITY_ATTRIBUTES);
  security->attributes_.lpSecurityDescriptor = &security->descriptor_;
  security->attributes_.bInheritHandle = FALSE;
  return security;
}

}  // namespace proctor::win32
