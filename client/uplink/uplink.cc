#include "client/uplink/uplink.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/uplink/grpc_server_connection.h"
#include "common/clock.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "common/status_macros.h"
#include "protocol/event_codec.h"

namespace proctor::client {
namespace {

// Calls `attempt` (given the ms left) until it succeeds, fails for good, or timeout_ms would pass
// during the next wait; waits initial_backoff_ms between tries, doubling up to max_backoff_ms.
// Returns OK, the permanent error, or the last retryable one.
absl::Status RetryWithBackoff(const UplinkOptions& options, int64_t timeout_ms,
                              const std::function<absl::Status(int64_t left_ms)>& attempt) {
  const int64_t give_up = SteadyMs() + timeout_ms;
  int64_t backoff = options.initial_backoff_ms;
  for (;;) {
    const absl::Status status = attempt(std::max<int64_t>(give_up - SteadyMs(), 1));
    if (status.ok() || !protocol::IsRetryable(status.code())) return status;
    if (SteadyMs() + backoff >= give_up) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff = std::min(backoff * 2, options.max_backoff_ms);
  }
}

}  // namespace

absl::Status ValidateUplinkOptions(const UplinkOptions& o) {
  if (o.servers.empty()) {
    return absl::InvalidArgumentError(i18n::Tr("at least one --server is needed"));
  }
  if (o.max_batch_events < 1 || o.max_batch_events > 500) {
    return absl::InvalidArgumentError("max_batch_events must be within 1-500");
  }
  if (o.max_batch_bytes < 1024) return absl::InvalidArgumentError("max_batch_bytes too small");
  if (o.initial_backoff_ms <= 0 || o.max_backoff_ms < o.initial_backoff_ms) {
    return absl::InvalidArgumentError("backoff must satisfy 0 < initial <= max");
  }
  if (o.rpc_timeout_ms <= 0 || o.stream_max_age_ms <= 0) {
    return absl::InvalidArgumentError("timeouts must be > 0");
  }
  if (!o.tls_ca_file.empty() && !std::ifstream(platform::PathFromUtf8(o.tls_ca_file))) {
    return absl::NotFoundError(i18n::Trf("TLS CA file $0 cannot be read", o.tls_ca_file));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseServerList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(i18n::Tr("--server needs at least one host:port"));
  }
  return out;
}

namespace {

// After a transport failure (no answer, no connection) the next call to that server starts a
// new connection rather than waiting on the old one; an answer (even an error) keeps it.
void ReconnectAfter(ServerConnection& server, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    server.Reconnect();
  }
}

// Calls `call(server, timeout)` on the servers in turn, backing off, until one answers or an
// error that retrying cannot cure; UNAVAILABLE naming the last error when time runs out.
template <typename T, typename Call>
absl::StatusOr<T> FirstAnswer(const UplinkOptions& options, int64_t timeout_ms,
                              ConnectionFactory connect, Call call) {
  RETURN_IF_ERROR(ValidateUplinkOptions(options));
  if (!connect) connect = GrpcConnections(options);
  std::vector<std::unique_ptr<ServerConnection>> servers;
  for (const auto& address : options.servers) servers.push_back(connect(address));
  T out;
  size_t attempts = 0;
  const absl::Status status = RetryWithBackoff(options, timeout_ms, [&](int64_t left_ms) {
    ServerConnection& server = *servers[attempts++ % servers.size()];
    absl::StatusOr<T> answer = call(server, std::min(options.rpc_timeout_ms, left_ms));
    if (!answer.ok()) {
      ReconnectAfter(server, answer.status());
      return answer.status();
    }
    out = std::move(*answer);
    return absl::OkStatus();
  });
  if (status.ok()) return out;
  if (!protocol::IsRetryable(status.code())) return status;
  return absl::UnavailableError(
      i18n::Trf("no server answered within $0 s (last: $1)", timeout_ms / 1000, status.message()));
}

}  // namespace

absl::StatusOr<ConsentNoticeInfo> FetchConsentNotice(const UplinkOptions& options,
                                                     const std::string& pass, int64_t timeout_ms,
                                                     ConnectionFactory connect) {
  return FirstAnswer<ConsentNoticeInfo>(
      options, timeout_ms, std::move(connect),
      [&](ServerConnection& server, int64_t t) { return server.GetConsentNotice(pass, t); });
}

