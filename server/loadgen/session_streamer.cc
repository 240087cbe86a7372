#include "server/loadgen/session_streamer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "protocol/event_codec.h"

namespace proctor::loadgen {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kInitialBackoff{200};  // the client's UplinkOptions defaults
constexpr std::chrono::milliseconds kMaxBackoff{5000};

// One StreamEvents call. It holds itself open (a gRPC hold) from StartCall until it ends its
// writes or an operation fails, because the next batch may be started from the pacer's thread,
// outside any reaction; OnDone therefore comes only after the last operation it started.
class SessionStreamer::Call final : public grpc::ClientBidiReactor<v1::EventBatch, v1::BatchAck> {
 public:
  explicit Call(SessionStreamer* owner) : owner_(owner) {}

  void Begin(v1::SessionService::StubInterface* stub, const std::string& token) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    stub->async()->StreamEvents(&context_, this);
    AddMultipleHolds(2);  // the call's own, and one until this function is done with it
    StartCall();
    owner_->SendNextOrFinish(this);
    RemoveHold();
  }
  // From the pacer's thread: a hold while it works on the call, so that OnDone (and the
  // owner's end, which frees this) cannot run on another thread before it has returned.
  void SendFromOutside(const v1::EventBatch* batch) {
    AddHold();
    Send(batch);
    RemoveHold();
  }
  void FinishWritesFromOutside() {
    AddHold();
    FinishWrites();
    RemoveHold();
  }
  void Send(const v1::EventBatch* batch) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_ = 2;
    }
    StartRead(&ack_);
    StartWrite(batch);
  }
  void FinishWrites() {
    StartWritesDone();
    ReleaseHold();
  }
  void Cancel() { context_.TryCancel(); }

  void OnWriteDone(bool ok) override {
    if (!ok) return ReleaseHold();  // the stream broke; OnDone says why
    Step();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return ReleaseHold();
    if (!owner_->OnAcked(ack_)) {
      context_.TryCancel();
      return ReleaseHold();
    }
    Step();
  }
  void OnDone(const grpc::Status& status) override { owner_->OnCallDone(status); }

 private:
  // The batch is finished when both its write and its ack completed; the last of the two goes on.
  void Step() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ > 0) return;
    }
    owner_->SendNextOrFinish(this);
  }
  void ReleaseHold() {
    if (!released_.exchange(true)) RemoveHold();
  }

  SessionStreamer* const owner_;
  grpc::ClientContext context_;
  v1::BatchAck ack_;
  std::mutex mu_;
  int pending_ = 0;  // guarded by mu_
  std::atomic<bool> released_{false};
};

SessionStreamer::SessionStreamer(SyntheticSession* session, int batch_size, LoadCounters* counters,
                                 Pacer* pacer,
                                 std::vector<v1::SessionService::StubInterface*> stubs,
                                 size_t first, StreamPlan plan)
    : session_(session),
      batch_size_(batch_size),
      counters_(counters),
      pacer_(pacer),
      stubs_(std::move(stubs)),
      stub_index_(first % stubs_.size()),
      plan_(plan),
      jitter_(static_cast<unsigned>(first * 7919 + 1)) {}

SessionStreamer::~SessionStreamer() {
  // The last OnDone may still be returning (it holds mu_ until it has counted the session).
  std::lock_guard<std::mutex> lock(mu_);
}

void SessionStreamer::Start() {
  ++counters_->streams_open;
  pacer_->At(plan_.start, [this] { OpenCall(); });
}

void SessionStreamer::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (call_) call_->Cancel();
}

void SessionStreamer::OpenCall() {
  Call* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    call_ = std::make_unique<Call>(this);
    call = call_.get();
  }
  call->Begin(stubs_[stub_index_], session_->session_token());
}

Clock::time_point SessionStreamer::Due() const {
  if (plan_.events_per_s <= 0) return Clock::now();
  return plan_.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                           static_cast<double>(events_made_) / plan_.events_per_s));
}

bool SessionStreamer::Stopping() const {
  return session_->done() || (plan_.stop && Clock::now() >= *plan_.stop);
}

void SessionStreamer::SendNextOrFinish(Call* call) {
  if (unacked_) return SendBatch(call, /*resend=*/true);
  if (Stopping()) return call->FinishWrites();
  const Clock::time_point due = Due();
  if (due <= Clock::now()) return SendBatch(call, /*resend=*/false);
  pacer_->At(due, [this, call] {
    if (Stopping()) return call->FinishWritesFromOutside();
    SendBatch(call, /*resend=*/false, /*from_outside=*/true);
  });
}

void SessionStreamer::SendBatch(Call* call, bool resend, bool from_outside) {
  if (resend) {
    counters_->events_resent += batch_events_;
  } else {
    session_->NextBatch(batch_size_, &batch_);
    batch_events_ = static_cast<uint32_t>(batch_.events_size());
    expected_ack_ = batch_.events(batch_.events_size() - 1).seq();
    events_made_ += batch_events_;
    unacked_ = true;
    first_sent_at_ = Clock::now();
  }
  counters_->events_sent += batch_events_;
  if (from_outside) return call->SendFromOutside(&batch_);
  call->Send(&batch_);
}

bool SessionStreamer::OnAcked(const v1::BatchAck& ack) {
  const Clock::time_point now = Clock::now();
  if (ack.acked_seq() != expected_ack_) {
    protocol_error_ = absl::StrCat("the server acked seq ", ack.acked_seq(),
                                   " for a batch ending at seq ", expected_ack_);
    return false;
  }
  const std::chrono::duration<double, std::milli> latency = now - first_sent_at_;
  const std::chrono::duration<double> at = now - plan_.origin;
  latencies_.push_back({latency.count(), batch_events_, at.count()});
  counters_->events_acked += batch_events_;
  unacked_ = false;
  backoff_ = kInitialBackoff;
  return true;
}

void SessionStreamer::OnCallDone(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  ended_.push_back(std::move(call_));
  const bool retryable = protocol::IsRetryable(static_cast<absl::StatusCode>(status.error_code()));
  if (status.ok() || !protocol_error_.empty() || (!unacked_ && Stopping())) {
    return Finish(protocol_error_.empty() ? grpc::Status::OK : status);
  }
  if (!plan_.retry || cancelled_ || !retryable) return Finish(status);
  // Like the client: the next server, after a jittered, doubling pause.
  stub_index_ = (stub_index_ + 1) % stubs_.size();
  std::uniform_real_distribution<double> spread(0.5, 1.0);
  const auto pause = std::chrono::duration_cast<Clock::duration>(backoff_ * spread(jitter_));
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  ++counters_->reconnects;
  pacer_->At(Clock::now() + pause, [this] { OpenCall(); });
}

// Called with mu_ held.
void SessionStreamer::Finish(const grpc::Status& status) {
  status_ = status;
  --counters_->streams_open;
  std::lock_guard<std::mutex> lock(counters_->mu);
  ++counters_->streams_done;
  counters_->done_cv.notify_all();
}

}  // namespace proctor::loadgen
