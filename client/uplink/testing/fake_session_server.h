// A scripted proctor server behind the uplink's ServerConnection seam, for in-process tests of
// the uplink and the client session: one session's store shared by every address (replicas on
// one database), and per address a Behaviour that injects the faults a test wants. Records the
// calls in order ("a:1 GetHead").
#ifndef PROCTOR_CLIENT_UPLINK_TESTING_FAKE_SESSION_SERVER_H_
#define PROCTOR_CLIENT_UPLINK_TESTING_FAKE_SESSION_SERVER_H_

#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/uplink/server_connection.h"

namespace proctor::client::testing {

// One session's store, shared by every address (replicas on one database).
struct FakeSessionStore {
  std::mutex mu;
  std::vector<protocol::SignedEvent> events;  // seq 1..n, guarded by mu
  std::vector<std::string> calls;             // "a:1 GetHead", "b:2 Stream", ... guarded by mu
  bool closed = false;
};

// How one address behaves.
struct Behaviour {
  absl::Status open_error;         // OpenSession answers this when not OK
  absl::Status head_error;         // GetHead, Close (and OpenSession) answer this when not OK
  absl::Status batch_error;        // every batch is refused with this when not OK
  int lose_acks = 0;               // this many batches are stored, then the stream breaks
  bool hang = false;               // batches are stored but never acknowledged
  std::atomic<int> reconnects{0};  // Reconnect() calls: fresh transports after failures
};

class FakeStream : public BatchStream {
 public:
  FakeStream(FakeSessionStore* store, Behaviour* b, CallCancel* cancel)
      : store_(store), b_(b), cancel_(cancel) {}
  bool Send(const std::vector<protocol::SignedEvent>& batch, BatchAck* ack) override {
    if (!b_->batch_error.ok()) {
      status_ = b_->batch_error;
      return false;
    }
    uint32_t duplicates = 0;
    {
      std::lock_guard<std::mutex> lock(store_->mu);
      for (const auto& e : batch) {
        if (e.event.seq <= store_->events.size()) {
          ++duplicates;
        } else if (e.event.seq == store_->events.size() + 1) {
          store_->events.push_back(e);
        } else {
          status_ = absl::FailedPreconditionError("gap");
          return false;
        }
      }
      *ack = BatchAck{store_->events.size(), duplicates};
    }
    if (b_->hang) {
      while (!cancel_->cancelled()) usleep(1000);
      status_ = absl::CancelledError("cancelled");
      return false;
    }
    if (b_->lose_acks > 0) {
      --b_->lose_acks;
      status_ = absl::UnavailableError("connection reset (the ack was lost)");
      return false;
    }
    return true;
  }
  absl::Status Finish(bool) override { return status_; }

 private:
  FakeSessionStore* const store_;
  Behaviour* const b_;
  CallCancel* const cancel_;
  absl::Status status_;
};

class FakeConnection : public ServerConnection {
 public:
  FakeConnection(std::string address, FakeSessionStore* store, Behaviour* b)
      : address_(std::move(address)), store_(store), b_(b) {}
  const std::string& address() const override { return address_; }
  void Reconnect() override { ++b_->reconnects; }
  absl::StatusOr<ConsentNoticeInfo> GetConsentNotice(const std::string&, int64_t) override {
    Log("GetConsentNotice");
    if (!b_->open_error.ok()) return b_->open_error;
    return ConsentNoticeInfo{1, "the fake notice", std::string(64, 'a')};
  }
  absl::StatusOr<int> SelfEnroll(const std::string&,
                                 const std::vector<std::vector<uint8_t>>& photos,
                                 const std::string&, int64_t) override {
    Log("SelfEnroll");
    if (!b_->open_error.ok()) return b_->open_error;
    return static_cast<int>(photos.size());
  }
  absl::StatusOr<OpenedSession> OpenSession(const std::string&, const PublicKey&,
                                            const std::string&, int64_t) override {
    Log("OpenSession");
    if (!b_->open_error.ok()) return b_->open_error;
    if (!b_->head_error.ok()) return b_->head_error;
    OpenedSession s;
    s.server = address_;
    s.session_id = "s-1";
    s.session_token = "token";
    s.identity_interval_ms = 5000;
    return s;
  }
  absl::StatusOr<SessionHead> GetHead(const std::string&, int64_t, CallCancel*) override {
    Log("GetHead");
    if (!b_->head_error.ok()) return b_->head_error;
    std::lock_guard<std::mutex> lock(store_->mu);
    SessionHead head;
    head.last_seq = store_->events.size();
    if (!store_->events.empty()) head.head_hash = store_->events.back().hash;
    head.closed = store_->closed;
    return head;
  }
  absl::StatusOr<CloseOutcome> Close(const std::string&, int64_t, int64_t) override {
    Log("Close");
    if (!b_->head_error.ok()) return b_->head_error;
    std::lock_guard<std::mutex> lock(store_->mu);
    store_->closed = true;
    return CloseOutcome{"AUTO_ACCEPTED", 0.0};
  }
  absl::StatusOr<ServerPing> Ping(int64_t) override {
    Log("Ping");
    if (!b_->head_error.ok()) return b_->head_error;
    return ServerPing{};
  }
  absl::StatusOr<std::unique_ptr<BatchStream>> OpenStream(const std::string&,
                                                          CallCancel* cancel) override {
    Log("Stream");
    return std::unique_ptr<BatchStream>(new FakeStream(store_, b_, cancel));
  }

 private:
  void Log(const std::string& what) {
    std::lock_guard<std::mutex> lock(store_->mu);
    store_->calls.push_back(address_ + " " + what);
  }
  const std::string address_;
  FakeSessionStore* const store_;
  Behaviour* const b_;
};

// Connections to the fake: every address shares `store`; each behaves as `behaviour[address]`.
inline ConnectionFactory FakeServers(FakeSessionStore* store,
                                     std::map<std::string, Behaviour>* behaviour) {
  return [store, behaviour](const std::string& address) -> std::unique_ptr<ServerConnection> {
    return std::make_unique<FakeConnection>(address, store, &(*behaviour)[address]);
  };
}

}  // namespace proctor::client::testing

#endif  // PROCTOR_CLIENT_UPLINK_TESTING_FAKE_SESSION_SERVER_H_
