// One synthetic session's StreamEvents call, driven by gRPC's callback API: it sends a batch,
// waits for that batch's ack (and for the write to complete), then sends the next — one batch in
// flight per session — and records each batch's send→ack latency.
#ifndef PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_
#define PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "proctor/v1/session.grpc.pb.h"
#include "server/loadgen/latency_stats.h"
#include "server/loadgen/pacer.h"
#include "server/loadgen/synthetic_session.h"

namespace proctor::loadgen {

// Totals every stream updates from gRPC's callback threads; the main thread reads them.
struct LoadCounters {
  std::atomic<int64_t> events_sent{0};   // events whose batch was written to the stream
  std::atomic<int64_t> events_acked{0};  // events acknowledged by the server
  std::mutex mu;
  std::condition_variable done_cv;  // notified whenever a stream ends
  int streams_done = 0;             // guarded by mu
};

class SessionStreamer final : public grpc::ClientBidiReactor<v1::EventBatch, v1::BatchAck> {
 public:
  // `session` and `counters` must outlive the stream (until counters->streams_done counts it).
  SessionStreamer(SyntheticSession* session, int batch_size, LoadCounters* counters);
  // Paces the stream at `events_per_s` (> 0), starting `offset` after Start, on `pacer`: each
  // batch is sent when it is due (or at once when the stream is behind), like a learner's client
  // sending events as they happen. Without it the stream sends as fast as acks return.
  void Pace(Pacer* pacer, double events_per_s, std::chrono::steady_clock::duration offset) {
    pacer_ = pacer;
    events_per_s_ = events_per_s;
    offset_ = offset;
  }

  // Starts the call on `stub` with the session's token. Call once.
  void Start(v1::SessionService::StubInterface* stub);
  // Ends the call early (a stalled run); it then ends with CANCELLED.
  void Cancel() { context_.TryCancel(); }

  // Valid once the stream has ended (counted in counters->streams_done).
  const grpc::Status& status() const { return status_; }
  // The ack that did not match its batch, when that is what ended the stream; else empty.
  const std::string& protocol_error() const { return protocol_error_; }
  std::vector<BatchLatency>& latencies() { return latencies_; }

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void SendNextBatch();
  // Sends the next batch now, or schedules it on the pacer when it is not due yet.
  void SendWhenDue();
  // A batch is finished when both its write and its ack completed; the last of the two sends
  // the next batch or ends the writes.
  void StepDone();

  SyntheticSession* const session_;
  const int batch_size_;
  LoadCounters* const counters_;
  grpc::ClientContext context_;
  v1::EventBatch batch_;
  v1::BatchAck ack_;
  std::mutex mu_;
  int pending_ = 0;  // guarded by mu_: write and ack of the batch in flight not yet completed
  // Set before a batch is sent, read by its callbacks: no two batches overlap.
  std::chrono::steady_clock::time_point sent_at_;
  uint64_t expected_ack_ = 0;
  uint32_t batch_events_ = 0;
  Pacer* pacer_ = nullptr;
  double events_per_s_ = 0;
  std::chrono::steady_clock::duration offset_{};
  std::chrono::steady_clock::time_point started_;
  int64_t events_written_ = 0;           // by this stream, updated before the next batch is sent
  std::vector<BatchLatency> latencies_;  // appended by OnReadDone, one batch at a time
  std::string protocol_error_;
  grpc::Status status_;
};

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_SESSION_STREAMER_H_
