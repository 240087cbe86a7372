// common/platform.h on POSIX (Linux).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/platform.h"

namespace proctor::platform {
namespace {

absl::Status ErrnoStatus(const char* what, const std::string& path, int err) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

void (*stop_handler)() = nullptr;

extern "C" void OnStopSignal(int) {
  if (stop_handler != nullptr) stop_handler();
}

}  // namespace

std::filesystem::path PathFromUtf8(std::string_view utf8) {
  return std::filesystem::path(std::string(utf8));
}

std::string PathToUtf8(const std::filesystem::path& path) { return path.string(); }

std::string ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::vector<std::string> Utf8Arguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

void UseUtf8Console() {}

bool ReadInputLine(std::string* line) { return static_cast<bool>(std::getline(std::cin, *line)); }

std::string DesktopLanguage() { return ""; }

std::string PathForNarrowApis(const std::string& path) { return path; }

std::FILE* OpenFile(const std::string& path, const char* mode) {
  // "e": O_CLOEXEC, so that no child process inherits the descriptor.
  return std::fopen(path.c_str(), (std::string(mode) + "e").c_str());
}

FileKind KindOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? FileKind::kMissing : FileKind::kOther;
  }
  if (S_ISREG(st.st_mode)) return FileKind::kRegular;
  if (S_ISDIR(st.st_mode)) return FileKind::kDirectory;
  return FileKind::kOther;
}

std::optional<std::string> GetEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool IsTerminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

void OnStopRequest(void (*handler)()) {
  stop_handler = handler;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  // Interrupted reads (the consent prompt) and writes resume: Ctrl+C is counted, not an error.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

absl::StatusOr<std::string> UserStateDir() {
  if (auto state = GetEnv("XDG_STATE_HOME"); state && !state->empty()) {
    return absl::StrCat(*state, "/proctor");
  }
  if (auto home = GetEnv("HOME"); home && !home->empty()) {
    return absl::StrCat(*home, "/.local/state/proctor");
  }
  return absl::FailedPreconditionError(
      "neither XDG_STATE_HOME nor HOME is set: cannot tell where to keep the journal "
      "(give --journal DIR)");
}

absl::Status WriteNewPrivateFile(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("creating", path, errno);
  size_t done = 0;
  int err = 0;
  while (done < data.size()) {
    const ssize_t put = ::write(fd, data.data() + done, data.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(put);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err != 0) {
    ::unlink(path.c_str());
    return ErrnoStatus("writing", path, err);
  }
  // The new directory entry is durable only once its folder is synced.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoStatus("opening the folder of", path, errno);
  const int synced = ::fsync(dir_fd);
  const int sync_err = errno;
  ::close(dir_fd);
  if (synced != 0) return ErrnoStatus("syncing the folder of", path, sync_err);
  return absl::OkStatus();
}

absl::Status RestrictToOwner(const std::string& path) {
  const mode_t mode = KindOf(path) == FileKind::kDirectory ? 0700 : 0600;
  if (::chmod(path.c_str(), mode) != 0) return ErrnoStatus("restricting access to", path, errno);
  return absl::OkStatus();
}

absl::Status SyncStream(std::FILE* file, const std::string& path_for_errors) {
  if (std::fflush(file) != 0) return ErrnoStatus("writing", path_for_errors, errno);
  if (::fsync(::fileno(file)) != 0) return ErrnoStatus("syncing", path_for_errors, errno);
  return absl::OkStatus();
}

}  // namespace proctor::platform
