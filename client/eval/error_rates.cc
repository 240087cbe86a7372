#include "client/eval/error_rates.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "protocol/identity_rule.h"

namespace proctor::eval {
namespace {

// Comparisons that match at `threshold`: distance <= threshold, the protocol's rule. The rule
// takes a float threshold (as on the wire); so does this count.
int64_t MatchesAt(const std::vector<double>& sorted, double threshold) {
  const auto t = static_cast<protocol::MatchThreshold>(threshold);
  // SamePerson is monotone in the distance: the matches are a prefix of the sorted scores.
  const auto end = std::partition_point(sorted.begin(), sorted.end(),
                                        [t](double d) { return protocol::SamePerson(d, t); });
  return end - sorted.begin();
}

}  // namespace

Interval WilsonInterval(int64_t errors, int64_t trials) {
  if (trials <= 0) return {0, 1};
  constexpr double z = 1.959963984540054;  // the normal quantile for 95%
  const double n = static_cast<double>(trials);
  const double p = errors / n;
  const double denominator = 1 + z * z / n;
  const double centre = (p + z * z / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

ScoreSet::ScoreSet(std::vector<double> genuine, std::vector<double> impostor)
    : genuine_(std::move(genuine)), impostor_(std::move(impostor)) {
  std::sort(genuine_.begin(), genuine_.end());
  std::sort(impostor_.begin(), impostor_.end());
}

OperatingPoint ScoreSet::At(double threshold) const {
  OperatingPoint p;
  p.threshold = threshold;
  p.fmr = {MatchesAt(impostor_, threshold), static_cast<int64_t>(impostor_.size())};
  p.fnmr = {static_cast<int64_t>(genuine_.size()) - MatchesAt(genuine_, threshold),
            static_cast<int64_t>(genuine_.size())};
  return p;
}

std::vector<OperatingPoint> ScoreSet::Sweep(double from, double to, double step) const {
  std::vector<OperatingPoint> points;
  if (!(step > 0)) return points;
  // Counted in integer steps so that 0.05 + 10 * 0.05 does not drift past `to`.
  const int64_t n = static_cast<int64_t>(std::floor((to - from) / step + 1e-9));
  for (int64_t i = 0; i <= n; ++i) points.push_back(At(from + i * step));
  return points;
}

std::vector<OperatingPoint> ScoreSet::Curve() const {
  std::vector<double> thresholds(genuine_);
  thresholds.insert(thresholds.end(), impostor_.begin(), impostor_.end());
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  std::vector<OperatingPoint> points;
  points.push_back(At(0));
  for (double t : thresholds) {
    // The smallest float threshold at which the score `t` itself matches.
    float f = static_cast<float>(t);
    if (f < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    points.push_back(At(f));
  }
  return points;
}

ScoreSet::EqualError ScoreSet::EqualErrorRate() const {
  if (genuine_.empty() || impostor_.empty()) return {};
  EqualError best{std::numeric_limits<double>::infinity(), 0};
  double best_gap = std::numeric_limits<double>::infinity();
  for (const OperatingPoint& p : Curve()) {
    const double gap = std::abs(p.fmr.value() - p.fnmr.value());
    const double rate = (p.fmr.value() + p.fnmr.value()) / 2;
    if (gap < best_gap - 1e-12 || (std::abs(gap - best_gap) <= 1e-12 && rate < best.rate)) {
      best_gap = gap;
      best = {rate, p.threshold};
    }
  }
  return best;
}

}  // namespace proctor::eval
