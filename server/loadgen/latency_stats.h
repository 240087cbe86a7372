// Percentiles of ack latency per event: each batch's send→ack time counts once for every event
// the batch carried.
#ifndef PROCTOR_SERVER_LOADGEN_LATENCY_STATS_H_
#define PROCTOR_SERVER_LOADGEN_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

namespace proctor::loadgen {

struct BatchLatency {
  double ms = 0;        // send → ack, milliseconds of steady_clock
  uint32_t events = 0;  // events in the batch
  double at_s = 0;      // when the ack arrived, seconds since the run started
};

struct LatencySummary {
  int64_t events = 0;  // events the percentiles cover
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// The summary of the batches acknowledged in one minute of the run (minute 0: [0 s, 60 s)).
struct MinuteLatency {
  int minute = 0;
  LatencySummary latency;
};

// Weighted by events; all zeros when `samples` is empty. Sorts `samples`.
LatencySummary Summarize(std::vector<BatchLatency>& samples);
// One entry per minute from the first to the last that has an ack (a minute without any ack
// appears with zero events: a stall shows). Reorders `samples`.
std::vector<MinuteLatency> SummarizePerMinute(std::vector<BatchLatency>& samples);

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_LATENCY_STATS_H_
