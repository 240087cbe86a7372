#include "tests/support/server_replicas.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "protocol/event_codec.h"
#include "tests/support/free_port.h"
#include "tests/support/test_data.h"

namespace proctor::testing {

namespace fs = std::filesystem;

ServerReplica::ServerReplica(std::string name, std::string data_dir, std::string db)
    : name_(std::move(name)), data_dir_(std::move(data_dir)), db_(std::move(db)) {}

ServerReplica::~ServerReplica() { Kill(); }

bool ServerReplica::Start(std::string* why) {
  if (port_ == 0) port_ = FreeLoopbackPort();
  if (http_port_ == 0) http_port_ = FreeLoopbackPort();
  const std::string listen = address();
  const std::string http = "127.0.0.1:" + std::to_string(http_port_);
  const std::string log = log_path();
  const std::string models = ModelsDir();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(PROCTOR_SERVER_BINARY, PROCTOR_SERVER_BINARY, "--listen", listen.c_str(), "--http",
            http.c_str(), "--data-dir", data_dir_.c_str(), "--db", db_.c_str(), "--models",
            models.c_str(), nullptr);
    ::_exit(127);
  }
  auto channel = grpc::CreateChannel(listen, grpc::InsecureChannelCredentials());
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(60);
  while (std::chrono::system_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log);
      std::string line, tail;
      while (std::getline(in, line)) tail = line;  // the last line says why
      *why = name_ + " exited during start: " + tail + " (" + log + ")";
      return false;
    }
    if (channel->WaitForConnected(std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(200)) &&
        fs::exists(data_dir_ + "/admin.token")) {
      return true;
    }
  }
  *why = name_ + " did not answer within 60 s; see " + log;
  return false;
}

void ServerReplica::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string ReadAdminToken(const std::string& data_dir) {
  std::ifstream in(data_dir + "/admin.token");
  std::string token;
  in >> token;
  return token;
}

grpc::Status SendBatchVia(v1::SessionService::Stub& stub, const LearnerSession& session,
                          const std::vector<Event>& events, v1::BatchAck* ack) {
  grpc::ClientContext context;
  Authorize(&context, session.token());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub.StreamEvents(&context);
  v1::EventBatch batch;
  for (const Event& e : events) protocol::EventToProto(e, batch.add_events());
  batch.set_head_signature(session.Sign(events));
  stream->Write(batch);
  stream->WritesDone();
  v1::BatchAck received;
  bool got = false;
  while (stream->Read(&received)) *ack = received, got = true;
  grpc::Status status = stream->Finish();
  if (status.ok() && !got) return grpc::Status(grpc::StatusCode::INTERNAL, "no ack");
  return status;
}

std::vector<std::unique_ptr<LearnerSession>> OpenLearnerSessions(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_token,
    const std::string& assessment_id, int n, std::string* why) {
  auto admin = v1::AdminService::NewStub(channel);
  const auto fail = [&](const std::string& what, const grpc::Status& status) {
    *why = what + ": " + status.error_message();
    return std::vector<std::unique_ptr<LearnerSession>>();
  };
  {
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::CreateAssessmentRequest request;
    request.set_assessment_id(assessment_id);
    request.set_course("Algebra 101");
    request.set_title("Final exam");
    request.set_kind(v1::INTERMEDIATE);
    v1::CreateAssessmentResponse response;
    const grpc::Status status = admin->CreateAssessment(&context, request, &response);
    if (!status.ok()) return fail("creating the assessment", status);
  }
  std::vector<std::unique_ptr<LearnerSession>> sessions;
  for (int i = 0; i < n; ++i) {
    const std::string learner = "learner-" + std::to_string(i);
    {
      grpc::ClientContext context;
      Authorize(&context, admin_token);
      v1::EnrollLearnerRequest request;
      request.set_learner_id(learner);
      request.set_name("Learner " + learner);
      v1::EnrollLearnerResponse response;
      const grpc::Status status = admin->EnrollLearner(&context, request, &response);
      if (!status.ok()) return fail("enrolling " + learner, status);
    }
    grpc::ClientContext context;
    Authorize(&context, admin_token);
    v1::IssuePassRequest request;
    request.set_learner_id(learner);
    request.set_assessment_id(assessment_id);
    v1::IssuePassResponse pass;
    const grpc::Status issued = admin->IssuePass(&context, request, &pass);
    if (!issued.ok()) return fail("issuing a pass to " + learner, issued);
    sessions.push_back(std::make_unique<LearnerSession>(channel));
    const grpc::Status opened = sessions.back()->Open(pass.pass());
    if (!opened.ok()) return fail("opening the session of " + learner, opened);
  }
  return sessions;
}

