// Group commit: many sessions' event batches go to storage in one durable transaction, so one
// fsync covers them all. A caller learns its batch is durable only through its callback, after
// the transaction committed — the server acknowledges nothing earlier.
#ifndef PROCTOR_SERVER_CORE_GROUP_COMMITTER_H_
#define PROCTOR_SERVER_CORE_GROUP_COMMITTER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "server/core/storage.h"

namespace proctor::server {

struct GroupCommitterOptions {
  // Most events written in one transaction, >= 1; default 8000. Larger batches wait for the next.
  size_t max_events_per_commit = 8000;
};

struct GroupCommitStats {
  uint64_t commits = 0;
  uint64_t batches = 0;
  uint64_t events = 0;
};

// Thread-safe. One writer thread; callbacks run on it and must not block.
class GroupCommitter {
 public:
  using Done = std::function<void(absl::Status)>;
  GroupCommitter(Storage* storage, GroupCommitterOptions options);
  // Commits what is queued, then stops.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `batch`; `done` gets OK once it is durable, ABORTED when the session moved on
  // (see Storage::AppendBatches), or the storage error.
  void Submit(AppendBatch batch, Done done);
  GroupCommitStats stats() const;

 private:
  struct Pending {
    AppendBatch batch;
    Done done;
  };
  void Run();
  void CommitGroup(std::vector<Pending>& group);

  Storage* const storage_;
  const GroupCommitterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  GroupCommitStats stats_;      // guarded by mu_
  std::thread thread_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_GROUP_COMMITTER_H_
