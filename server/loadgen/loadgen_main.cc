// proctor-loadgen: drives a proctor-server with N concurrent synthetic learner sessions, each
// streaming M signed, hash-chained events, and reports ingest throughput and ack latency.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "server/ctl/client_connection.h"
#include "server/loadgen/loadgen_options.h"
#include "server/loadgen/loadgen_run.h"

namespace {

using proctor::loadgen::LoadgenOptions;

void AddOptions(CLI::App& app, LoadgenOptions& o) {
  app.add_option("--server", o.server,
                 "proctor-server address, host:port; several (A,B,...: replicas on one "
                 "database) take the sessions in turn")
      ->capture_default_str();
  app.add_option("--token", o.token,
                 "Administrator token (default: $PROCTOR_TOKEN, else the file named by "
                 "$PROCTOR_TOKEN_FILE)");
  app.add_option("--tls-ca", o.tls_ca, "PEM file of the CA to trust; enables TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--sessions", o.sessions, "Concurrent sessions, 1-100000")->capture_default_str();
  app.add_option("--events", o.events, "Events per session")->capture_default_str();
  app.add_option("--rate", o.rate,
                 "Events per second per session, sent as they fall due (open loop); "
                 "0 = as fast as acks return");
  app.add_option("--duration", o.duration_s,
                 "Seconds: sessions send until this long after the start, then close; --events "
                 "then caps a session only when given");
  app.add_option("--ramp", o.ramp_s,
                 "Seconds over which the sessions start, evenly (learners arriving); 0 = at once");
  app.add_flag("--retry,!--no-retry", o.retry,
               "Reopen a broken stream and resend its unacknowledged batch after a backoff, on "
               "the next server (as the client does; default on)");
  app.add_option("--batch", o.batch, "Events per batch, 1-500; one batch in flight per session")
      ->capture_default_str();
  app.add_option("--evidence-every", o.evidence_every,
                 "Attach a small JPEG to every K-th event; 0 never")
      ->capture_default_str();
  app.add_option("--assessment", o.assessment,
                 "Assessment the sessions belong to (created if missing)")
      ->capture_default_str();
  app.add_option("--channels", o.channels,
                 "gRPC connections to each server that the streams spread over, 1-100000 (one per "
                 "session, as learners have, with --channels = --sessions / servers)")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s,
                 "Seconds: deadline of each setup/close call; the run is cancelled after this "
                 "long without any ack")
      ->capture_default_str();
  app.add_flag("--json", o.json,
               "Print one JSON document on stdout: {sent, acked, made, resent, reconnects, "
               "events_per_s, p50_ms, p99_ms, p999_ms, ..., per_minute: [...]}");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "proctor-loadgen: N concurrent learner sessions streaming M signed events each "
        "to a proctor-server; reports events/s and per-event ack latency"};
    app.footer(
        "Setup (not timed): creates the assessment, enrolls learners loadgen-<i> without photos, "
        "issues passes, opens sessions. Exit codes: 0 every event acknowledged and every session "
        "closed; 1 a server error or an unacknowledged event; 2 bad arguments; 3 server "
        "unreachable.");
    LoadgenOptions options;
    AddOptions(app, options);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::ctl::kExitOk : proctor::ctl::kExitUsage;
    }
    if (options.duration_s > 0 && app.count("--events") == 0) options.events = 1000000000;
    if (auto s = proctor::loadgen::ValidateLoadgenOptions(options); !s.ok()) {
      std::fprintf(stderr, "proctor-loadgen: %s\n", std::string(s.message()).c_str());
      return proctor::ctl::kExitUsage;
    }
    return proctor::loadgen::RunLoadgen(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-loadgen: unexpected error: %s\n", e.what());
    return proctor::ctl::kExitServerError;
  }
}
