// proctor-loadgen's run: prepare N sessions (untimed), stream M events through each of them
// concurrently (timed), close them (untimed), and report throughput and ack latency.
#ifndef PROCTOR_SERVER_LOADGEN_LOADGEN_RUN_H_
#define PROCTOR_SERVER_LOADGEN_LOADGEN_RUN_H_

#include "server/loadgen/loadgen_options.h"

namespace proctor::loadgen {

// Returns the process exit code: 0 when every event was acknowledged and every session closed;
// 1 on a server error or an unacknowledged event; 2 for bad local input (no token, CA file);
// 3 when the server cannot be reached. `options` must pass ValidateLoadgenOptions.
int RunLoadgen(const LoadgenOptions& options);

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_LOADGEN_RUN_H_
