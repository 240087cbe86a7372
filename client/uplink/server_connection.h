// What the uplink needs of one server, behind an interface: the delivery logic (client/uplink/
// uplink.cc) is tested in process against a scripted server (uplink_test.cc), and only
// grpc_server_connection.cc sees the generated stubs.
#ifndef PROCTOR_CLIENT_UPLINK_SERVER_CONNECTION_H_
#define PROCTOR_CLIENT_UPLINK_SERVER_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto.h"
#include "protocol/chain.h"
#include "protocol/identity_rule.h"

namespace proctor::client {

// The consent notice of the pass's assessment: what the learner reads and agrees to.
struct ConsentNoticeInfo {
  int32_t version = 0;     // 0: the server's built-in notice
  std::string text;        // UTF-8, shown as written
  std::string sha256_hex;  // what the learner's CONSENT_GIVEN names
  // The pass's learner has no face template: the client takes enrollment photos (SelfEnroll)
  // after the learner's yes, before it opens the session.
  bool self_enrollment_needed = false;
};

struct OpenedSession {
  std::string server;  // the address that answered
  std::string session_id;
  std::string session_token;
  std::vector<protocol::Template> templates;  // every enrolled template (identity rule)
  protocol::MatchThreshold match_threshold = protocol::kDefaultMatchThreshold;
  int64_t identity_interval_ms = 0;
  // The server's liveness challenge nonce (32 hex digits; protocol::ChallengeFromNonce gives the
  // actions); empty from a server that issues none.
  std::string liveness_nonce;
};

struct SessionHead {
  uint64_t last_seq = 0;
  Hash32 head_hash{};
  bool closed = false;
  std::string verdict;  // "AUTO_ACCEPTED", ... once closed
  double risk_score = 0;
};

struct CloseOutcome {
  std::string verdict;
  double risk_score = 0;
};

struct BatchAck {
  uint64_t acked_seq = 0;   // every event up to this seq is durable on the server
  uint32_t duplicates = 0;  // resent events it already held
};

// Lets another thread end a call in flight (Stop, the ack watchdog). Cancel() before the call
// arms it makes the call end at once. Thread-safe.
class CallCancel {
 public:
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    if (cancel_) cancel_();
  }
  // The transport registers how to cancel its call; false when already cancelled (do not start).
  bool Arm(std::function<void()> cancel) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return false;
    cancel_ = std::move(cancel);
    return true;
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_ = nullptr;
  }
  bool cancelled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;        // guarded by mu_
  std::function<void()> cancel_;  // guarded by mu_
};

// A stream of event batches to one server, one batch in flight. Used by one thread.
class BatchStream {
 public:
  virtual ~BatchStream() = default;
  // Sends the batch (signed by its last event's signature) and waits for its ack; false when
  // the stream broke (Finish says why).
  virtual bool Send(const std::vector<protocol::SignedEvent>& batch, BatchAck* ack) = 0;
  // Ends the stream — half-closing it first unless it broke — and returns how it ended.
  virtual absl::Status Finish(bool broken) = 0;
};

// What Ping learns of a server (proctor-client check).
struct ServerPing {
  int64_t server_time_unix_ms = 0;
  std::string version;
  int64_t round_trip_ms = 0;
  // Server clock minus this machine's, milliseconds (positive: this clock is behind).
  int64_t clock_offset_ms = 0;
};

// The calls to one server. Errors keep the server's code (UNAVAILABLE, UNAUTHENTICATED, ...)
// with a message that names the address. Thread-safe.
class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  virtual const std::string& address() const = 0;
  // `consented_notice_sha256`: the notice the learner agreed to (FAILED_PRECONDITION when it
  // changed since; the pass is not spent then).
  virtual absl::StatusOr<OpenedSession> OpenSession(const std::string& pass,
                                                    const PublicKey& client_key,
                                                    const std::string& consented_notice_sha256,
                                                    int64_t timeout_ms) = 0;
  // The notice of the pass's assessment; the pass is not spent.
  virtual absl::StatusOr<ConsentNoticeInfo> GetConsentNotice(const std::string& pass,
                                                             int64_t timeout_ms) = 0;
  // The learner's own enrollment photos (JPEG); how many templates the server stored. The
  // pass is not spent.
  virtual absl::StatusOr<int> SelfEnroll(const std::string& pass,
                                         const std::vector<std::vector<uint8_t>>& jpeg_photos,
                                         const std::string& consented_notice_sha256,
                                         int64_t timeout_ms) = 0;
  virtual absl::StatusOr<SessionHead> GetHead(const std::string& token, int64_t timeout_ms,
                                              CallCancel* cancel) = 0;
  virtual absl::StatusOr<CloseOutcome> Close(const std::string& token, int64_t ended_at_ms,
                                             int64_t timeout_ms) = 0;
  // Needs no credentials and changes nothing on the server.
  virtual absl::StatusOr<ServerPing> Ping(int64_t timeout_ms) = 0;
  // Drops the transport's connection state after a failure, so that the next call connects
  // afresh instead of waiting on an attempt that may never end (Wine, some proxies and VPNs
  // leave a refused connection pending until its deadline).
  virtual void Reconnect() {}
  // The stream stays cancellable through `cancel` (which must outlive it).
  virtual absl::StatusOr<std::unique_ptr<BatchStream>> OpenStream(const std::string& token,
                                                                  CallCancel* cancel) = 0;
};

// Makes the connection to one address (the uplink makes one per --server address).
using ConnectionFactory =
    std::function<std::unique_ptr<ServerConnection>(const std::string& address)>;

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_UPLINK_SERVER_CONNECTION_H_
