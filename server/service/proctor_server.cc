#include "server/service/proctor_server.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <netdb.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "biometrics/model_files.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/file_io.h"
#include "server/core/biometric_inspector.h"
#include "server/core/group_committer.h"
#include "server/core/proctor_core.h"
#include "server/core/session_ledger.h"
#include "server/http/console_server.h"
#include "server/http/review_desk.h"
#include "server/lti/ags_client.h"
#include "server/lti/http_get.h"
#include "server/lti/lti_delivery.h"
#include "server/lti/lti_tool.h"
#include "server/service/admin_service.h"
#include "server/service/result_service.h"
#include "server/service/review_service.h"
#include "server/service/session_service.h"
#include "server/storage/memory_storage.h"
#include "server/storage/postgres_storage.h"
#include "server/storage/sqlite_storage.h"

namespace proctor::server {
namespace {

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(const ServerOptions& options) {
  std::string db =
      options.db.empty() ? absl::StrCat("sqlite:", options.data_dir, "/proctor.db") : options.db;
  if (db == "memory:") return std::unique_ptr<Storage>(new MemoryStorage());
  if (absl::StartsWith(db, "sqlite:")) {
    auto storage = SqliteStorage::Open(db.substr(7));
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<Storage>(std::move(*storage));
  }
  if (absl::StartsWith(db, "postgresql://") || absl::StartsWith(db, "postgres://")) {
    auto storage = PostgresStorage::Open(db);
    if (!storage.ok()) return storage.status();
    return std::unique_ptr<Storage>(std::move(*storage));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--db '", db, "' is neither sqlite:PATH nor postgresql://..."));
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  auto bytes = ReadFileBytes(path, 1 << 20);
  if (!bytes.ok()) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

// Writes the administrator token on first start; an existing token file is kept.
absl::Status EnsureAdminToken(ProctorCore& core, const std::string& data_dir) {
  const std::string path = data_dir + "/admin.token";
  if (std::filesystem::exists(path)) return absl::OkStatus();
  auto token = core.BootstrapAdminToken("administrator (admin.token)");
  if (!token.ok()) return token.status();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("creating ", path, ": ", strerror(errno)));
  const std::string line = *token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("writing ", path));
  spdlog::info("wrote the administrator token to {} (mode 0600)", path);
  return absl::OkStatus();
}

// Why the gRPC listener could not bind `listen`: gRPC's builder says only that it failed, so bind
// a socket of our own to the same address, as gRPC does (SO_REUSEADDR, no SO_REUSEPORT).
std::string ListenFailure(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon == std::string::npos ? 0 : colon);
  const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return absl::StrCat("cannot resolve it: ", gai_strerror(rc));
  int error = 0;
  for (const addrinfo* a = found; a != nullptr && error == 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0) error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (error == EADDRINUSE) return "address in use (is another proctor-server running?)";
  if (error != 0) return strerror(error);
  return "gRPC refused it (its log above says why)";
}

}  // namespace

struct ProctorServer::Parts {
  std::unique_ptr<Storage> storage;
  std::unique_ptr<SealedBox> box;
  std::unique_ptr<EvidenceInspector> inspector;
  // The ledger outlives the committer: the committer's destructor commits what is queued and
  // runs the ledger's callbacks.
  std::unique_ptr<SessionLedger> ledger;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<ProctorCore> core;
  std::unique_ptr<AdminServiceImpl> admin;
  std::unique_ptr<ReviewServiceImpl> review;
  std::unique_ptr<ResultServiceImpl> results;
  std::unique_ptr<SessionServiceImpl> sessions;
  std::unique_ptr<http::ReviewDesk> desk;
  std::unique_ptr<lti::LtiTool> lti;             // null when --http is empty
  std::unique_ptr<lti::AgsClient> ags;           // null when --http is empty
  std::unique_ptr<lti::LtiDelivery> delivery;    // null when --http is empty
  std::unique_ptr<http::ConsoleServer> console;  // null when --http is empty
  std::unique_ptr<grpc::Server> grpc_server;
  int port = 0;
  std::once_flag shutdown_once;
  // The daily retention job: 1-10 minutes after start (replicas started together do not run it
  // at the same moment), then every 24 hours, until Shutdown.
  std::thread retention_job;
  std::mutex retention_mu;
  std::condition_variable retention_cv;
  bool stopping = false;  // guarded by retention_mu

