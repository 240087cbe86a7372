#include "server/loadgen/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace proctor::loadgen {
namespace {

// The latency below which `fraction` of the events lie (nearest rank). `samples` sorted by ms.
double Percentile(const std::vector<BatchLatency>& samples, int64_t total, double fraction) {
  const auto rank = static_cast<int64_t>(std::ceil(fraction * static_cast<double>(total)));
  int64_t seen = 0;
  for (const BatchLatency& s : samples) {
    seen += s.events;
    if (seen >= rank) return s.ms;
  }
  return samples.back().ms;
}

}  // namespace

LatencySummary Summarize(std::vector<BatchLatency>& samples) {
  LatencySummary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end(),
            [](const BatchLatency& a, const BatchLatency& b) { return a.ms < b.ms; });
  for (const BatchLatency& s : samples) summary.events += s.events;
  summary.p50_ms = Percentile(samples, summary.events, 0.50);
  summary.p90_ms = Percentile(samples, summary.events, 0.90);
  summary.p99_ms = Percentile(samples, summary.events, 0.99);
  summary.max_ms = samples.back().ms;
  return summary;
}

}  // namespace proctor::loadgen
