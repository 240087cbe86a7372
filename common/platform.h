// The few things the client needs from the operating system beyond FileEnv (common/file_env.h),
// behind one small interface with a POSIX implementation (platform_posix.cc) and a Win32 one
// (platform_win32.cc). Nothing else in client/, common/, protocol/ or biometrics/ includes
// <unistd.h>, <fcntl.h>, <sys/stat.h>, <csignal> or <windows.h>.
//
// Paths are UTF-8 std::strings everywhere in proctor. On Windows they are converted to UTF-16
// at the system call (the learner's folder may be C:\Users\Мария\...), never passed to the
// ANSI ("A") functions; std::filesystem paths are made with PathFromUtf8 for the same reason.
//
// All functions are thread-safe.
#ifndef PROCTOR_COMMON_PLATFORM_H_
#define PROCTOR_COMMON_PLATFORM_H_

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor::platform {

// A std::filesystem path from a UTF-8 string, and back (the identity on POSIX).
std::filesystem::path PathFromUtf8(std::string_view utf8);
std::string PathToUtf8(const std::filesystem::path& path);

// std::fopen for a UTF-8 path (_wfopen on Windows). nullptr and errno set on failure.
std::FILE* OpenFile(const std::string& path, const char* mode);

// The folder the running program was started from (UTF-8; empty when the system does not say).
// An installed client keeps its models/ and locale/ beside it.
std::string ExecutableDir();

// The program's arguments in UTF-8, argv[0] first: on Windows read from the UTF-16 command line
// (main's argv is in the ANSI code page, which cannot spell every name: a Cyrillic folder on an
// English Windows, any non-ASCII name as UTF-8); on POSIX argv as given.
std::vector<std::string> Utf8Arguments(int argc, char** argv);

// Windows: the console reads and writes UTF-8, so that messages in Russian show as written
// (a console's default is the OEM code page, 866 on a Russian Windows). Nothing on POSIX.
void UseUtf8Console();

// A line from standard input in UTF-8, without its end; false at the end of the input. A Windows
// console is read in UTF-16: its UTF-8 input mode loses letters outside ASCII ("да" arrives as
// NULs on Windows 10).
bool ReadInputLine(std::string* line);

// The language of the user's desktop as a BCP 47 tag ("ru-RU") on Windows, where programs do not
// get LANG; empty on POSIX (LANG and LC_* say it there).
std::string DesktopLanguage();

// A name for `path` that the ANSI ("narrow") functions of third-party libraries accept (OpenCV's
// video readers): the path itself on POSIX and when it is ASCII; on Windows otherwise its 8.3
// short name when the volume has them, else the path unchanged (which such a library then fails
// to open, with its usual message).
std::string PathForNarrowApis(const std::string& path);

enum class FileKind { kMissing, kRegular, kDirectory, kOther };
// What is at `path` (following links). A path that cannot be examined for another reason than
// not existing (permissions on a parent, say) is kOther.
FileKind KindOf(const std::string& path);

// The value of an environment variable, UTF-8; nullopt when unset (an empty value is returned
// as an empty string).
std::optional<std::string> GetEnv(const char* name);

// True when `stream` (stdout or stderr) is an interactive terminal or console, where progress
// lines may be redrawn in place.
bool IsTerminal(std::FILE* stream);

// Calls `handler` when the user or the system asks the process to stop: Ctrl+C, SIGTERM and
// SIGHUP on POSIX; Ctrl+C, Ctrl+Break, closing the console window, logging off and shutting
// down on Windows. The handler runs in a signal handler or on a system thread: it must only
// store to a std::atomic (or a volatile sig_atomic_t). Installing replaces the previous handler.
void OnStopRequest(void (*handler)());

// The directory for this user's durable application state (the journal, the device keys):
// $XDG_STATE_HOME/proctor or ~/.local/state/proctor on POSIX, %LOCALAPPDATA%\proctor on
// Windows. FAILED_PRECONDITION naming what is missing when none can be found. Not created.
absl::StatusOr<std::string> UserStateDir();

// Creates `path`, which must not exist (ALREADY_EXISTS when it does), readable and writable by
// the current user only (0600; on Windows a protected DACL with one entry for the user), writes
// `data` and makes it durable (fsync; FlushFileBuffers) before returning. On failure nothing is
// left at `path`.
absl::Status WriteNewPrivateFile(const std::string& path, std::string_view data);

// Narrows an existing directory (or file) to the current user: 0700 (0600 for a file) on
// POSIX, a protected DACL with one full-control entry for the user on Windows.
absl::Status RestrictToOwner(const std::string& path);

// Makes everything written to `file` so far durable (fflush, then fsync / FlushFileBuffers).
absl::Status SyncStream(std::FILE* file, const std::string& path_for_errors);

}  // namespace proctor::platform

#endif  // PROCTOR_COMMON_PLATFORM_H_
