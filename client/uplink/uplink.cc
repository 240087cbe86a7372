#include "client/uplink/uplink.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "proctor/v1/session.grpc.pb.h"
#include "protocol/event_codec.h"

namespace proctor::client {
namespace {

std::shared_ptr<grpc::ChannelCredentials> Credentials(const UplinkOptions& options) {
  if (options.tls_ca_file.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(options.tls_ca_file);
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const UplinkOptions& options) {
  grpc::ChannelArguments args;
  // Notice a dead connection within ~15 s even while no call is active.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options.max_backoff_ms));
  return grpc::CreateCustomChannel(address, Credentials(options), args);
}

void SetDeadline(grpc::ClientContext& context, int64_t ms) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

std::string VerdictName(v1::Verdict verdict) { return v1::Verdict_Name(verdict); }

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
  if (o.servers.empty()) return absl::InvalidArgumentError("at least one --server is needed");
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
  if (!o.tls_ca_file.empty() && !std::ifstream(o.tls_ca_file)) {
    return absl::NotFoundError(absl::StrCat("TLS CA file ", o.tls_ca_file, " cannot be read"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseServerList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  if (out.empty()) return absl::InvalidArgumentError("--server needs at least one host:port");
  return out;
}

class Uplink::Connection {
 public:
  Connection(const std::string& address, const UplinkOptions& options)
      : address_(address),
        channel_(MakeChannel(address, options)),
        stub_(v1::SessionService::NewStub(channel_)) {}
  const std::string& address() const { return address_; }
  v1::SessionService::Stub& stub() { return *stub_; }

 private:
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SessionService::Stub> stub_;
};

absl::StatusOr<OpenedSession> OpenSessionWithPass(const UplinkOptions& options,
                                                  const std::string& pass,
                                                  const PublicKey& client_key, int64_t timeout_ms) {
  RETURN_IF_ERROR(ValidateUplinkOptions(options));
  OpenedSession out;
  size_t attempts = 0;
  const absl::Status status = RetryWithBackoff(options, timeout_ms, [&](int64_t left_ms) {
    const std::string& address = options.servers[attempts++ % options.servers.size()];
    auto stub = v1::SessionService::NewStub(MakeChannel(address, options));
    grpc::ClientContext context;
    SetDeadline(context, std::min(options.rpc_timeout_ms, left_ms));
    v1::OpenSessionRequest request;
    request.set_pass(pass);
    request.set_client_public_key(client_key.data(), client_key.size());
    v1::OpenSessionResponse response;
    const grpc::Status rpc = stub->OpenSession(&context, request, &response);
    if (!rpc.ok())
      return protocol::FromGrpcStatus(rpc, absl::StrCat("opening the session at ", address));
    out.server = address;
    out.session_id = response.session_id();
    out.session_token = response.session_token();
    ASSIGN_OR_RETURN(out.templates, protocol::TemplatesFromProto(response));
    out.match_threshold = response.match_threshold();
    out.identity_interval_ms = response.identity_interval_ms();
    return absl::OkStatus();
  });
  if (status.ok()) return out;
  if (!protocol::IsRetryable(status.code())) return status;
  return absl::UnavailableError(absl::StrCat("no server answered within ", timeout_ms / 1000,
                                             " s (last: ", status.message(), ")"));
}

Uplink::Uplink(Journal* journal, UplinkOptions options, std::string session_token)
    : journal_(journal), options_(std::move(options)), token_(std::move(session_token)) {
  for (const auto& address : options_.servers) {
    connections_.push_back(std::make_unique<Connection>(address, options_));
  }
}

Uplink::~Uplink() { Stop(); }

Uplink::Connection& Uplink::CurrentConnection() {
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
    Connection& connection = CurrentConnection();
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    SetDeadline(context, std::min(options_.rpc_timeout_ms, left_ms));
    v1::GetSessionHeadResponse response;
    const grpc::Status rpc =
        connection.stub().GetSessionHead(&context, v1::GetSessionHeadRequest(), &response);
    if (!rpc.ok()) {
      const absl::Status error = protocol::FromGrpcStatus(
          rpc, absl::StrCat("asking ", connection.address(), " for the session"));
      if (protocol::IsRetryable(error.code())) NextServer();
      return error;
    }
    head.last_seq = response.last_seq();
    if (response.head_hash().size() == head.head_hash.size()) {
      std::memcpy(head.head_hash.data(), response.head_hash().data(), head.head_hash.size());
    }
    head.closed = response.state() == v1::CLOSED;
    head.verdict = VerdictName(response.verdict());
    head.risk_score = response.risk_score();
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
    if (active_context_ != nullptr) static_cast<grpc::ClientContext*>(active_context_)->TryCancel();
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
    if (active_context_ != nullptr && awaiting_since_ms_ != 0 &&
        SteadyMs() - awaiting_since_ms_ > options_.rpc_timeout_ms) {
      static_cast<grpc::ClientContext*>(active_context_)->TryCancel();
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
    Connection& connection = *connections_[current_];
    lock.unlock();
    const absl::Status status = DeliverOnce(connection);
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

absl::Status Uplink::DeliverOnce(Connection& connection) {
  RETURN_IF_ERROR(SyncHead(connection));
  return Stream(connection);
}

// Where the server stands decides where sending starts: everything up to its last_seq is
// durable there (whichever replica stored it), so it is acknowledged here too.
absl::Status Uplink::SyncHead(Connection& connection) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  SetDeadline(context, options_.rpc_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_context_ = &context;
  }
  v1::GetSessionHeadResponse response;
  const grpc::Status status =
      connection.stub().GetSessionHead(&context, v1::GetSessionHeadRequest(), &response);
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_context_ = nullptr;
    stats_.server = connection.address();
  }
  if (!status.ok()) {
    return protocol::FromGrpcStatus(
        status, absl::StrCat("asking ", connection.address(), " for the session"));
  }
  const uint64_t server_seq = response.last_seq();
  if (server_seq > journal_->last_seq()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server holds ", server_seq, " events of this session but the journal only ",
        journal_->last_seq(), ": the journal lost events; run again to continue from the server"));
  }
  if (server_seq > 0) {
    auto ours = journal_->HashAt(server_seq);
    if (ours && std::memcmp(ours->data(), response.head_hash().data(),
                            std::min<size_t>(ours->size(), response.head_hash().size())) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("the server's event ", server_seq, " differs from this journal's: a fork"));
    }
  }
  RETURN_IF_ERROR(journal_->MarkAcked(server_seq));
  if (response.state() == v1::CLOSED) {
    RETURN_IF_ERROR(journal_->MarkClosed(VerdictName(response.verdict()), response.risk_score()));
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

absl::Status Uplink::Stream(Connection& connection) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_context_ = &context;
  }
  auto stream = connection.stub().StreamEvents(&context);
  const int64_t opened = SteadyMs();
  int64_t idle_since = SteadyMs();
  bool broken = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (journal_->pending() == 0) {
        cv_.wait_for(lock, std::chrono::milliseconds(500),
                     [this] { return stopping_ || journal_->pending() > 0; });
      }
      if (stopping_) break;
      const bool old = SteadyMs() - opened > options_.stream_max_age_ms;
      const bool idle = journal_->pending() == 0 && SteadyMs() - idle_since > 2000;
      if (idle || old) break;
      if (journal_->pending() == 0) continue;
    }
    auto events =
        journal_->Read(journal_->acked_seq() + 1, static_cast<size_t>(options_.max_batch_events),
                       options_.max_batch_bytes);
    if (!events.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      active_context_ = nullptr;
      context.TryCancel();
      return events.status();
    }
    if (events->empty()) continue;
    v1::EventBatch batch;
    for (const auto& e : *events) protocol::EventToProto(e.event, batch.add_events());
    batch.set_head_signature(events->back().signature.data(), events->back().signature.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      awaiting_since_ms_ = SteadyMs();
    }
    v1::BatchAck ack;
    if (!stream->Write(batch) || !stream->Read(&ack)) {
      broken = true;
      break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      awaiting_since_ms_ = 0;
    }
    const uint64_t before = journal_->acked_seq();
    RETURN_IF_ERROR(journal_->MarkAcked(ack.acked_seq()));
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.batches_acked;
    stats_.events_acked += journal_->acked_seq() - before;
    stats_.duplicates += ack.duplicates();
    idle_since = SteadyMs();
    cv_.notify_all();
  }
  if (!broken) stream->WritesDone();
  const grpc::Status status = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_context_ = nullptr;
    awaiting_since_ms_ = 0;
  }
  if (!broken && status.ok()) return absl::OkStatus();
  if (status.ok()) return absl::UnavailableError("the stream ended without an ack");
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::DeadlineExceededError(absl::StrCat(connection.address(),
                                                    " did not acknowledge within ",
                                                    options_.rpc_timeout_ms / 1000, " s"));
  }
  return protocol::FromGrpcStatus(status, absl::StrCat("sending to ", connection.address()));
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
    Connection& connection = CurrentConnection();
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    // Closing scores the session and may wait for evidence re-checks on the server: the whole
    // time left, not rpc_timeout_ms.
    SetDeadline(context, left_ms);
    v1::CloseSessionRequest request;
    request.set_ended_at_ms(ended_at_ms);
    v1::CloseSessionResponse response;
    const grpc::Status rpc = connection.stub().CloseSession(&context, request, &response);
    if (!rpc.ok()) {
      const absl::Status error = protocol::FromGrpcStatus(
          rpc, absl::StrCat("closing the session at ", connection.address()));
      if (protocol::IsRetryable(error.code())) NextServer();
      return error;
    }
    out = CloseOutcome{VerdictName(response.verdict()), response.risk_score()};
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
