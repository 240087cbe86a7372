// FaultInjectionEnv: a FileEnvWrapper that breaks the file system on purpose, for in-process
// crash tests (leveldb's fault_injection_test.cc is the model).
//
// It remembers, per file opened through it, how much was durable at the last successful Sync,
// and which atomic replacements were not durable. DropUnsyncedData() then does what a power cut
// does: every such file is cut back to its last synced size and every non-durable replacement is
// undone. Faults are armed by number ("the 2nd Sync from now", counting a file's Sync and a
// durable WriteFileAtomically alike): a failing sync returns INTERNAL;
// a crash makes that call and every later one fail with UNAVAILABLE until Reboot(); a torn
// write persists only the first bytes of that write (a sector that made it) and crashes.
// Thread-safe.
#ifndef PROCTOR_COMMON_TESTING_FAULT_INJECTION_ENV_H_
#define PROCTOR_COMMON_TESTING_FAULT_INJECTION_ENV_H_

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/file_env.h"

namespace proctor::testing {

class FaultInjectionEnv : public FileEnvWrapper {
 public:
  explicit FaultInjectionEnv(FileEnv* target = FileEnv::Default()) : FileEnvWrapper(target) {}

  // The n-th Sync from now (1 = the next) fails with INTERNAL and syncs nothing.
  void FailSyncNumber(int n) { Arm(&fail_sync_at_, syncs_, n); }
  // The machine dies at the n-th Sync from now, before anything of it is durable.
  void CrashAtSyncNumber(int n) { Arm(&crash_sync_at_, syncs_, n); }
  // The n-th Write from now persists only its first `bytes` bytes, then the machine dies.
  void TearWriteNumber(int n, size_t bytes) {
    Arm(&tear_write_at_, writes_, n);
    std::lock_guard<std::mutex> lock(mu_);
    tear_bytes_ = bytes;
  }
  // The machine dies now.
  void Crash() {
    std::lock_guard<std::mutex> lock(mu_);
    crashed_ = true;
  }
  bool crashed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return crashed_;
  }
  // What a power cut leaves: files cut back to their last synced size, non-durable atomic
  // replacements undone. Call after the code under test released its files.
  absl::Status DropUnsyncedData() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [path, synced] : synced_size_) {
      auto file = target()->OpenReadWrite(path);
      if (!file.ok()) return file.status();
      auto size = (*file)->Size();
      if (!size.ok()) return size.status();
      if (*size > synced) {
        if (auto s = (*file)->Truncate(synced); !s.ok()) return s;
      }
    }
    for (const auto& [path, before] : undurable_) {
      auto s =
          before ? target()->WriteFileAtomically(path, *before, true) : target()->RemoveFile(path);
      if (!s.ok()) return s;
    }
    undurable_.clear();
    return absl::OkStatus();
  }
  // The machine is back: calls work again, nothing armed.
  void Reboot() {
    std::lock_guard<std::mutex> lock(mu_);
    crashed_ = false;
    fail_sync_at_ = crash_sync_at_ = tear_write_at_ = 0;
  }
  int syncs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return syncs_;
  }

  absl::StatusOr<std::unique_ptr<RandomRWFile>> OpenReadWrite(const std::string& path) override {
    if (auto s = Alive(); !s.ok()) return s;
    auto file = target()->OpenReadWrite(path);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      // What exists when first opened is taken as durable.
      synced_size_.emplace(path, *size);
    }
    return std::unique_ptr<RandomRWFile>(new File(this, path, std::move(*file)));
  }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    if (auto s = Alive(); !s.ok()) return s;
    return target()->ReadFile(path);
  }
  absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                   bool durable) override {
    if (auto s = Alive(); !s.ok()) return s;
    if (durable) {
      // Its fsync is a numbered sync like a file's: a crash or an EIO there replaces nothing.
      switch (NextSync()) {
        case SyncFault::kCrash:
          Crash();
          return Alive();
        case SyncFault::kFail:
          return absl::InternalError("syncing " + path + ".tmp: EIO (injected)");
        case SyncFault::kNone:
          break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (durable) {
        undurable_.erase(path);
      } else if (!undurable_.count(path)) {
        auto before = target()->ReadFile(path);
        undurable_[path] = before.ok() ? std::optional<std::string>(*before) : std::nullopt;
      }
    }
    return target()->WriteFileAtomically(path, data, durable);
  }
  absl::Status RemoveFile(const std::string& path) override {
    if (auto s = Alive(); !s.ok()) return s;
    return target()->RemoveFile(path);
  }
  absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir) override {
    if (auto s = Alive(); !s.ok()) return s;
    return target()->ListFiles(dir);
  }
  absl::Status SyncDir(const std::string& dir) override {
    if (auto s = Alive(); !s.ok()) return s;
    return target()->SyncDir(dir);
  }

 private:
  class File : public RandomRWFile {
   public:
    File(FaultInjectionEnv* env, std::string path, std::unique_ptr<RandomRWFile> target)
        : env_(env), path_(std::move(path)), target_(std::move(target)) {}
    absl::StatusOr<uint64_t> Size() override {
      if (auto s = env_->Alive(); !s.ok()) return s;
      return target_->Size();
    }
    absl::Status Read(uint64_t offset, size_t n, void* out) override {
      if (auto s = env_->Alive(); !s.ok()) return s;
      return target_->Read(offset, n, out);
    }
    absl::Status Write(uint64_t offset, const void* data, size_t n) override {
      if (auto s = env_->Alive(); !s.ok()) return s;
      size_t tear = 0;
      if (env_->Hit(&env_->writes_, &env_->tear_write_at_, &tear)) {
        const size_t kept = std::min(tear, n);
        if (auto s = target_->Write(offset, data, kept); !s.ok()) return s;
        env_->MarkDurable(path_, offset + kept);  // those sectors made it to the disk
        env_->Crash();
        return env_->Alive();
      }
      return target_->Write(offset, data, n);
    }
    absl::Status Truncate(uint64_t size) override {
      if (auto s = env_->Alive(); !s.ok()) return s;
      return target_->Truncate(size);
    }
    absl::Status Sync() override {
      if (auto s = env_->Alive(); !s.ok()) return s;
      switch (env_->NextSync()) {
        case SyncFault::kCrash:
          env_->Crash();
          return env_->Alive();
        case SyncFault::kFail:
          return absl::InternalError("syncing " + path_ + ": EIO (injected)");
        case SyncFault::kNone:
          break;
      }
      if (auto s = target_->Sync(); !s.ok()) return s;
      auto size = target_->Size();
      if (!size.ok()) return size.status();
      env_->MarkSynced(path_, *size);
      return absl::OkStatus();
    }

   private:
    FaultInjectionEnv* const env_;
    const std::string path_;
    std::unique_ptr<RandomRWFile> target_;
  };

  void Arm(int* at, const int& counter, int n) {
    std::lock_guard<std::mutex> lock(mu_);
    *at = counter + n;
  }
  absl::Status Alive() const {
    std::lock_guard<std::mutex> lock(mu_);
    return crashed_ ? absl::UnavailableError("the machine crashed (injected)") : absl::OkStatus();
  }
  enum class SyncFault { kNone, kFail, kCrash };
  SyncFault NextSync() {
    std::lock_guard<std::mutex> lock(mu_);
    ++syncs_;
    if (syncs_ == crash_sync_at_) return SyncFault::kCrash;
    if (syncs_ == fail_sync_at_) return SyncFault::kFail;
    return SyncFault::kNone;
  }
  bool Hit(int* counter, const int* at, size_t* tear) {
    std::lock_guard<std::mutex> lock(mu_);
    *tear = tear_bytes_;
    return ++*counter == *at;
  }
  void MarkSynced(const std::string& path, uint64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    synced_size_[path] = size;
  }
  void MarkDurable(const std::string& path, uint64_t end) {
    std::lock_guard<std::mutex> lock(mu_);
    synced_size_[path] = std::max(synced_size_[path], end);
  }

  mutable std::mutex mu_;
  bool crashed_ = false;                                          // guarded by mu_
  int syncs_ = 0, writes_ = 0;                                    // guarded by mu_
  int fail_sync_at_ = 0, crash_sync_at_ = 0, tear_write_at_ = 0;  // guarded by mu_
  size_t tear_bytes_ = 0;                                         // guarded by mu_
  std::map<std::string, uint64_t> synced_size_;                   // guarded by mu_
  std::map<std::string, std::optional<std::string>> undurable_;   // guarded by mu_
};

}  // namespace proctor::testing

#endif  // PROCTOR_COMMON_TESTING_FAULT_INJECTION_ENV_H_
