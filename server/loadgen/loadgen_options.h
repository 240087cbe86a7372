// proctor-loadgen's options: how many sessions stream how many events to which server.
#ifndef PROCTOR_SERVER_LOADGEN_LOADGEN_OPTIONS_H_
#define PROCTOR_SERVER_LOADGEN_LOADGEN_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace proctor::loadgen {

struct LoadgenOptions {
  std::string server = "127.0.0.1:50051";  // --server, host:port of proctor-server; or
                                           // several, comma-separated: session i uses the i-th
                                           // modulo their count
  std::string token;   // --token, administrator token; empty: $PROCTOR_TOKEN, $PROCTOR_TOKEN_FILE
  std::string tls_ca;  // --tls-ca, PEM file of the CA to trust; empty: plaintext
  int sessions = 100;  // --sessions, concurrent sessions, 1-100000
  int64_t events = 1000;  // --events, events per session, 1-10^9
  int batch = 50;         // --batch, events per batch, 1-500 (the server's limit)
  double rate = 0;        // --rate, events per second per session (paced, open loop); 0: as fast as
                          // acks return (closed loop)
  double duration_s = 0;  // --duration, seconds: every session stops sending this long after the
                          // run started (its last batch still acknowledged); 0: each sends
                          // --events. With it, --events caps a session (default: no cap)
  double ramp_s = 0;      // --ramp, seconds: session i starts i/N of this after the run
                          // started (learners arriving); 0: all at once (open loop: spread
                          // over one batch interval)
  bool retry = true;      // --no-retry clears it: a broken stream ends its session instead of
                          // being reopened and resent as the client does
  int evidence_every = 0;              // --evidence-every, a JPEG on every K-th event; 0: never
  std::string assessment = "loadgen";  // --assessment, created when missing
  int channels = 4;       // --channels, gRPC connections per server the streams spread over,
                          // 1-100000 (as many as --sessions: one per learner, as in reality)
  double timeout_s = 30;  // --timeout, seconds: deadline of each setup and close call, and
                          // how long the run may go without any ack before it is cancelled
  bool json = false;      // --json: exactly one JSON document on stdout
};

// INVALID_ARGUMENT naming the first option outside its range.
absl::Status ValidateLoadgenOptions(const LoadgenOptions& options);

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_LOADGEN_OPTIONS_H_
