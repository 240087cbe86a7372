// FileEnv: the file system as proctor's durable records need it, behind one interface (leveldb's
// Env is the model). The journal speaks only to this; the POSIX implementation is the one file
// that calls open/pwrite/fdatasync/rename, a Win32 one can stand beside it, and FileEnvWrapper
// forwards every call so a test can fail or drop exactly the operation it wants
// (common/testing/fault_injection_env.h).
//
// Durability contract: bytes written to a RandomRWFile are durable only after Sync() returns OK;
// WriteFileAtomically(durable=true) leaves either the old or the new content after a crash, and
// the new content once it returns OK (file synced, renamed, directory synced).
// Implementations are thread-compatible: one RandomRWFile is used under its owner's lock.
#ifndef PROCTOR_COMMON_FILE_ENV_H_
#define PROCTOR_COMMON_FILE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor {

// A file read and written at offsets (the journal's events.log).
class RandomRWFile {
 public:
  virtual ~RandomRWFile() = default;
  virtual absl::StatusOr<uint64_t> Size() = 0;
  // Exactly `n` bytes at `offset` into `out`; DATA_LOSS when the file is shorter.
  virtual absl::Status Read(uint64_t offset, size_t n, void* out) = 0;
  // All `n` bytes at `offset` (the file grows as needed); not durable until Sync.
  virtual absl::Status Write(uint64_t offset, const void* data, size_t n) = 0;
  virtual absl::Status Truncate(uint64_t size) = 0;
  // Makes every write so far durable (fdatasync; FlushFileBuffers on Windows).
  virtual absl::Status Sync() = 0;
};

class FileEnv {
 public:
  virtual ~FileEnv() = default;

  // The real file system of this platform. Lives for the whole process; thread-safe.
  static FileEnv* Default();

  // Creates `dir` and its parents; the directory itself readable by its owner only (0700).
  virtual absl::Status CreatePrivateDir(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Opens `path` for reading and writing, creating it (owner only, 0600) when missing.
  virtual absl::StatusOr<std::unique_ptr<RandomRWFile>> OpenReadWrite(const std::string& path) = 0;
  // The whole file; NOT_FOUND when it does not exist.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Replaces `path` with `data` through a temporary file and a rename (owner only, 0600). With
  // `durable`, the data and the rename are synced before it returns.
  virtual absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                           bool durable) = 0;
  // OK when the file did not exist.
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // The names (not paths) of the regular files in `dir`.
  virtual absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) = 0;
  // Makes the directory's entries durable (files created, renamed or removed in it).
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

// Forwards every call to `target` (which must outlive it). Subclass and override what a test
// needs to break.
class FileEnvWrapper : public FileEnv {
 public:
  explicit FileEnvWrapper(FileEnv* target) : target_(target) {}
  FileEnv* target() const { return target_; }

  absl::Status CreatePrivateDir(const std::string& dir) override {
    return target_->CreatePrivateDir(dir);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  absl::StatusOr<std::unique_ptr<RandomRWFile>> OpenReadWrite(const std::string& path) override {
    return target_->OpenReadWrite(path);
  }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                   bool durable) override {
    return target_->WriteFileAtomically(path, data, durable);
  }
  absl::Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) override {
    return target_->ListFiles(dir);
  }
  absl::Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }

 private:
  FileEnv* const target_;
};

}  // namespace proctor

#endif  // PROCTOR_COMMON_FILE_ENV_H_