std::map<std::string, StoredCounts> StoredPerSession(const std::string& uri) {
  pqxx::connection c(uri);
  pqxx::nontransaction t(c);
  std::map<std::string, StoredCounts> out;
  for (const pqxx::row& row :
       t.exec("SELECT s.id, count(e.seq), count(DISTINCT e.seq), coalesce(max(e.seq), 0) "
              "FROM sessions s LEFT JOIN events e ON e.session_sid = s.sid GROUP BY s.id")) {
    out[row[0].as<std::string>()] = {row[1].as<int64_t>(), row[2].as<int64_t>(),
                                     row[3].as<int64_t>()};
  }
  return out;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "_XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  if (!path_.empty()) fs::remove_all(path_, ignored);
}

LearnerLoad::LearnerLoad(std::vector<LearnerSession*> sessions,
                         std::vector<v1::SessionService::Stub*> stubs, LearnerLoadOptions options)
    : sessions_(std::move(sessions)),
      stubs_(std::move(stubs)),
      options_(options),
      made_(sessions_.size()),
      acked_(new std::atomic<uint64_t>[sessions_.size()]),
      on_stub_(new std::atomic<int>[sessions_.size()]) {
  for (size_t i = 0; i < sessions_.size(); ++i) {
    acked_[i] = 0;
    on_stub_[i] = static_cast<int>(i % stubs_.size());
  }
}

LearnerLoad::~LearnerLoad() {
  abort_ = true;
  Finish(0);
}

void LearnerLoad::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_ack_ = Clock::now();
  }
  for (size_t i = 0; i < sessions_.size(); ++i) {
    threads_.emplace_back([this, i] { Run(static_cast<int>(i)); });
  }
}

void LearnerLoad::Finish(uint64_t min_events) {
  min_events_ = min_events;
  finishing_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void LearnerLoad::NoteAck() {
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = Clock::now();
  longest_gap_s_ = std::max(longest_gap_s_, std::chrono::duration<double>(now - last_ack_).count());
  last_ack_ = now;
}

void LearnerLoad::Run(int i) {
  int stub = on_stub_[i];
  std::vector<Event>& mine = made_[i];
  LearnerSession& session = *sessions_[i];
  const auto deadline = Clock::now() + options_.deadline;
  auto backoff = std::chrono::milliseconds(50);
  for (;;) {
    if (abort_) return;
    if (Clock::now() > deadline) {
      gave_up_ = true;
      return;
    }
    const uint64_t from = acked_[i];
    if (from == mine.size()) {  // everything made so far is acknowledged
      if (finishing_ && from >= min_events_) return;
      for (uint64_t k = 0; k < options_.batch; ++k) {
        mine.push_back(session.Next(EventKind::kHeartbeat, static_cast<int64_t>(mine.size()) * 200));
      }
    }
    std::vector<Event> batch(mine.begin() + from,
                             mine.begin() + std::min<uint64_t>(mine.size(), from + options_.batch));
    sent_ += batch.size();
    v1::BatchAck ack;
    const grpc::Status status = SendBatchVia(*stubs_[stub], session, batch, &ack);
    if (status.ok()) {
      acked_[i] = std::max<uint64_t>(acked_[i], ack.acked_seq());
      NoteAck();
      backoff = std::chrono::milliseconds(50);
      std::this_thread::sleep_for(options_.pace);
      continue;
    }
    ++failed_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string key =
          std::to_string(status.error_code()) + " " + status.error_message().substr(0, 160);
      if (failures_.size() < 10 || failures_.count(key) > 0) ++failures_[key];
    }
    if (options_.move_on_failure) {
      stub = (stub + 1) % static_cast<int>(stubs_.size());
      on_stub_[i] = stub;
      std::this_thread::sleep_for(options_.pace);
    } else {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }
}

uint64_t LearnerLoad::TotalAcked() const {
  uint64_t sum = 0;
  for (size_t i = 0; i < sessions_.size(); ++i) sum += acked_[i];
  return sum;
}

std::vector<uint64_t> LearnerLoad::AckedPerLearner() const {
  std::vector<uint64_t> out(sessions_.size());
  for (size_t i = 0; i < sessions_.size(); ++i) out[i] = acked_[i];
  return out;
}

bool LearnerLoad::WaitForProgress(uint64_t events, std::chrono::seconds timeout) const {
  const uint64_t target = TotalAcked() + events;
  const auto give_up = Clock::now() + timeout;
  while (TotalAcked() < target && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return TotalAcked() >= target;
}

double LearnerLoad::LongestAckGapSeconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return longest_gap_s_;
}

int LearnerLoad::LearnersOn(int stub) const {
  int n = 0;
  for (size_t i = 0; i < sessions_.size(); ++i) n += on_stub_[i] == stub ? 1 : 0;
  return n;
}

std::map<std::string, int> LearnerLoad::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

}  // namespace proctor::testing
