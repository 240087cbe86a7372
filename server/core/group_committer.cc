#include "server/core/group_committer.h"

#include <utility>

namespace proctor::server {

GroupCommitter::GroupCommitter(Storage* storage, GroupCommitterOptions options)
    : storage_(storage), options_(options), thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void GroupCommitter::Submit(AppendBatch batch, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(batch), std::move(done)});
  }
  cv_.notify_one();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void GroupCommitter::Run() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Take whole batches up to the event limit (always at least one).
      size_t events = 0, taken = 0;
      while (taken < queue_.size() && (taken == 0 || events + queue_[taken].batch.events.size() <=
                                                         options_.max_events_per_commit)) {
        events += queue_[taken].batch.events.size();
        ++taken;
      }
      group.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + taken));
      queue_.erase(queue_.begin(), queue_.begin() + taken);
    }
    CommitGroup(group);
    group.clear();
  }
}

void GroupCommitter::CommitGroup(std::vector<Pending>& group) {
  std::vector<AppendBatch> batches;
  batches.reserve(group.size());
  size_t events = 0;
  for (Pending& p : group) {
    events += p.batch.events.size();
    batches.push_back(std::move(p.batch));
  }
  auto statuses = storage_->AppendBatches(batches);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.commits;
    stats_.batches += group.size();
    stats_.events += events;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(statuses.ok() ? (*statuses)[i] : statuses.status());
  }
}

}  // namespace proctor::server
