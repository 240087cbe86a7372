// common/platform.h on Windows 10/11 (Win32, built with MinGW-w64).
#include <aclapi.h>
#include <io.h>
#include <knownfolders.h>
#include <shellapi.h>
#include <shlobj.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/platform.h"
#include "common/win32_util.h"

namespace proctor::platform {
namespace {

std::atomic<void (*)()> stop_handler{nullptr};

BOOL WINAPI OnConsoleControl(DWORD event) {
  void (*handler)() = stop_handler.load();
  if (handler == nullptr) return FALSE;
  handler();
  switch (event) {
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      // Windows ends the process as soon as this returns (and after ~5 s anyway): give the main
      // thread the time to close the session and sync the journal; it exits the process itself.
      ::Sleep(4500);
      return TRUE;
    default:
      return TRUE;
  }
}

}  // namespace

std::filesystem::path PathFromUtf8(std::string_view utf8) {
  return std::filesystem::path(win32::Widen(utf8));
}

std::string PathToUtf8(const std::filesystem::path& path) { return win32::Narrow(path.native()); }

std::string ExecutableDir() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n == 0) return "";
    if (n < path.size()) {
      path.resize(n);
      break;
    }
    path.resize(path.size() * 2);
  }
  return PathToUtf8(std::filesystem::path(path).parent_path());
}

std::vector<std::string> Utf8Arguments(int argc, char** argv) {
  int count = 0;
  LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  if (wide == nullptr) return std::vector<std::string>(argv, argv + argc);
  std::vector<std::string> args;
  for (int i = 0; i < count; ++i) args.push_back(win32::Narrow(wide[i]));
  ::LocalFree(wide);
  return args;
}

void UseUtf8Console() {
  ::SetConsoleOutputCP(CP_UTF8);
  ::SetConsoleCP(CP_UTF8);
}

bool ReadInputLine(std::string* line) {
  HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
  DWORD mode = 0;
  if (in == nullptr || in == INVALID_HANDLE_VALUE || !::GetConsoleMode(in, &mode)) {
    return static_cast<bool>(std::getline(std::cin, *line));  // a file or a pipe
  }
  std::wstring typed;
  wchar_t buffer[256];
  while (typed.find(L'\n') == std::wstring::npos) {
    DWORD count = 0;
    if (!::ReadConsoleW(in, buffer, 256, &count, nullptr) || count == 0) {
      if (typed.empty()) return false;
      break;
    }
    typed.append(buffer, count);
  }
  typed = typed.substr(0, typed.find(L'\n'));
  if (!typed.empty() && typed.back() == L'\r') typed.pop_back();
  if (typed == L"\x1a") return false;  // Ctrl+Z, Enter: the console's end of input
  *line = win32::Narrow(typed);
  return true;
}

std::string DesktopLanguage() {
  wchar_t name[LOCALE_NAME_MAX_LENGTH] = {};
  if (::GetUserDefaultLocaleName(name, LOCALE_NAME_MAX_LENGTH) == 0) return "";
  return win32::Narrow(name);
}

std::string PathForNarrowApis(const std::string& path) {
  const bool ascii = std::all_of(path.begin(), path.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return path;
  const std::wstring wide = win32::Widen(path);
  // The ANSI code page first: on a Russian Windows (1251) it spells C:\Users\Мария exactly.
  BOOL lost = FALSE;
  const int n_ansi = ::WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, wide.c_str(), -1, nullptr,
                                           0, nullptr, &lost);
  if (n_ansi > 0 && !lost) {
    std::string ansi(static_cast<size_t>(n_ansi), '\0');
    ::WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, wide.c_str(), -1, ansi.data(), n_ansi,
                          nullptr, &lost);
    if (!lost) {
      ansi.resize(static_cast<size_t>(n_ansi) - 1);
      return ansi;
    }
  }
  const DWORD n = ::GetShortPathNameW(wide.c_str(), nullptr, 0);
  if (n == 0) return path;
  std::wstring short_name(n, L'\0');
  const DWORD got = ::GetShortPathNameW(wide.c_str(), short_name.data(), n);
  if (got == 0 || got >= n) return path;
  short_name.resize(got);
  const std::string narrow = win32::Narrow(short_name);
  const bool short_ascii = std::all_of(narrow.begin(), narrow.end(),
                                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return short_ascii ? narrow : path;
}

std::FILE* OpenFile(const std::string& path, const char* mode) {
  // "N": not inherited by child processes (POSIX's O_CLOEXEC).
  return ::_wfopen(win32::Widen(path).c_str(), win32::Widen(std::string(mode) + "N").c_str());
}

