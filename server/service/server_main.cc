// proctor-server: the proctoring service. Flags per DESIGN.md; see RunServer.
#include <cstdio>
#include <exception>

#include "CLI/CLI.hpp"
#include "server/service/proctor_server.h"

int main(int argc, char** argv) {
  try {
    proctor::server::ServerOptions options;
    CLI::App app{
        "proctor-server: enrolls learners, records signed proctoring events, scores "
        "sessions and records assessment results."};
    app.add_option("--listen", options.listen, "gRPC address host:port")->capture_default_str();
    app.add_option("--http", options.http,
                   "review console, /healthz and /metrics address host:port ('' disables)")
        ->capture_default_str();
    app.add_option("--db", options.db,
                   "sqlite:PATH (default sqlite:DATA_DIR/proctor.db), "
                   "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or memory:");
    app.add_option("--data-dir", options.data_dir,
                   "admin.token, storage.key and the default database")
        ->capture_default_str();
    app.add_option("--models", options.models_dir,
                   "face model directory (default: $PROCTOR_MODELS, else the repo's models/)");
    app.add_option("--public-url", options.public_url,
                   "where LMSs and browsers reach the console, e.g. https://proctor.example.edu "
                   "(LTI 1.3; default: the --http address)");
    app.add_option("--lti-ca-file", options.lti_ca_file,
                   "PEM CAs trusted for LMSs' key sets instead of the system's");
    app.add_option("--lti-retry-seconds", options.lti_retry_seconds,
                   "first retry of a verdict an LMS did not take (doubled up to 10 min, for 7 "
                   "days)")
        ->capture_default_str();
    app.add_option("--tls-cert", options.tls_cert, "PEM certificate chain (enables TLS)");
    app.add_option("--tls-key", options.tls_key, "PEM private key");
    app.add_option("--max-message-bytes", options.max_message_bytes, "largest gRPC message")
        ->capture_default_str();
    app.add_option("--qc-sample-percent", options.qc_sample_percent,
                   "share of would-be auto-accepted sessions sent to review for quality "
                   "control, percent")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    app.add_option("--retention-days-intermediate", options.retention_days_intermediate,
                   "days evidence of an INTERMEDIATE session is kept after its verdict is final")
        ->check(CLI::Range(int64_t{1}, int64_t{36500}))
        ->capture_default_str();
    app.add_option("--retention-days-final", options.retention_days_final,
                   "days evidence of a FINAL session is kept after its verdict is final")
        ->check(CLI::Range(int64_t{1}, int64_t{36500}))
        ->capture_default_str();
    app.add_option("--template-retention-days", options.template_retention_days,
                   "days a learner's face templates are kept after their latest session")
        ->check(CLI::Range(int64_t{1}, int64_t{36500}))
        ->capture_default_str();
    app.add_option("--analyzers", options.analyzers, "parallel face analyzers")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (auto s = proctor::server::ValidateServerOptions(options); !s.ok()) {
      std::fprintf(stderr, "proctor-server: %s\n", std::string(s.message()).c_str());
      return 2;
    }
    return proctor::server::RunServer(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-server: fatal: %s\n", e.what());
    return 1;
  }
}
