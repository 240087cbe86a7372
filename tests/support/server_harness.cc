#include "tests/support/server_harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "protocol/consent.h"
#include "protocol/event_codec.h"
#include "tests/support/free_port.h"
#include "tests/support/test_data.h"

namespace proctor::testing {
namespace {

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

ServerProcess::ServerProcess() {
  char pattern[] = "/tmp/proctor_server_XXXXXX";
  data_dir_ = ::mkdtemp(pattern);
  own_data_dir_ = data_dir_;
}

void ServerProcess::ShareDataDir(const ServerProcess& owner) { data_dir_ = owner.data_dir_; }

ServerProcess::~ServerProcess() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(own_data_dir_, ec);
}

bool ServerProcess::Start(std::string* why) {
  if (port_ == 0) port_ = FreeLoopbackPort();  // a restart keeps the address clients know
  if (http_port_ == 0) http_port_ = FreeLoopbackPort();
  const std::string listen = address();
  const std::string http = http_address();
  const std::string log = data_dir_ + "/server-" + std::to_string(port_) + ".log";
  const std::string models = ModelsDir();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<std::string> args = {PROCTOR_SERVER_BINARY, "--listen", listen,  "--http",
                                     http,                  "--data-dir", data_dir_, "--models",
                                     models};
    if (!db_.empty()) args.insert(args.end(), {"--db", db_});
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(PROCTOR_SERVER_BINARY, argv.data());
    ::_exit(127);
  }
  auto channel = this->channel();
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(60);
  while (std::chrono::system_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "proctor-server exited during start:\n" + Tail(log);
      return false;
    }
    if (channel->WaitForConnected(std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(200)) &&
        std::filesystem::exists(data_dir_ + "/admin.token")) {
      return true;
    }
  }
  *why = "proctor-server did not answer within 60 s:\n" + Tail(log);
  return false;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ServerProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::http_address() const {
  return "127.0.0.1:" + std::to_string(http_port_);
}

std::string ServerProcess::admin_token() const {
  std::ifstream in(data_dir_ + "/admin.token");
  std::string token;
  in >> token;
  return token;
}

std::shared_ptr<grpc::Channel> ServerProcess::channel() const {
  grpc::ChannelArguments args;
  // Its own connections: gRPC otherwise shares subchannels between channels to one address, and
  // after a restart a new channel could report READY on the killed server's stale connection
  // (Start returned before the new process listened; the first call then failed "Socket closed").
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
}

void Authorize(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", "Bearer " + token);
}

LearnerSession::LearnerSession(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      stub_(v1::SessionService::NewStub(channel_)),
      key_(SigningKey::Generate()) {}

grpc::Status LearnerSession::Open(const std::string& pass) {
  // As the client: the notice first (the pass is not spent), then the session, naming it.
  v1::ConsentNotice notice;
  {
    grpc::ClientContext context;
    v1::GetConsentNoticeRequest request;
    request.set_pass(pass);
    const grpc::Status read = stub_->GetConsentNotice(&context, request, &notice);
    if (!read.ok()) return read;
  }
  grpc::ClientContext context;
  v1::OpenSessionRequest request;
  request.set_pass(pass);
  request.set_consented_notice_sha256(notice.sha256());
  request.set_client_public_key(std::string(key_.public_key().begin(), key_.public_key().end()));
  grpc::Status status = stub_->OpenSession(&context, request, &opened_);
  if (status.ok()) {
    session_id_ = opened_.session_id();
    token_ = opened_.session_token();
  }
  return status;
}

Event LearnerSession::Next(EventKind kind, int64_t at_ms, EventPhase phase,
                           const std::function<void(Event&)>& fill) {
  Event e;
  e.session_id = session_id_;
  e.seq = next_seq_++;
  e.kind = kind;
  e.phase = phase;
  e.at_ms = at_ms;
  e.prev_hash = head_;
  if (fill) fill(e);
  head_ = EventDigest(e);
  return e;
}

Event LearnerSession::Consent() {
  const std::string detail = protocol::ConsentDetail(
      {opened_.consent_notice().version(), opened_.consent_notice().sha256(), 1'765'000'000'000});
  return Next(EventKind::kConsentGiven, 0, EventPhase::kInstant,
              [&](Event& e) { e.detail = detail; });
}

void LearnerSession::Rewind(const std::vector<Event>& sent_before) {
  next_seq_ = sent_before.empty() ? 1 : sent_before.back().seq + 1;
  head_ = sent_before.empty() ? Hash32{} : EventDigest(sent_before.back());
}

std::string LearnerSession::Sign(const std::vector<Event>& events) const {
  const Hash32 head = EventDigest(events.back());
  const Signature sig = key_.Sign(head.data(), head.size());
  return std::string(sig.begin(), sig.end());
}

grpc::Status LearnerSession::Send(const std::vector<Event>& events, v1::BatchAck* ack) {
  return SendSigned(events, Sign(events), ack);
}

grpc::Status LearnerSession::SendSigned(const std::vector<Event>& events,
                                        const std::string& signature, v1::BatchAck* ack) {
  grpc::ClientContext context;
  Authorize(&context, token_);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.set_wait_for_ready(wait_for_ready_);
  auto stream = stub_->StreamEvents(&context);
  v1::EventBatch batch;
  for (const Event& e : events) protocol::EventToProto(e, batch.add_events());
  batch.set_head_signature(signature);
  stream->Write(batch);
  stream->WritesDone();
  v1::BatchAck received;
  while (stream->Read(&received)) *ack = received;
  return stream->Finish();
}

grpc::Status LearnerSession::Close(int64_t ended_at_ms, v1::CloseSessionResponse* response) {
  grpc::ClientContext context;
  Authorize(&context, token_);
  v1::CloseSessionRequest request;
  request.set_ended_at_ms(ended_at_ms);
  return stub_->CloseSession(&context, request, response);
}

}  // namespace proctor::testing