  void RetentionLoop() {
    const Principal job{Role::kAdministrator, "retention job", ""};
    std::unique_lock<std::mutex> lock(retention_mu);
    std::random_device random;
    auto next = std::chrono::steady_clock::now() + std::chrono::seconds(60 + random() % 540);
    while (!retention_cv.wait_until(lock, next, [this] { return stopping; })) {
      lock.unlock();
      if (lti) {
        if (absl::Status keys = lti->MaintainKeys(); !keys.ok()) {
          spdlog::warn("LTI signing keys: {}", keys.ToString());
        }
      }
      auto report = core->RunRetention(job, false);
      if (report.ok()) {
        // Counts only: which learners and sessions is in the audit log, not in the server log.
        spdlog::info("retention: evidence deleted from {} session(s), templates of {} learner(s)",
                     report->sessions.size(), report->learners.size());
      } else {
        spdlog::warn("retention: {}", report.status().ToString());
      }
      lock.lock();
      next = std::chrono::steady_clock::now() + std::chrono::hours(24);
    }
  }
};

// This machine's name, for URLs and addresses when a listener is on every address.
static std::string HostName() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 && name[0] ? name : "localhost";
}

// The console listens before gRPC does: once a client can reach the gRPC port, the console
// answers too.
absl::Status ProctorServer::StartConsole(const ServerOptions& options, Parts& parts) {
  if (options.http.empty()) return absl::OkStatus();
  http::ConsoleOptions console;
  console.listen = options.http;
  console.tls_cert = options.tls_cert;
  console.tls_key = options.tls_key;
  lti::LtiToolOptions lti_options;
  lti_options.public_url = std::string(absl::StripSuffix(options.public_url, "/"));
  lti::HttpGetOptions get;
  get.ca_file = options.lti_ca_file;
  parts.lti = std::make_unique<lti::LtiTool>(lti_options, parts.storage.get(), parts.box.get(),
                                             &Clock::Real(), lti::MakeHttpGet(get));
  // The tool's signing key exists before any LMS can ask for it; a database that refuses now
  // is retried by the daily job.
  if (absl::Status keys = parts.lti->MaintainKeys(); !keys.ok()) {
    spdlog::warn("LTI signing keys: {}", keys.ToString());
  }
  auto server =
      http::ConsoleServer::Start(console, parts.desk.get(), &Clock::Real(), parts.lti.get());
  if (!server.ok()) return server.status();
  parts.console = std::move(*server);
  if (lti_options.public_url.empty() && absl::StartsWith(options.db, "postgres")) {
    // Replicas behind one address: each would name itself in the URLs an LMS is given and in
    // the report links the verdicts carry.
    spdlog::warn(
        "LTI: no --public-url with a shared PostgreSQL database; give every replica the one "
        "address LMSs and browsers reach (e.g. --public-url https://proctor.example.edu)");
  }
  if (lti_options.public_url.empty()) {
    std::string host = options.http.substr(0, options.http.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = HostName();
    parts.lti->set_public_url(absl::StrCat(options.tls_cert.empty() ? "http://" : "https://",
                                           host, ":", parts.console->port()));
  }
  parts.admin->set_lti_public_url(parts.lti->public_url());
  // Verdicts back to the LMSs (AGS, Assessment Control Service), through the outbox.
  get.deadline_ms = 30'000;
  parts.ags = std::make_unique<lti::AgsClient>(parts.lti.get(), lti::MakeHttpCall(get),
                                               &Clock::Real());
  lti::LtiDeliveryOptions delivery;
  delivery.first_retry_ms = options.lti_retry_seconds * 1000;
  parts.delivery =
      std::make_unique<lti::LtiDelivery>(delivery, parts.storage.get(), parts.core.get(),
                                         parts.lti.get(), parts.ags.get(), &Clock::Real());
  parts.delivery->Start();
  spdlog::info("LTI 1.3 tool at {} (login {}, JWKS {})", parts.lti->public_url(),
               parts.lti->login_url(), parts.lti->jwks_url());
  return absl::OkStatus();
}

absl::Status ValidateServerOptions(const ServerOptions& o) {
  if (o.listen.empty()) return absl::InvalidArgumentError("--listen must be host:port");
  if (!o.http.empty() && o.http.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("--http must be host:port, or '' to disable the console");
  }
  if (o.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.max_message_bytes < (64 << 10) || o.max_message_bytes > (64 << 20)) {
    return absl::InvalidArgumentError("max message size must be within 64 KiB-64 MiB");
  }
  for (int64_t days : {o.retention_days_intermediate, o.retention_days_final,
                       o.template_retention_days}) {
    if (days < 1 || days > 36500) {
      return absl::InvalidArgumentError("retention periods must be within 1-36500 days");
    }
  }
  if (!o.public_url.empty() && !absl::StartsWith(o.public_url, "https://") &&
      !absl::StartsWith(o.public_url, "http://")) {
    return absl::InvalidArgumentError(
        "--public-url must be an http(s):// URL, e.g. https://proctor.example.edu");
  }
  if (o.lti_retry_seconds < 1 || o.lti_retry_seconds > 3600) {
    return absl::InvalidArgumentError("--lti-retry-seconds must be within 1-3600");
  }
  if (!(o.qc_sample_percent >= 0 && o.qc_sample_percent <= 100)) {
    return absl::InvalidArgumentError("--qc-sample-percent must be within 0-100");
  }
  if (o.analyzers < 1 || o.analyzers > 16) {
    return absl::InvalidArgumentError("analyzers must be within 1-16");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProctorServer>> ProctorServer::Start(const ServerOptions& options) {
  if (auto s = ValidateServerOptions(options); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("creating data dir ", options.data_dir, ": ", ec.message()));
  }
  auto parts = std::make_unique<Parts>();
  auto storage = OpenStorage(options);
  if (!storage.ok()) return storage.status();
  parts->storage = std::move(*storage);
  auto box = SealedBox::OpenKeyFile(options.data_dir + "/storage.key");
  if (!box.ok()) return box.status();
  parts->box = std::make_unique<SealedBox>(std::move(*box));
  auto inspector = BiometricInspector::Create(biometrics::ResolveModelsDir(options.models_dir),
                                              options.analyzers);
  if (!inspector.ok()) return inspector.status();
  parts->inspector = std::move(*inspector);
  parts->committer =
      std::make_unique<GroupCommitter>(parts->storage.get(), GroupCommitterOptions{});
  parts->ledger =
      std::make_unique<SessionLedger>(parts->storage.get(), parts->committer.get(),
                                      parts->box.get(), parts->inspector.get(), &Clock::Real());
  parts->ledger->set_quality_sample_percent(options.qc_sample_percent);
  parts->core =
      std::make_unique<ProctorCore>(parts->storage.get(), parts->ledger.get(), parts->box.get(),
                                    parts->inspector.get(), &Clock::Real());
  parts->core->set_retention({options.retention_days_intermediate, options.retention_days_final,
                              options.template_retention_days});
  if (auto s = EnsureAdminToken(*parts->core, options.data_dir); !s.ok()) return s;
  Parts* p = parts.get();
  parts->desk = std::make_unique<http::ReviewDesk>(http::ReviewDeskParts{
      parts->core.get(), parts->storage.get(), parts->box.get(),
      [p] { return p->ledger->stats(); }, [p] { return p->committer->stats(); }});
  parts->admin = std::make_unique<AdminServiceImpl>(parts->core.get(), parts->desk.get(),
                                                    options.data_dir);
  parts->review = std::make_unique<ReviewServiceImpl>(parts->core.get());
  parts->results = std::make_unique<ResultServiceImpl>(parts->core.get());
  parts->sessions = std::make_unique<SessionServiceImpl>(parts->core.get(), parts->ledger.get());
  if (auto s = StartConsole(options, *parts); !s.ok()) return s;

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert.empty()) {
    auto cert = ReadPem(options.tls_cert);
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(options.tls_key);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on this port would then start, and the
  // kernel would split the learners' connections (and their events) between the two databases.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen, credentials, &parts->port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(parts->admin.get());
  builder.RegisterService(parts->review.get());
  builder.RegisterService(parts->results.get());
  builder.RegisterService(parts->sessions.get());
  parts->grpc_server = builder.BuildAndStart();
  if (!parts->grpc_server || parts->port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, ": ", ListenFailure(options.listen)));
  }
  if (parts->console) {
    std::string host = options.listen.substr(0, options.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = HostName();
    parts->console->SetGrpcAddress(absl::StrCat(host, ":", parts->port));
  }
  spdlog::info("proctor-server listening on {} (gRPC{}), data in {}", options.listen,
               options.tls_cert.empty() ? ", plaintext" : ", TLS", options.data_dir);
  Parts* job = parts.get();
  job->retention_job = std::thread([job] { job->RetentionLoop(); });
  return std::unique_ptr<ProctorServer>(new ProctorServer(std::move(parts)));
}

ProctorServer::ProctorServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

ProctorServer::~ProctorServer() {
  Shutdown();
  parts_->grpc_server->Wait();
}

int ProctorServer::port() const { return parts_->port; }

void ProctorServer::Wait() { parts_->grpc_server->Wait(); }

void ProctorServer::Shutdown() {
  std::call_once(parts_->shutdown_once, [this] {
    parts_->grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (parts_->console) parts_->console->Stop();
    if (parts_->delivery) parts_->delivery->Stop();
    {
      std::lock_guard<std::mutex> lock(parts_->retention_mu);
      parts_->stopping = true;
    }
    parts_->retention_cv.notify_all();
    if (parts_->retention_job.joinable()) parts_->retention_job.join();
  });
}

namespace {

// SIGINT/SIGTERM reach the watcher thread through this pipe. A handler, not sigwait on blocked
// signals: threads that libraries start before main (OpenBLAS's pool, under dlib) do not block
// them, and a signal sent to the process may go to any thread, whose default action kills it.
int stop_pipe[2] = {-1, -1};

void OnStopSignal(int signal) {
  const auto byte = static_cast<unsigned char>(signal);
  [[maybe_unused]] const ssize_t n = ::write(stop_pipe[1], &byte, 1);  // async-signal-safe
}

bool InstallStopHandlers() {
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return false;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

}  // namespace

int RunServer(const ServerOptions& options) {
  if (!InstallStopHandlers()) {
    spdlog::error("proctor-server: cannot install the SIGINT/SIGTERM handlers: {}",
                  std::strerror(errno));
    return 1;
  }
  auto server = ProctorServer::Start(options);
  if (!server.ok()) {
    spdlog::error("proctor-server: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("serving on port {}; Ctrl-C or SIGTERM stops", (*server)->port());
  std::thread watcher([&] {
    unsigned char signal = 0;
    ssize_t n;
    do {
      n = ::read(stop_pipe[0], &signal, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || signal == 0) return;  // the server stopped by itself
    spdlog::info("signal {}: shutting down", static_cast<int>(signal));
    (*server)->Shutdown();
  });
  (*server)->Wait();
  OnStopSignal(0);  // wakes the watcher if no signal did
  watcher.join();
  server->reset();
  spdlog::info("proctor-server stopped");
  return 0;
}

}  // namespace proctor::server