absl::StatusOr<int> SendSelfEnrollment(const UplinkOptions& options, const std::string& pass,
                                       const std::vector<std::vector<uint8_t>>& jpeg_photos,
                                       const std::string& consented_notice_sha256,
                                       int64_t timeout_ms, ConnectionFactory connect) {
  UplinkOptions patient = options;
  patient.rpc_timeout_ms = std::max<int64_t>(options.rpc_timeout_ms, 60'000);
  return FirstAnswer<int>(patient, std::max<int64_t>(timeout_ms, 60'000), std::move(connect),
                          [&](ServerConnection& server, int64_t t) {
                            return server.SelfEnroll(pass, jpeg_photos, consented_notice_sha256, t);
                          });
}

absl::StatusOr<OpenedSession> OpenSessionWithPass(const UplinkOptions& options,
                                                  const std::string& pass,
                                                  const PublicKey& client_key,
                                                  const std::string& consented_notice_sha256,
                                                  int64_t timeout_ms, ConnectionFactory connect) {
  return FirstAnswer<OpenedSession>(
      options, timeout_ms, std::move(connect), [&](ServerConnection& server, int64_t t) {
        return server.OpenSession(pass, client_key, consented_notice_sha256, t);
      });
}

Uplink::Uplink(Journal* journal, UplinkOptions options, std::string session_token,
               ConnectionFactory connect)
    : journal_(journal), options_(std::move(options)), token_(std::move(session_token)) {
  if (!connect) connect = GrpcConnections(options_);
  for (const auto& address : options_.servers) connections_.push_back(connect(address));
}

Uplink::~Uplink() { Stop(); }

ServerConnection& Uplink::CurrentConnection() {
  std::lock_guard<std::mutex> lock(mu_);
  return *connections_[current_];
}

void Uplink::NextServer() {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = (current_ + 1) % connections_.size();
}

absl::StatusOr<SessionHead> Uplink::FetchHead(int64_t timeout_ms) {
  SessionHead head;
  const absl::Status status = RetryWithBackoff(options_, timeout_ms, [&](int64_t left_ms) {
    ServerConnection& server = CurrentConnection();
    auto fetched = server.GetHead(token_, std::min(options_.rpc_timeout_ms, left_ms), nullptr);
    if (!fetched.ok()) {
      ReconnectAfter(server, fetched.status());
      if (protocol::IsRetryable(fetched.status().code())) NextServer();
      return fetched.status();
    }
    head = *fetched;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return head;
}

void Uplink::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
  watchdog_ = std::thread([this] { Watchdog(); });
}

void Uplink::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  notified_ = true;
  cv_.notify_all();
}

void Uplink::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (active_call_ != nullptr) active_call_->Cancel();
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (watchdog_.joinable()) watchdog_.join();
}

void Uplink::Watchdog() {
  // An ack that does not come (a server that hangs, a network that silently drops packets)
  // cancels the stream, so the delivery loop reconnects instead of waiting forever.
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (active_call_ != nullptr && awaiting_since_ms_ != 0 &&
        SteadyMs() - awaiting_since_ms_ > options_.rpc_timeout_ms) {
      active_call_->Cancel();
      ack_timed_out_ = true;
      awaiting_since_ms_ = 0;
    }
  }
}

void Uplink::Run() {
  int64_t backoff = options_.initial_backoff_ms;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Nothing to send: wait for events (the head is checked when there is work).
    cv_.wait_for(lock, std::chrono::milliseconds(1000),
                 [this] { return stopping_ || (fatal_.ok() && journal_->pending() > 0); });
    if (stopping_) return;
    if (!fatal_.ok() || journal_->pending() == 0) continue;
    ServerConnection& connection = *connections_[current_];
    lock.unlock();
    const absl::Status status = DeliverOnce(connection);
    if (!status.ok()) ReconnectAfter(connection, status);
    lock.lock();
    if (stopping_) return;
    if (status.ok()) {
      backoff = options_.initial_backoff_ms;
      continue;
    }
    stats_.connected = false;
    if (!protocol::IsRetryable(status.code())) {
      fatal_ = status;
      cv_.notify_all();
      continue;
    }
    stats_.last_error = std::string(status.message());
    ++stats_.reconnects;
    current_ = (current_ + 1) % connections_.size();
    cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; });
    if (stopping_) return;
    backoff = std::min(backoff * 2, options_.max_backoff_ms);
  }
}

absl::Status Uplink::DeliverOnce(ServerConnection& connection) {
  RETURN_IF_ERROR(SyncHead(connection));
  return Stream(connection);
}

// Where the server stands decides where sending starts: everything up to its last_seq is
// durable there (whichever replica stored it), so it is acknowledged here too.
absl::Status Uplink::SyncHead(ServerConnection& connection) {
  CallCancel cancel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_call_ = &cancel;
  }
  auto head = connection.GetHead(token_, options_.rpc_timeout_ms, &cancel);
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_call_ = nullptr;
    stats_.server = connection.address();
  }
  if (!head.ok()) return head.status();
  const uint64_t server_seq = head->last_seq;
  if (server_seq > journal_->last_seq()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server holds ", server_seq, " events of this session but the journal only ",
        journal_->last_seq(), ": the journal lost events; run again to continue from the server"));
  }
  if (server_seq > 0) {
    auto ours = journal_->HashAt(server_seq);
    if (ours && *ours != head->head_hash) {
      return absl::AlreadyExistsError(
          absl::StrCat("the server's event ", server_seq, " differs from this journal's: a fork"));
    }
  }
  RETURN_IF_ERROR(journal_->MarkAcked(server_seq));
  if (head->closed) {
    RETURN_IF_ERROR(journal_->MarkClosed(head->verdict, head->risk_score));
    if (journal_->pending() > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("the session was closed on the server with ", journal_->pending(),
                       " events of this journal undelivered"));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.connected = true;
  cv_.notify_all();
  return absl::OkStatus();
}

