#include "client/uplink/grpc_server_connection.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/platform.h"
#include "common/status_macros.h"
#include "proctor/v1/session.grpc.pb.h"
#include "protocol/event_codec.h"
#include "protocol/liveness.h"

namespace proctor::client {
namespace {

std::shared_ptr<grpc::ChannelCredentials> Credentials(const UplinkOptions& options) {
  if (options.tls_ca_file.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(platform::PathFromUtf8(options.tls_ca_file));  // UTF-8 on Windows too
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address, const UplinkOptions& options,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  // A channel of its own connection: Reconnect() must not get the old one back from gRPC's
  // process-wide pool.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Notice a dead connection within ~15 s even while no call is active.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options.max_backoff_ms));
  return grpc::CreateCustomChannel(address, credentials, args);
}

void SetDeadline(grpc::ClientContext& context, int64_t ms) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", "Bearer " + token);
}

std::string VerdictName(v1::Verdict verdict) { return v1::Verdict_Name(verdict); }

absl::Status Cancelled() { return absl::CancelledError("stopping"); }

class GrpcBatchStream : public BatchStream {
 public:
  GrpcBatchStream(std::string address, std::unique_ptr<grpc::ClientContext> context,
                  std::shared_ptr<v1::SessionService::Stub> stub, CallCancel* cancel)
      : address_(std::move(address)),
        stub_(std::move(stub)),
        context_(std::move(context)),
        stream_(stub_->StreamEvents(context_.get())),
        cancel_(cancel) {}
  ~GrpcBatchStream() override { cancel_->Disarm(); }

  bool Send(const std::vector<protocol::SignedEvent>& events, BatchAck* ack) override {
    v1::EventBatch batch;
    for (const auto& e : events) protocol::EventToProto(e.event, batch.add_events());
    batch.set_head_signature(events.back().signature.data(), events.back().signature.size());
    v1::BatchAck reply;
    if (!stream_->Write(batch) || !stream_->Read(&reply)) return false;
    *ack = BatchAck{reply.acked_seq(), reply.duplicates()};
    return true;
  }

  absl::Status Finish(bool broken) override {
    if (!broken) stream_->WritesDone();
    const grpc::Status status = stream_->Finish();
    cancel_->Disarm();
    if (status.error_code() == grpc::StatusCode::CANCELLED) {
      return absl::CancelledError(absl::StrCat("the stream to ", address_, " was cancelled"));
    }
    return protocol::FromGrpcStatus(status, absl::StrCat("sending to ", address_));
  }

