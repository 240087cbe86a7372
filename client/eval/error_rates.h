// Verification error rates from genuine and impostor distance scores, as ISO/IEC 19795-1 defines
// them: a comparison is a match when protocol::SamePerson(distance, threshold) holds.
//   FMR  = impostor comparisons that match / impostor comparisons
//   FNMR = genuine comparisons that do not match / genuine comparisons
// Every rate carries its counts and a 95% Wilson score interval, because the samples these
// figures come from are small and a bare percentage would claim more than they show.
// Pure functions, thread-safe.
#ifndef PROCTOR_CLIENT_EVAL_ERROR_RATES_H_
#define PROCTOR_CLIENT_EVAL_ERROR_RATES_H_

#include <cstdint>
#include <vector>

namespace proctor::eval {

struct Interval {
  double low = 0;
  double high = 0;
};

// The 95% Wilson score interval of `errors` out of `trials` (0-1; [0, 1] when trials is 0).
Interval WilsonInterval(int64_t errors, int64_t trials);

struct Rate {
  int64_t errors = 0;
  int64_t trials = 0;
  double value() const { return trials == 0 ? 0 : static_cast<double>(errors) / trials; }
  Interval interval() const { return WilsonInterval(errors, trials); }
};

struct OperatingPoint {
  double threshold = 0;
  Rate fmr;   // false matches among impostor comparisons
  Rate fnmr;  // false non-matches among genuine comparisons
};

// Scores sorted once, then any threshold in O(log n).
class ScoreSet {
 public:
  ScoreSet(std::vector<double> genuine, std::vector<double> impostor);

  OperatingPoint At(double threshold) const;
  // Thresholds from `from` to `to` inclusive in steps of `step` (> 0).
  std::vector<OperatingPoint> Sweep(double from, double to, double step) const;
  // Every threshold at which a rate changes (each distinct score), in increasing order: the
  // whole DET curve.
  std::vector<OperatingPoint> Curve() const;

  struct EqualError {
    double rate = 0;       // (FMR + FNMR) / 2 where the two are closest
    double threshold = 0;  // that threshold
  };
  // Where FMR and FNMR cross; nullopt-like {0, 0} when either set is empty.
  EqualError EqualErrorRate() const;

  const std::vector<double>& genuine() const { return genuine_; }
  const std::vector<double>& impostor() const { return impostor_; }

 private:
  std::vector<double> genuine_;   // sorted
  std::vector<double> impostor_;  // sorted
};

}  // namespace proctor::eval

#endif  // PROCTOR_CLIENT_EVAL_ERROR_RATES_H_
