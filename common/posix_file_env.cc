// FileEnv on POSIX: the one file of proctor's durable records that calls the system directly.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/file_env.h"

namespace proctor {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

class PosixRandomRWFile : public RandomRWFile {
 public:
  PosixRandomRWFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomRWFile() override { ::close(fd_); }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return Errno("reading", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Read(uint64_t offset, size_t n, void* out) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t got =
          ::pread(fd_, static_cast<char*>(out) + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Errno("reading", path_);
      if (got == 0) {
        return absl::DataLossError(absl::StrCat("reading ", path_, ": ", n, " bytes at ", offset,
                                                " run past the end of the file"));
      }
      done += static_cast<size_t>(got);
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, const void* data, size_t n) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t put = ::pwrite(fd_, static_cast<const char*>(data) + done, n - done,
                                   static_cast<off_t>(offset + done));
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) return Errno("writing", path_);
      done += static_cast<size_t>(put);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("truncating", path_);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("syncing", path_);
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixFileEnv : public FileEnv {
 public:
  absl::Status CreatePrivateDir(const std::string& dir) override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      return absl::FailedPreconditionError(absl::StrCat(dir, ": cannot create: ", ec.message()));
    if (::chmod(dir.c_str(), 0700) != 0) return Errno("restricting access to", dir);
    return absl::OkStatus();
  }

  bool FileExists(const std::string& path) override {
    std::error_code ec;
    return fs::exists(path, ec);
  }

  absl::StatusOr<std::unique_ptr<RandomRWFile>> OpenReadWrite(const std::string& path) override {
    const bool existed = FileExists(path);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("opening", path);
    std::unique_ptr<RandomRWFile> file(new PosixRandomRWFile(path, fd));
    if (!existed) {
      // A new file's directory entry is durable only once the directory is synced.
      std::string dir = fs::path(path).parent_path().string();
      if (auto s = SyncDir(dir.empty() ? "." : dir); !s.ok()) return s;
    }
    return file;
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
    return text.str();
  }

  absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                   bool durable) override {
    const std::string tmp = path + ".tmp";
    {
      const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) return Errno("creating", tmp);
      PosixRandomRWFile file(tmp, fd);
      if (auto s = file.Write(0, data.data(), data.size()); !s.ok()) return s;
      if (durable) {
        if (::fsync(fd) != 0) return Errno("syncing", tmp);
      }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("renaming to", path);
    if (!durable) return absl::OkStatus();
    const std::string dir = fs::path(path).parent_path().string();
    return SyncDir(dir.empty() ? "." : dir);
  }

  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec)) names.push_back(entry.path().filename().string());
    }
    if (ec) return absl::InternalError(absl::StrCat("listing ", dir, ": ", ec.message()));
    return names;
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("opening directory", dir);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return Errno("syncing directory", dir);
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return absl::InternalError(absl::StrCat("removing ", path, ": ", ec.message()));
    return absl::OkStatus();
  }
};

}  // namespace

FileEnv* FileEnv::Default() {
  static PosixFileEnv* const env = new PosixFileEnv();
  return env;
}

}  // namespace proctor
