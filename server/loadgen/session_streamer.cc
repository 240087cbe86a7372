#include "server/loadgen/session_streamer.h"

#include "absl/strings/str_cat.h"

namespace proctor::loadgen {

SessionStreamer::SessionStreamer(SyntheticSession* session, int batch_size, LoadCounters* counters)
    : session_(session), batch_size_(batch_size), counters_(counters) {}

void SessionStreamer::Start(v1::SessionService::StubInterface* stub) {
  context_.AddMetadata("authorization", absl::StrCat("Bearer ", session_->session_token()));
  stub->async()->StreamEvents(&context_, this);
  started_ = std::chrono::steady_clock::now() + offset_;
  StartCall();
  SendWhenDue();
}

void SessionStreamer::SendWhenDue() {
  if (pacer_ == nullptr || events_per_s_ <= 0) return SendNextBatch();
  const auto due = started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(events_written_ / events_per_s_));
  if (due <= std::chrono::steady_clock::now()) return SendNextBatch();
  pacer_->At(due, [this] { SendNextBatch(); });
}

void SessionStreamer::SendNextBatch() {
  session_->NextBatch(batch_size_, &batch_);
  batch_events_ = static_cast<uint32_t>(batch_.events_size());
  expected_ack_ = batch_.events(batch_.events_size() - 1).seq();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = 2;
  }
  StartRead(&ack_);
  sent_at_ = std::chrono::steady_clock::now();
  StartWrite(&batch_);
}

void SessionStreamer::OnWriteDone(bool ok) {
  if (!ok) return;  // the stream broke; OnDone reports why
  counters_->events_sent += batch_events_;
  events_written_ += batch_events_;
  StepDone();
}

void SessionStreamer::OnReadDone(bool ok) {
  if (!ok) return;  // the server ended the stream; OnDone reports why
  const std::chrono::duration<double, std::milli> latency =
      std::chrono::steady_clock::now() - sent_at_;
  if (ack_.acked_seq() != expected_ack_) {
    protocol_error_ = absl::StrCat("the server acked seq ", ack_.acked_seq(),
                                   " for a batch ending at seq ", expected_ack_);
    context_.TryCancel();
    return;
  }
  latencies_.push_back({latency.count(), batch_events_});
  counters_->events_acked += batch_events_;
  StepDone();
}

void SessionStreamer::StepDone() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ > 0) return;
  }
  if (session_->done()) {
    StartWritesDone();
  } else {
    SendWhenDue();
  }
}

void SessionStreamer::OnDone(const grpc::Status& status) {
  status_ = status;
  std::lock_guard<std::mutex> lock(counters_->mu);
  ++counters_->streams_done;
  counters_->done_cv.notify_all();
}

}  // namespace proctor::loadgen
