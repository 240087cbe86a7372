#include "server/core/latency_histogram.h"

#include <algorithm>

namespace proctor::server {

LatencyHistogram::LatencyHistogram() {
  data_.upper_bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  data_.counts.assign(data_.upper_bounds.size() + 1, 0);
}

void LatencyHistogram::Observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // also catches NaN
  const auto it = std::lower_bound(data_.upper_bounds.begin(), data_.upper_bounds.end(), seconds);
  ++data_.counts[static_cast<size_t>(it - data_.upper_bounds.begin())];
  ++data_.count;
  data_.sum += seconds;
}

}  // namespace proctor::server
