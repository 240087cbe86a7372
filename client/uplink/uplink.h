// Uplink: delivers the journal's events to the server and records what the server acknowledged.
//
// A background thread connects (trying the --server addresses in turn), asks the server where
// the session stands (GetSessionHead: events stored, chain head, open or closed), then streams
// batches of unacknowledged events read back from the journal, one batch in flight, each signed
// by its last event's signature. An ack moves the journal's acknowledged seq; an event is never
// dropped from the journal because it was sent, only because it was acknowledged. On a network
// or server failure it reconnects with exponential backoff (capped) and resends from the
// server's head, so every event arrives exactly once whatever fails and whenever.
//
// Errors that retrying cannot fix — the server refuses the session token (UNAUTHENTICATED,
// PERMISSION_DENIED), holds a different event at a seq (ALREADY_EXISTS, a fork), calls an event
// malformed (INVALID_ARGUMENT), or the session was closed with events still undelivered — stop
// delivery and are reported by fatal_error(); the events stay in the journal.
//
// Thread-safe.
#ifndef PROCTOR_CLIENT_UPLINK_UPLINK_H_
#define PROCTOR_CLIENT_UPLINK_UPLINK_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "client/journal/journal.h"
#include "client/uplink/server_connection.h"
#include "common/crypto.h"
#include "protocol/identity_rule.h"

namespace proctor::client {

struct UplinkOptions {
  // Server addresses (host:port), tried in order; the next one after a failure. At least one.
  std::vector<std::string> servers;
  // PEM file of the CA that signed the server's certificate; empty: plaintext (loopback/tests).
  std::string tls_ca_file;
  // Events per batch, 1-500, default 100; and their evidence + descriptors at most this many
  // bytes, default 1 MiB (the server accepts 4 MiB messages).
  int max_batch_events = 100;
  size_t max_batch_bytes = 1 << 20;
  // Reconnect backoff, ms: starts at initial, doubles, capped at max. Defaults 200 and 5000.
  int64_t initial_backoff_ms = 200;
  int64_t max_backoff_ms = 5000;
  // Deadline of each unary call and of each batch's ack, ms, default 10000.
  int64_t rpc_timeout_ms = 10000;
  // A stream is closed and a new one opened after this long, ms, default 60000 (so a stream
  // silently broken by the network is noticed even without keepalives).
  int64_t stream_max_age_ms = 60000;
};

absl::Status ValidateUplinkOptions(const UplinkOptions& options);

// Splits "a:1,b:2" into addresses; INVALID_ARGUMENT when empty.
absl::StatusOr<std::vector<std::string>> ParseServerList(const std::string& text);

// Redeems the one-time pass. UNAUTHENTICATED (pass unknown, used or expired) at once;
// UNAVAILABLE when no server answered within timeout_ms (retrying with backoff meanwhile).
// `connect` makes the connections (empty: gRPC, GrpcConnections(options)).
absl::StatusOr<OpenedSession> OpenSessionWithPass(const UplinkOptions& options,
                                                  const std::string& pass,
                                                  const PublicKey& client_key,
                                                  const std::string& consented_notice_sha256,
                                                  int64_t timeout_ms,
                                                  ConnectionFactory connect = nullptr);
// The consent notice of the pass's assessment from the first server that answers (retried as
// OpenSessionWithPass); the pass is not spent.
absl::StatusOr<ConsentNoticeInfo> FetchConsentNotice(const UplinkOptions& options,
                                                     const std::string& pass, int64_t timeout_ms,
                                                     ConnectionFactory connect = nullptr);
// Sends the learner's enrollment photos to the first server that answers (retried as
// OpenSessionWithPass; each try may take up to a minute while the server embeds the photos).
// Returns how many templates the server stored. The pass is not spent.
absl::StatusOr<int> SendSelfEnrollment(const UplinkOptions& options, const std::string& pass,
                                       const std::vector<std::vector<uint8_t>>& jpeg_photos,
                                       const std::string& consented_notice_sha256,
                                       int64_t timeout_ms, ConnectionFactory connect = nullptr);

struct UplinkStats {
  bool connected = false;
  std::string server;  // last address used
  uint64_t batches_acked = 0;
  uint64_t events_acked = 0;  // newly acknowledged in this process
  uint64_t duplicates = 0;    // resent events the server already held
  uint64_t reconnects = 0;
  std::string last_error;  // the last transient error, for the status line
};

class Uplink {
 public:
  // `journal` must outlive the uplink and hold the session. `connect` makes one connection per
  // options.servers address (empty: gRPC, GrpcConnections(options)).
  Uplink(Journal* journal, UplinkOptions options, std::string session_token,
         ConnectionFactory connect = nullptr);
  ~Uplink();  // Stop()
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // Asks the servers (in turn, until timeout_ms) where the session stands.
  absl::StatusOr<SessionHead> FetchHead(int64_t timeout_ms);
  // Starts the delivery thread.
  void Start();
  // New events were appended to the journal.
  void Notify();
  // Waits until nothing is pending, delivery failed fatally, or timeout_ms passed. True when
  // everything journaled is acknowledged.
  bool WaitDrained(int64_t timeout_ms);
  // Closes the session on the server (retrying until timeout_ms) and records it in the journal.
  absl::StatusOr<CloseOutcome> Close(int64_t ended_at_ms, int64_t timeout_ms);
  // Stops the delivery thread (an ack in flight is abandoned; its events stay pending).
  void Stop();

  UplinkStats stats() const;
  // OK while delivery can go on; the reason it stopped otherwise.
  absl::Status fatal_error() const;

 private:
  void Run();
  absl::Status DeliverOnce(ServerConnection& connection);
  absl::Status SyncHead(ServerConnection& connection);
  absl::Status Stream(ServerConnection& connection);
  enum class BatchResult { kAcked, kNothing, kBroken };
  bool HasWork(int64_t started_ms, int64_t idle_since_ms);
  // Sends the next batch and records its ack; kBroken with *local set when the journal failed.
  BatchResult SendBatch(BatchStream& stream, absl::Status* local);
  void Watchdog();
  ServerConnection& CurrentConnection();
  void NextServer();

  Journal* const journal_;
  const UplinkOptions options_;
  const std::string token_;

  mutable std::mutex mu_;
  std::condition_variable cv_;                                  // new events, acks, stop, fatal
  std::vector<std::unique_ptr<ServerConnection>> connections_;  // one per server, guarded by mu_
  size_t current_ = 0;                                          // guarded by mu_
  UplinkStats stats_;                                           // guarded by mu_
  absl::Status fatal_;                                          // guarded by mu_
  bool stopping_ = false;                                       // guarded by mu_
  bool notified_ = false;                                       // guarded by mu_
  CallCancel* active_call_ = nullptr;  // the delivery thread's call in flight, guarded by mu_
  int64_t awaiting_since_ms_ = 0;      // steady ms when the ack wait began, 0 if none; mu_
  bool ack_timed_out_ = false;         // the watchdog cancelled the stream; guarded by mu_
  std::thread thread_;
  std::thread watchdog_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_UPLINK_UPLINK_H_
