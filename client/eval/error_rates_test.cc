#include "client/eval/error_rates.h"

#include <gtest/gtest.h>

namespace proctor::eval {
namespace {

TEST(ErrorRatesTest, RatesCountAMatchAtTheThresholdAsTheProtocolDoes) {
  // genuine 0.3, 0.5, 0.6 (at the threshold), 0.7; impostor 0.55, 0.8, 0.9, 1.0
  const ScoreSet s({0.7, 0.3, 0.6f, 0.5}, {1.0, 0.55, 0.9, 0.8});
  const OperatingPoint p = s.At(0.6f);
  EXPECT_EQ(p.fnmr.errors, 1);  // only 0.7 is rejected; 0.6f matches at 0.6f
  EXPECT_EQ(p.fnmr.trials, 4);
  EXPECT_EQ(p.fmr.errors, 1);  // 0.55 matches
  EXPECT_EQ(p.fmr.trials, 4);
  EXPECT_DOUBLE_EQ(p.fmr.value(), 0.25);
  const OperatingPoint strict = s.At(0.5f);
  EXPECT_EQ(strict.fnmr.errors, 2);
  EXPECT_EQ(strict.fmr.errors, 0);
}

TEST(ErrorRatesTest, EqualErrorRateIsWhereTheRatesCross) {
  // Separable scores: a threshold between them makes both rates 0.
  EXPECT_DOUBLE_EQ(ScoreSet({0.2, 0.3}, {0.7, 0.8}).EqualErrorRate().rate, 0.0);
  // One genuine (0.75) above the lowest impostor (0.5), of 4 each: at 0.5 one error on each side.
  const auto eer = ScoreSet({0.2, 0.3, 0.4, 0.75}, {0.5, 0.7, 0.8, 0.9}).EqualErrorRate();
  EXPECT_DOUBLE_EQ(eer.rate, 0.25);
  EXPECT_NEAR(eer.threshold, 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(ScoreSet({}, {0.5}).EqualErrorRate().rate, 0.0);  // undefined: reported as 0
}

TEST(ErrorRatesTest, CurveRunsFromAllRejectedToAllAccepted) {
  const ScoreSet s({0.3, 0.5}, {0.4, 0.9});
  const auto curve = s.Curve();
  ASSERT_GE(curve.size(), 2u);
  EXPECT_EQ(curve.front().fmr.errors, 0);
  EXPECT_EQ(curve.front().fnmr.errors, 2);
  EXPECT_EQ(curve.back().fmr.errors, 2);
  EXPECT_EQ(curve.back().fnmr.errors, 0);
  for (size_t i = 1; i < curve.size(); ++i) {
    EXPECT_GE(curve[i].fmr.errors, curve[i - 1].fmr.errors);
    EXPECT_LE(curve[i].fnmr.errors, curve[i - 1].fnmr.errors);
  }
}

TEST(ErrorRatesTest, SweepIncludesBothEnds) {
  const auto sweep = ScoreSet({0.5}, {0.8}).Sweep(0.4, 0.7, 0.05);
  ASSERT_EQ(sweep.size(), 7u);
  EXPECT_DOUBLE_EQ(sweep.front().threshold, 0.4);
  EXPECT_NEAR(sweep.back().threshold, 0.7, 1e-12);
  EXPECT_TRUE(ScoreSet({0.5}, {0.8}).Sweep(0.4, 0.7, 0).empty());
}

TEST(ErrorRatesTest, WilsonIntervalMatchesPublishedValues) {
  // 0 errors in 10: [0, 0.2775]; 1 in 10: [0.0179, 0.4042]; 50 in 100: [0.4038, 0.5962].
  EXPECT_NEAR(WilsonInterval(0, 10).low, 0.0, 1e-4);
  EXPECT_NEAR(WilsonInterval(0, 10).high, 0.2775, 1e-4);
  EXPECT_NEAR(WilsonInterval(1, 10).low, 0.0179, 1e-4);
  EXPECT_NEAR(WilsonInterval(1, 10).high, 0.4042, 1e-4);
  EXPECT_NEAR(WilsonInterval(50, 100).low, 0.4038, 1e-4);
  EXPECT_NEAR(WilsonInterval(50, 100).high, 0.5962, 1e-4);
  EXPECT_DOUBLE_EQ(WilsonInterval(0, 0).high, 1.0);
}

}  // namespace
}  // namespace proctor::eval
