// FileEnv on Windows: the one file of proctor's durable records that calls Win32 directly.
//
// Durability on NTFS: WriteFile then FlushFileBuffers makes the data and the file's own metadata
// durable; a rename is made durable with MoveFileExW(MOVEFILE_WRITE_THROUGH), which returns only
// once it is on disk. Windows has no way to flush a directory for a process without
// administrator rights, and NTFS journals its directory entries: SyncDir is therefore a no-op
// and every operation that changes a directory entry (create, rename) is itself written through.
// Files and directories are created with a protected DACL that gives the learner's own account
// full control and nobody else anything (the POSIX 0600/0700).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/file_env.h"
#include "common/platform.h"
#include "common/win32_util.h"

namespace proctor {
namespace {

namespace fs = std::filesystem;
using win32::ErrorStatus;
using win32::UniqueHandle;

class Win32RandomRWFile : public RandomRWFile {
 public:
  Win32RandomRWFile(std::string path, HANDLE handle) : path_(std::move(path)), handle_(handle) {}

  absl::StatusOr<uint64_t> Size() override {
    LARGE_INTEGER size{};
    if (!::GetFileSizeEx(handle_.get(), &size)) {
      return ErrorStatus("reading", path_, ::GetLastError());
    }
    return static_cast<uint64_t>(size.QuadPart);
  }

  absl::Status Read(uint64_t offset, size_t n, void* out) override {
    size_t done = 0;
    while (done < n) {
      OVERLAPPED at = At(offset + done);
      DWORD got = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(n - done, 1u << 30));
      if (!::ReadFile(handle_.get(), static_cast<char*>(out) + done, chunk, &got, &at)) {
        const DWORD error = ::GetLastError();
        if (error != ERROR_HANDLE_EOF) return ErrorStatus("reading", path_, error);
        got = 0;
      }
      if (got == 0) {
        return absl::DataLossError(absl::StrCat("reading ", path_, ": ", n, " bytes at ", offset,
                                                " run past the end of the file"));
      }
      done += got;
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, const void* data, size_t n) override {
    size_t done = 0;
    while (done < n) {
      OVERLAPPED at = At(offset + done);
      DWORD put = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(n - done, 1u << 30));
      if (!::WriteFile(handle_.get(), static_cast<const char*>(data) + done, chunk, &put, &at)) {
        return ErrorStatus("writing", path_, ::GetLastError());
      }
      done += put;
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    FILE_END_OF_FILE_INFO end{};
    end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
    if (!::SetFileInformationByHandle(handle_.get(), FileEndOfFileInfo, &end, sizeof end)) {
      return ErrorStatus("truncating", path_, ::GetLastError());
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (!::FlushFileBuffers(handle_.get())) return ErrorStatus("syncing", path_, ::GetLastError());
    return absl::OkStatus();
  }

 private:
  static OVERLAPPED At(uint64_t offset) {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset & 0xffffffffu);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    return at;
  }

  const std::string path_;
  UniqueHandle handle_;
};

// Opens (or creates, owner-only) `path` for reading and writing.
absl::StatusOr<HANDLE> OpenHandle(const std::string& path, DWORD disposition) {
  auto security = win32::OwnerOnlySecurity::Create(/*for_directory=*/false);
  if (!security.ok()) return security.status();
  HANDLE handle =
      ::CreateFileW(win32::Widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                    // FILE_SHARE_DELETE: as on POSIX, a file still open may be removed or
                    // replaced (a delivered session's journal files are deleted that way).
                    FILE_SHARE_READ | FILE_SHARE_DELETE, (*security)->attributes(), disposition,
                    FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) return ErrorStatus("opening", path, ::GetLastError());
  return handle;
}

class Win32FileEnv : public FileEnv {
 public:
  absl::Status CreatePrivateDir(const std::string& dir) override {
    std::error_code ec;
    fs::create_directories(platform::PathFromUtf8(dir), ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(dir, ": cannot create: ", ec.message()));
    }
    return platform::RestrictToOwner(dir);
  }

  bool FileExists(const std::string& path) override {
    return platform::KindOf(path) != platform::FileKind::kMissing;
  }

  absl::StatusOr<std::unique_ptr<RandomRWFile>> OpenReadWrite(const std::string& path) override {
    auto handle = OpenHandle(path, OPEN_ALWAYS);
    if (!handle.ok()) return handle.status();
    return std::unique_ptr<RandomRWFile>(new Win32RandomRWFile(path, *handle));
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    std::ifstream in(platform::PathFromUtf8(path), std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
    return text.str();
  }

  absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                   bool durable) override {
    const std::string tmp = path + ".tmp";
    // A .tmp left by a crash would keep its old access list under CREATE_ALWAYS: remove it.
    if (auto s = RemoveFile(tmp); !s.ok()) return s;
    {
      auto handle = OpenHandle(tmp, CREATE_NEW);
      if (!handle.ok()) return handle.status();
      Win32RandomRWFile file(tmp, *handle);
      if (auto s = file.Write(0, data.data(), data.size()); !s.ok()) return s;
      if (durable) {
        if (auto s = file.Sync(); !s.ok()) return s;
      }
    }
    const DWORD flags = MOVEFILE_REPLACE_EXISTING | (durable ? MOVEFILE_WRITE_THROUGH : 0);
    // A virus scanner may hold the new file for a moment: try a few times.
    DWORD error = 0;
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (::MoveFileExW(win32::Widen(tmp).c_str(), win32::Widen(path).c_str(), flags)) {
        error = 0;
        break;
      }
      error = ::GetLastError();
      if (error != ERROR_ACCESS_DENIED && error != ERROR_SHARING_VIOLATION) break;
      ::Sleep(50);
    }
    if (error != 0) return ErrorStatus("renaming to", path, error);
    if (!durable) return absl::OkStatus();
    // MOVEFILE_WRITE_THROUGH is documented for moves across volumes only: flush the renamed
    // file's handle too, which NTFS makes commit its metadata (the new name) as well.
    auto renamed = OpenHandle(path, OPEN_EXISTING);
    if (!renamed.ok()) return renamed.status();
    Win32RandomRWFile file(path, *renamed);
    return file.Sync();
  }

  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(platform::PathFromUtf8(dir), ec)) {
      if (entry.is_regular_file(ec)) names.push_back(platform::PathToUtf8(entry.path().filename()));
    }
    if (ec) return absl::InternalError(absl::StrCat("listing ", dir, ": ", ec.message()));
    return names;
  }

  // See the file comment: NTFS journals directory entries, and create and rename are written
  // through. Still checks that the directory exists, as the POSIX one does.
  absl::Status SyncDir(const std::string& dir) override {
    if (platform::KindOf(dir) != platform::FileKind::kDirectory) {
      return absl::InternalError(absl::StrCat("opening directory ", dir, ": not a directory"));
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (!::DeleteFileW(win32::Widen(path).c_str())) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return absl::OkStatus();
      return ErrorStatus("removing", path, error);
    }
    return absl::OkStatus();
  }
};

}  // namespace

FileEnv* FileEnv::Default() {
  static Win32FileEnv* const env = new Win32FileEnv();
  return env;
}

}  // namespace proctor
