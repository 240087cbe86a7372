// For tests that run several proctor-server processes on one PostgreSQL database (a single
// server or a Patroni cluster) under load and then count what the database holds:
// - ServerReplica: one proctor-server process (--db shared, --data-dir shared so the replicas
//   have one storage.key and admin token), SIGKILLed and restarted by the test;
// - SendBatchVia: one signed batch on a fresh StreamEvents call to whichever replica a stub
//   talks to;
// - OpenLearnerSessions: an assessment, learners, passes and open sessions, through one replica;
// - LearnerLoad: learner threads streaming heartbeat batches, each resending everything after its
//   last acknowledgement when a call fails (moving to the other replica, or backing off on the
//   same one as the real client does);
// - StoredPerSession: what the database holds per session, read directly.
#ifndef PROCTOR_TESTS_SUPPORT_SERVER_REPLICAS_H_
#define PROCTOR_TESTS_SUPPORT_SERVER_REPLICAS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/event.h"
#include "proctor/v1/session.grpc.pb.h"
#include "tests/support/server_harness.h"

namespace proctor::testing {

class ServerReplica {
 public:
  ServerReplica(std::string name, std::string data_dir, std::string db);
  ~ServerReplica();
  ServerReplica(const ServerReplica&) = delete;
  ServerReplica& operator=(const ServerReplica&) = delete;

  // Starts the process (the same port every time) and waits until it answers and the admin
  // token exists; false with *why (naming its log) otherwise.
  bool Start(std::string* why);
  void Kill();  // SIGKILL, waiting for the exit

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int http_port() const { return http_port_; }
  const std::string& name() const { return name_; }
  std::string log_path() const { return data_dir_ + "/" + name_ + ".log"; }

 private:
  std::string name_;
  std::string data_dir_;
  std::string db_;
  int port_ = 0;
  int http_port_ = 0;
  pid_t pid_ = -1;
};

// The admin token the first replica wrote into `data_dir`.
std::string ReadAdminToken(const std::string& data_dir);

// Sends `events` (signed over the last) on a fresh stream with a 20 s deadline; fills *ack.
grpc::Status SendBatchVia(v1::SessionService::Stub& stub, const LearnerSession& session,
                          const std::vector<Event>& events, v1::BatchAck* ack);

// Creates INTERMEDIATE assessment `assessment_id`, enrolls learner-0..n-1 (no templates), issues
// each a pass and opens its session, all through `channel`. Returns the sessions, or an empty
// vector with *why set.
std::vector<std::unique_ptr<LearnerSession>> OpenLearnerSessions(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_token,
    const std::string& assessment_id, int n, std::string* why);

struct StoredCounts {
  int64_t rows = 0;
  int64_t distinct_seqs = 0;
  int64_t max_seq = 0;
};

// Per session id; throws pqxx exceptions when the database cannot be read.
std::map<std::string, StoredCounts> StoredPerSession(const std::string& uri);

// A fresh directory under /tmp, removed with the object.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "proctor_replicas");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct LearnerLoadOptions {
  uint64_t batch = 20;                             // events per batch
  std::chrono::milliseconds pace{20};              // pause after each acknowledged batch
  std::chrono::seconds deadline{300};              // a learner gives up after this long
  // On a failed call: move to the next replica (a client that knows several), or stay and back
  // off (50 ms doubling to 1 s), as the real client does with one address.
  bool move_on_failure = false;
};

class LearnerLoad {
 public:
  using Clock = std::chrono::steady_clock;

  // Learner i starts on stubs[i % stubs.size()]. Sessions and stubs must outlive the load.
  LearnerLoad(std::vector<LearnerSession*> sessions,
              std::vector<v1::SessionService::Stub*> stubs, LearnerLoadOptions options);
  ~LearnerLoad();  // stops the learners where they are (a test that failed midway) and joins
  LearnerLoad(const LearnerLoad&) = delete;
  LearnerLoad& operator=(const LearnerLoad&) = delete;

  void Start();
  // Lets each learner stop once everything it made is acknowledged and it made at least
  // `min_events`; joins the threads.
  void Finish(uint64_t min_events);

  uint64_t TotalAcked() const;
  std::vector<uint64_t> AckedPerLearner() const;
  // Waits until `events` more are acknowledged than now; false after `timeout`.
  bool WaitForProgress(uint64_t events, std::chrono::seconds timeout) const;
  // The longest stretch without any acknowledgement so far, and when the last ack came.
  double LongestAckGapSeconds() const;
  int LearnersOn(int stub) const;

  // Valid after Finish.
  const std::vector<Event>& made(int learner) const { return made_[learner]; }
  uint64_t events_sent() const { return sent_; }
  int failed_calls() const { return failed_; }
  bool gave_up() const { return gave_up_; }
  // Failed calls by "CODE message" (first 10 distinct).
  std::map<std::string, int> failures() const;

 private:
  void Run(int i);
  void NoteAck();

  std::vector<LearnerSession*> sessions_;
  std::vector<v1::SessionService::Stub*> stubs_;
  LearnerLoadOptions options_;
  std::vector<std::vector<Event>> made_;  // owned by learner i's thread until the join
  std::unique_ptr<std::atomic<uint64_t>[]> acked_;
  std::unique_ptr<std::atomic<int>[]> on_stub_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<int> failed_{0};
  std::atomic<bool> gave_up_{false};
  std::atomic<bool> finishing_{false};
  std::atomic<bool> abort_{false};
  std::atomic<uint64_t> min_events_{0};
  mutable std::mutex mu_;
  std::map<std::string, int> failures_;  // guarded by mu_
  Clock::time_point last_ack_;           // guarded by mu_
  double longest_gap_s_ = 0;             // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_SERVER_REPLICAS_H_
