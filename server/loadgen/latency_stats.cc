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
  summary.p999_ms = Percentile(samples, summary.events, 0.999);
  summary.max_ms = samples.back().ms;
  return summary;
}

std::vector<MinuteLatency> SummarizePerMinute(std::vector<BatchLatency>& samples) {
  std::vector<MinuteLatency> minutes;
  if (samples.empty()) return minutes;
  const auto minute_of = [](const BatchLatency& s) { return static_cast<int>(s.at_s / 60); };
  std::sort(samples.begin(), samples.end(),
            [&](const BatchLatency& a, const BatchLatency& b) { return a.at_s < b.at_s; });
  auto begin = samples.begin();
  for (int minute = minute_of(samples.front()); begin != samples.end(); ++minute) {
    auto end = std::find_if(begin, samples.end(),
                            [&](const BatchLatency& s) { return minute_of(s) > minute; });
    std::vector<BatchLatency> slice(begin, end);
    minutes.push_back({minute, Summarize(slice)});
    begin = end;
  }
  return minutes;
}

}  // namespace proctor::loadgen