 private:
  const std::string address_;
  const std::shared_ptr<v1::SessionService::Stub> stub_;  // and so its channel
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::EventBatch, v1::BatchAck>> stream_;
  CallCancel* const cancel_;
};

int64_t SystemUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class GrpcServerConnection : public ServerConnection {
 public:
  GrpcServerConnection(std::string address, const UplinkOptions& options)
      : address_(std::move(address)),
        options_(options),
        credentials_(Credentials(options_)),
        stub_(NewStub()) {}

  const std::string& address() const override { return address_; }

  // A new channel: its connection attempts start afresh. (Calls under way keep the old one,
  // which their stub holds, until they end.)
  void Reconnect() override {
    std::shared_ptr<v1::SessionService::Stub> fresh = NewStub();
    std::lock_guard<std::mutex> lock(mu_);
    stub_ = std::move(fresh);
  }

  absl::StatusOr<ConsentNoticeInfo> GetConsentNotice(const std::string& pass,
                                                     int64_t timeout_ms) override {
    grpc::ClientContext context;
    SetDeadline(context, timeout_ms);
    v1::GetConsentNoticeRequest request;
    request.set_pass(pass);
    v1::ConsentNotice response;
    const grpc::Status rpc = Stub()->GetConsentNotice(&context, request, &response);
    if (!rpc.ok()) {
      return protocol::FromGrpcStatus(rpc,
                                      absl::StrCat("reading the consent notice at ", address_));
    }
    return ConsentNoticeInfo{response.version(), response.text(), response.sha256(),
                             response.self_enrollment_needed()};
  }

  absl::StatusOr<int> SelfEnroll(const std::string& pass,
                                 const std::vector<std::vector<uint8_t>>& jpeg_photos,
                                 const std::string& consented_notice_sha256,
                                 int64_t timeout_ms) override {
    grpc::ClientContext context;
    SetDeadline(context, timeout_ms);
    v1::SelfEnrollRequest request;
    request.set_pass(pass);
    for (const auto& photo : jpeg_photos) request.add_photos(photo.data(), photo.size());
    request.set_consented_notice_sha256(consented_notice_sha256);
    v1::SelfEnrollResponse response;
    const grpc::Status rpc = Stub()->SelfEnroll(&context, request, &response);
    if (!rpc.ok()) {
      return protocol::FromGrpcStatus(rpc,
                                      absl::StrCat("sending the enrollment photos to ", address_));
    }
    return response.templates();
  }

  absl::StatusOr<OpenedSession> OpenSession(const std::string& pass, const PublicKey& client_key,
                                            const std::string& consented_notice_sha256,
                                            int64_t timeout_ms) override {
    grpc::ClientContext context;
    SetDeadline(context, timeout_ms);
    v1::OpenSessionRequest request;
    request.set_pass(pass);
    request.set_client_public_key(client_key.data(), client_key.size());
    request.set_consented_notice_sha256(consented_notice_sha256);
    v1::OpenSessionResponse response;
    const grpc::Status rpc = Stub()->OpenSession(&context, request, &response);
    if (!rpc.ok()) {
      return protocol::FromGrpcStatus(rpc, absl::StrCat("opening the session at ", address_));
    }
    OpenedSession out;
    out.server = address_;
    out.session_id = response.session_id();
    out.session_token = response.session_token();
    ASSIGN_OR_RETURN(out.templates, protocol::TemplatesFromProto(response));
    out.match_threshold = response.match_threshold();
    out.identity_interval_ms = response.identity_interval_ms();
    if (response.has_liveness_challenge()) {
      const v1::LivenessChallenge& c = response.liveness_challenge();
      // The actions must be the ones the nonce stands for: both ends derive them alike, and a
      // server that sends others is not one this client understands.
      auto spec = protocol::ChallengeFromNonce(c.nonce());
      if (!spec.ok()) {
        return absl::InternalError(
            absl::StrCat("the server's liveness challenge: ", spec.status().message()));
      }
      std::vector<protocol::LivenessAction> sent;
      for (int a : c.actions()) sent.push_back(static_cast<protocol::LivenessAction>(a));
      if (sent != spec->actions) {
        return absl::InternalError(
            "the server's liveness challenge does not match its nonce (a server of another "
            "version?)");
      }
      out.liveness_nonce = c.nonce();
    }
    return out;
  }

  absl::StatusOr<SessionHead> GetHead(const std::string& token, int64_t timeout_ms,
                                      CallCancel* cancel) override {
    grpc::ClientContext context;
    Authorize(context, token);
    SetDeadline(context, timeout_ms);
    if (cancel != nullptr && !cancel->Arm([&context] { context.TryCancel(); })) return Cancelled();
    v1::GetSessionHeadResponse response;
    const grpc::Status rpc =
        Stub()->GetSessionHead(&context, v1::GetSessionHeadRequest(), &response);
    if (cancel != nullptr) cancel->Disarm();
    if (!rpc.ok()) {
      return protocol::FromGrpcStatus(rpc, absl::StrCat("asking ", address_, " for the session"));
    }
    SessionHead head;
    head.last_seq = response.last_seq();
    if (response.head_hash().size() == head.head_hash.size()) {
      std::memcpy(head.head_hash.data(), response.head_hash().data(), head.head_hash.size());
    }
    head.closed = response.state() == v1::CLOSED;
    head.verdict = VerdictName(response.verdict());
    head.risk_score = response.risk_score();
    return head;
  }

  absl::StatusOr<CloseOutcome> Close(const std::string& token, int64_t ended_at_ms,
                                     int64_t timeout_ms) override {
    grpc::ClientContext context;
    Authorize(context, token);
    SetDeadline(context, timeout_ms);
    v1::CloseSessionRequest request;
    request.set_ended_at_ms(ended_at_ms);
    v1::CloseSessionResponse response;
    const grpc::Status rpc = Stub()->CloseSession(&context, request, &response);
    if (!rpc.ok()) {
      return protocol::FromGrpcStatus(rpc, absl::StrCat("closing the session at ", address_));
    }
    return CloseOutcome{VerdictName(response.verdict()), response.risk_score()};
  }

  absl::StatusOr<ServerPing> Ping(int64_t timeout_ms) override {
    grpc::ClientContext context;
    SetDeadline(context, timeout_ms);
    v1::PingResponse response;
    const int64_t sent = SystemUnixMs();
    const grpc::Status rpc = Stub()->Ping(&context, v1::PingRequest(), &response);
    const int64_t received = SystemUnixMs();
    if (!rpc.ok()) return protocol::FromGrpcStatus(rpc, absl::StrCat("asking ", address_));
    ServerPing out;
    out.server_time_unix_ms = response.server_time_unix_ms();
    out.version = response.server_version();
    out.round_trip_ms = received - sent;
    // The server's clock was read about halfway through the call.
    out.clock_offset_ms = out.server_time_unix_ms - (sent + (received - sent) / 2);
    return out;
  }

  absl::StatusOr<std::unique_ptr<BatchStream>> OpenStream(const std::string& token,
                                                          CallCancel* cancel) override {
    auto context = std::make_unique<grpc::ClientContext>();
    Authorize(*context, token);
    grpc::ClientContext* raw = context.get();
    if (!cancel->Arm([raw] { raw->TryCancel(); })) return Cancelled();
    return std::unique_ptr<BatchStream>(
        new GrpcBatchStream(address_, std::move(context), Stub(), cancel));
  }

 private:
  std::shared_ptr<v1::SessionService::Stub> NewStub() const {
    return v1::SessionService::NewStub(MakeChannel(address_, options_, credentials_));
  }
  std::shared_ptr<v1::SessionService::Stub> Stub() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stub_;
  }

  const std::string address_;
  const UplinkOptions options_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;  // the CA file read once
  mutable std::mutex mu_;
  std::shared_ptr<v1::SessionService::Stub> stub_;  // guarded by mu_; holds its channel
};

}  // namespace

ConnectionFactory GrpcConnections(const UplinkOptions& options) {
  return [options](const std::string& address) -> std::unique_ptr<ServerConnection> {
    return std::make_unique<GrpcServerConnection>(address, options);
  };
}

}  // namespace proctor::client