FileKind KindOf(const std::string& path) {
  const DWORD attributes = ::GetFileAttributesW(win32::Widen(path).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    const DWORD error = ::GetLastError();
    return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND ||
                   error == ERROR_INVALID_NAME
               ? FileKind::kMissing
               : FileKind::kOther;
  }
  if (attributes & FILE_ATTRIBUTE_DIRECTORY) return FileKind::kDirectory;
  if (attributes & FILE_ATTRIBUTE_DEVICE) return FileKind::kOther;
  return FileKind::kRegular;
}

std::optional<std::string> GetEnv(const char* name) {
  const std::wstring wide_name = win32::Widen(name);
  const DWORD n = ::GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
  if (n == 0) {
    if (::GetLastError() == ERROR_ENVVAR_NOT_FOUND) return std::nullopt;
    return std::string();
  }
  std::wstring value(n, L'\0');
  const DWORD got = ::GetEnvironmentVariableW(wide_name.c_str(), value.data(), n);
  value.resize(got);
  return win32::Narrow(value);
}

bool IsTerminal(std::FILE* stream) {
  const auto handle = reinterpret_cast<HANDLE>(::_get_osfhandle(::_fileno(stream)));
  DWORD mode = 0;
  return handle != INVALID_HANDLE_VALUE && ::GetConsoleMode(handle, &mode) != 0;
}

void OnStopRequest(void (*handler)()) {
  stop_handler.store(handler);
  static std::atomic<bool> installed{false};
  if (!installed.exchange(true)) ::SetConsoleCtrlHandler(OnConsoleControl, TRUE);
}

absl::StatusOr<std::string> UserStateDir() {
  wchar_t* folder = nullptr;
  if (::SHGetKnownFolderPath(FOLDERID_LocalAppData, KF_FLAG_DEFAULT, nullptr, &folder) == S_OK) {
    std::string dir = win32::Narrow(folder);
    ::CoTaskMemFree(folder);
    return absl::StrCat(dir, "\\proctor");
  }
  if (folder != nullptr) ::CoTaskMemFree(folder);
  if (auto local = GetEnv("LOCALAPPDATA"); local && !local->empty()) {
    return absl::StrCat(*local, "\\proctor");
  }
  return absl::FailedPreconditionError(
      "Windows did not say where this user's local application data is (LOCALAPPDATA): cannot "
      "tell where to keep the journal (give --journal DIR)");
}

absl::Status WriteNewPrivateFile(const std::string& path, std::string_view data) {
  auto security = win32::OwnerOnlySecurity::Create(/*for_directory=*/false);
  if (!security.ok()) return security.status();
  const std::wstring wide = win32::Widen(path);
  win32::UniqueHandle file(::CreateFileW(wide.c_str(), GENERIC_WRITE, 0, (*security)->attributes(),
                                         CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (file.get() == INVALID_HANDLE_VALUE) {
    file.release();
    return win32::ErrorStatus("creating", path, ::GetLastError());
  }
  size_t done = 0;
  DWORD error = 0;
  while (done < data.size() && error == 0) {
    DWORD put = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size() - done, 1u << 30));
    if (!::WriteFile(file.get(), data.data() + done, chunk, &put, nullptr)) {
      error = ::GetLastError();
    }
    done += put;
  }
  if (error == 0 && !::FlushFileBuffers(file.get())) error = ::GetLastError();
  file.reset();
  if (error != 0) {
    ::DeleteFileW(wide.c_str());
    return win32::ErrorStatus("writing", path, error);
  }
  return absl::OkStatus();
}

absl::Status RestrictToOwner(const std::string& path) {
  auto security = win32::OwnerOnlySecurity::Create(KindOf(path) == FileKind::kDirectory);
  if (!security.ok()) return security.status();
  std::wstring wide = win32::Widen(path);
  const DWORD error = ::SetNamedSecurityInfoW(
      wide.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      nullptr, nullptr, (*security)->acl(), nullptr);
  if (error != ERROR_SUCCESS) return win32::ErrorStatus("restricting access to", path, error);
  return absl::OkStatus();
}

absl::Status SyncStream(std::FILE* file, const std::string& path_for_errors) {
  if (std::fflush(file) != 0) {
    return absl::InternalError(
        absl::StrCat("writing ", path_for_errors, ": ", std::strerror(errno)));
  }
  const auto handle = reinterpret_cast<HANDLE>(::_get_osfhandle(::_fileno(file)));
  if (!::FlushFileBuffers(handle)) {
    return win32::ErrorStatus("syncing", path_for_errors, ::GetLastError());
  }
  return absl::OkStatus();
}

}  // namespace proctor::platform
