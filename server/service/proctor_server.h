// proctor-server assembled: storage, encryption key, biometric inspector, ledger, group commit
// and the gRPC services on one listener.
#ifndef PROCTOR_SERVER_SERVICE_PROCTOR_SERVER_H_
#define PROCTOR_SERVER_SERVICE_PROCTOR_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor::server {

struct ServerOptions {
  // gRPC listener, host:port; port 0 picks a free one (see ProctorServer::port). Default
  // 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // HTTP listener, host:port: the review console, reports, result exports, /healthz and
  // /metrics (TLS with the same certificate when tls_cert is set). Empty disables it; port 0
  // picks a free one. Default 127.0.0.1:8080.
  std::string http = "127.0.0.1:8080";
  // "sqlite:PATH"; empty means sqlite:DATA_DIR/proctor.db. A libpq URI
  // "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]" uses PostgreSQL, which several
  // replicas may share. "memory:" keeps everything in memory (tests only; lost on exit).
  std::string db;
  // Holds admin.token (mode 0600), storage.key (mode 0600) and the default database. Default
  // "proctor-data", created if missing.
  std::string data_dir = "proctor-data";
  // Face models; empty means PROCTOR_MODELS, else the repository's models/ folder.
  std::string models_dir;
  // Where LMSs and browsers reach the console listener (LTI 1.3), without a trailing slash,
  // e.g. "https://proctor.example.edu" behind a reverse proxy. Empty: the --http address
  // (the host's name when it listens on every address).
  std::string public_url;
  // PEM bundle of the CAs trusted, instead of the system's, when fetching an LMS's JWKS.
  std::string lti_ca_file;
  // The first retry of a message an LMS did not take (down, 5xx), seconds; doubled each time up
  // to 10 minutes, for up to 7 days.
  int64_t lti_retry_seconds = 30;
  // PEM certificate chain and private key; both or neither (plaintext).
  std::string tls_cert;
  std::string tls_key;
  // Largest accepted gRPC message, bytes, 64 KiB-64 MiB; default 4 MiB.
  int max_message_bytes = 4 << 20;
  // Face analyzers for enrollment and evidence re-checks, 1-16; default 2.
  int analyzers = 2;
  // Share of the sessions the policy would auto-accept that go to the review queue anyway, for
  // quality control of the automatic decisions, percent 0-100; default 0 (none).
  double qc_sample_percent = 0;
  // Retention, days, 1-36500: evidence after a final verdict (by kind), templates after the
  // learner's latest session. A daily job inside the server deletes what is due.
  int64_t retention_days_intermediate = 180;
  int64_t retention_days_final = 180;
  int64_t template_retention_days = 365;
};

absl::Status ValidateServerOptions(const ServerOptions& options);

// Thread-safe: Shutdown may be called from any thread (and from a signal-watching thread).
class ProctorServer {
 public:
  // Opens everything and starts listening; errors say which part failed and how to fix it.
  static absl::StatusOr<std::unique_ptr<ProctorServer>> Start(const ServerOptions& options);
  ~ProctorServer();
  int port() const;
  // Blocks until Shutdown.
  void Wait();
  // Stops accepting calls, lets running calls finish (up to 5 s), commits what is queued.
  void Shutdown();

 private:
  struct Parts;
  // Starts the HTTP listener of options.http (nothing when it is empty).
  static absl::Status StartConsole(const ServerOptions& options, Parts& parts);
  explicit ProctorServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// Starts the server and serves until SIGINT or SIGTERM. Returns the process exit code.
int RunServer(const ServerOptions& options);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_PROCTOR_SERVER_H_