// One stream: batches of what is pending, one in flight, until the journal is drained and the
// stream idle, it is old, or it breaks.
absl::Status Uplink::Stream(ServerConnection& connection) {
  CallCancel cancel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_call_ = &cancel;
    ack_timed_out_ = false;
  }
  auto opened = connection.OpenStream(token_, &cancel);
  if (!opened.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    active_call_ = nullptr;
    return opened.status();
  }
  const int64_t started = SteadyMs();
  int64_t idle_since = SteadyMs();
  bool broken = false;
  absl::Status local;  // a journal failure: ends the stream, reported as is
  while (HasWork(started, idle_since)) {
    const BatchResult sent = SendBatch(**opened, &local);
    if (sent == BatchResult::kNothing) continue;
    if (sent == BatchResult::kBroken) {
      if (!local.ok()) cancel.Cancel();
      broken = true;
      break;
    }
    idle_since = SteadyMs();
  }
  const absl::Status finished = (*opened)->Finish(broken);
  opened->reset();
  bool timed_out = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_call_ = nullptr;
    awaiting_since_ms_ = 0;
    timed_out = ack_timed_out_;
  }
  if (!local.ok()) return local;
  if (!broken && finished.ok()) return absl::OkStatus();
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(connection.address(),
                                                    " did not acknowledge within ",
                                                    options_.rpc_timeout_ms / 1000, " s"));
  }
  if (finished.ok()) return absl::UnavailableError("the stream ended without an ack");
  return finished;
}

// Waits (up to 500 ms) for pending events; false when the stream should end: stopping, idle
// for 2 s with nothing pending, or older than stream_max_age_ms.
bool Uplink::HasWork(int64_t started_ms, int64_t idle_since_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  if (journal_->pending() == 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(500),
                 [this] { return stopping_ || journal_->pending() > 0; });
  }
  if (stopping_) return false;
  const bool old = SteadyMs() - started_ms > options_.stream_max_age_ms;
  const bool idle = journal_->pending() == 0 && SteadyMs() - idle_since_ms > 2000;
  return !(idle || old);
}

Uplink::BatchResult Uplink::SendBatch(BatchStream& stream, absl::Status* local) {
  if (journal_->pending() == 0) return BatchResult::kNothing;
  auto events =
      journal_->Read(journal_->acked_seq() + 1, static_cast<size_t>(options_.max_batch_events),
                     options_.max_batch_bytes);
  if (!events.ok()) {
    *local = events.status();
    return BatchResult::kBroken;
  }
  if (events->empty()) return BatchResult::kNothing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_since_ms_ = SteadyMs();
  }
  BatchAck ack;
  if (!stream.Send(*events, &ack)) return BatchResult::kBroken;
  // The statistics move before the ack is recorded (and the state file written, outside the
  // lock): whoever sees nothing pending sees the batch counted.
  {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_since_ms_ = 0;
    const uint64_t before = journal_->acked_seq();
    ++stats_.batches_acked;
    stats_.events_acked += ack.acked_seq > before ? ack.acked_seq - before : 0;
    stats_.duplicates += ack.duplicates;
  }
  if (auto s = journal_->MarkAcked(ack.acked_seq); !s.ok()) {
    *local = s;
    return BatchResult::kBroken;
  }
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
  return BatchResult::kAcked;
}

bool Uplink::WaitDrained(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [this] { return journal_->pending() == 0 || !fatal_.ok(); });
  return journal_->pending() == 0;
}

absl::StatusOr<CloseOutcome> Uplink::Close(int64_t ended_at_ms, int64_t timeout_ms) {
  CloseOutcome out;
  const absl::Status status = RetryWithBackoff(options_, timeout_ms, [&](int64_t left_ms) {
    // Closing scores the session and may wait for evidence re-checks on the server: the whole
    // time left, not rpc_timeout_ms.
    ServerConnection& server = CurrentConnection();
    auto closed = server.Close(token_, ended_at_ms, left_ms);
    if (!closed.ok()) {
      ReconnectAfter(server, closed.status());
      if (protocol::IsRetryable(closed.status().code())) NextServer();
      return closed.status();
    }
    out = *closed;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  RETURN_IF_ERROR(journal_->MarkClosed(out.verdict, out.risk_score));
  return out;
}

UplinkStats Uplink::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

absl::Status Uplink::fatal_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fatal_;
}

}  // namespace proctor::client
