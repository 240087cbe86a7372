// A fixed-bucket latency histogram, shaped for the Prometheus text format: per-bucket counts,
// the total count and the sum of observed values. Not thread-safe: the owner guards it.
#ifndef PROCTOR_SERVER_CORE_LATENCY_HISTOGRAM_H_
#define PROCTOR_SERVER_CORE_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace proctor::server {

struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // seconds, ascending; the +Inf bucket is implied
  std::vector<uint64_t> counts;      // per bucket (not cumulative), upper_bounds.size() + 1
  uint64_t count = 0;
  double sum = 0;  // seconds
};

class LatencyHistogram {
 public:
  // 0.5 ms to 10 s, roughly x2.5 per step: group commit latencies sit in the low milliseconds.
  LatencyHistogram();
  void Observe(double seconds);
  const HistogramSnapshot& snapshot() const { return data_; }

 private:
  HistogramSnapshot data_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_LATENCY_HISTOGRAM_H_
