// One synthetic session's events, streamed as the learner's client streams them: one batch in
// flight, each batch's send→ack latency recorded. When the stream breaks with a status the client
// retries (UNAVAILABLE while a replica restarts or the database fails over, ...), the session
// backs off (200 ms doubling to 5 s, with jitter), opens a new StreamEvents call — on the next
// server when there are several, as the client does — and resends the batch that was not
// acknowledged, so `acked` stays what the server has stored.
#ifndef PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_
#define PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "proctor/v1/session.grpc.pb.h"
#include "server/loadgen/latency_stats.h"
#include "server/loadgen/pacer.h"
#include "server/loadgen/synthetic_session.h"

namespace proctor::loadgen {

// Totals every stream updates from gRPC's callback threads; the main thread reads them.
struct LoadCounters {
  std::atomic<int64_t> events_sent{0};    // events written to a stream, resends included
  std::atomic<int64_t> events_acked{0};   // distinct events acknowledged by the server
  std::atomic<int64_t> events_resent{0};  // events written again after a broken stream
  std::atomic<int64_t> reconnects{0};     // new StreamEvents calls after a broken one
  std::atomic<int> streams_open{0};       // sessions streaming now (started, not ended)
  std::mutex mu;
  std::condition_variable done_cv;  // notified whenever a session's streaming ends
  int streams_done = 0;             // guarded by mu
};

// How a session paces and ends its stream.
struct StreamPlan {
  double events_per_s = 0;  // > 0: each batch sent when due (open loop); 0: as acks return
  std::chrono::steady_clock::time_point start;  // the session's first batch is due then
  // Set: the session stops sending after this time (its last batch still gets its ack); else it
  // ends when its SyntheticSession is done.
  std::optional<std::chrono::steady_clock::time_point> stop;
  std::chrono::steady_clock::time_point origin;  // the run's start: latencies are stamped from it
  bool retry = true;  // resend after a retryable failure, as the client does
};

class SessionStreamer {
 public:
  // `session`, `counters`, `pacer` and the stubs must outlive the streamer (until
  // counters->streams_done counts it). `stubs` non-empty; the session starts on stubs[first].
  SessionStreamer(SyntheticSession* session, int batch_size, LoadCounters* counters, Pacer* pacer,
                  std::vector<v1::SessionService::StubInterface*> stubs, size_t first,
                  StreamPlan plan);
  ~SessionStreamer();
  SessionStreamer(const SessionStreamer&) = delete;
  SessionStreamer& operator=(const SessionStreamer&) = delete;

  // Starts streaming at plan.start. Call once.
  void Start();
  // Ends the session's streaming early (a stalled run): no further retry; it ends CANCELLED.
  void Cancel();

  // Valid once the session's streaming has ended (counted in counters->streams_done): OK, or why
  // the last call ended when that was not retried.
  const grpc::Status& status() const { return status_; }
  // The ack that did not match its batch, when that is what ended the stream; else empty.
  const std::string& protocol_error() const { return protocol_error_; }
  std::vector<BatchLatency>& latencies() { return latencies_; }
  // Events made (sent at least once): what the server should store.
  int64_t events_made() const { return events_made_; }

 private:
  class Call;
  friend class Call;

  void OpenCall();  // a new StreamEvents call on the current stub
  // From the call's reactions: the batch in flight (batch_) was acknowledged (false: the ack
  // does not match the batch, a protocol error) / the call ended.
  bool OnAcked(const v1::BatchAck& ack);
  void OnCallDone(const grpc::Status& status);
  // Sends the next batch on `call` when it is due (now, or from the pacer), or ends the writes.
  void SendNextOrFinish(Call* call);
  // `from_outside`: called from the pacer's thread, not from one of the call's reactions.
  void SendBatch(Call* call, bool resend, bool from_outside = false);
  std::chrono::steady_clock::time_point Due() const;
  bool Stopping() const;
  void Finish(const grpc::Status& status);

  SyntheticSession* const session_;
  const int batch_size_;
  LoadCounters* const counters_;
  Pacer* const pacer_;
  const std::vector<v1::SessionService::StubInterface*> stubs_;
  size_t stub_index_;
  const StreamPlan plan_;

  std::mutex mu_;
  std::unique_ptr<Call> call_;                // guarded by mu_: the call in progress, if any
  std::vector<std::unique_ptr<Call>> ended_;  // guarded by mu_: finished calls, freed with this
  bool cancelled_ = false;                    // guarded by mu_
  // The batch in flight or waiting to be resent (unacked_); read by one call at a time.
  v1::EventBatch batch_;
  bool unacked_ = false;
  uint64_t expected_ack_ = 0;
  uint32_t batch_events_ = 0;
  std::chrono::steady_clock::time_point first_sent_at_;  // the batch's first send
  int64_t events_made_ = 0;
  std::chrono::milliseconds backoff_{200};
  std::minstd_rand jitter_;
  std::vector<BatchLatency> latencies_;  // appended by one reaction at a time
  std::string protocol_error_;
  grpc::Status status_;
};

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_
