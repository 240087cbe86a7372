#include "common/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace proctor {
namespace {

TEST(ClockTest, RealClocksAdvanceAndSteadyNeverGoesBack) {
  const int64_t unix_before = NowUnixMs();
  const int64_t steady_before = SteadyMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(SteadyMs() - steady_before, 20);
  EXPECT_GT(NowUnixMs(), unix_before);
  EXPECT_GT(unix_before, int64_t{1'600'000'000'000});  // a plausible Unix time in ms
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(5'000, 100);
  EXPECT_EQ(clock.NowUnixMs(), 5'000);
  EXPECT_EQ(clock.SteadyMs(), 100);
  clock.Advance(250);
  EXPECT_EQ(clock.NowUnixMs(), 5'250);
  EXPECT_EQ(clock.SteadyMs(), 350);
  clock.SetUnixMs(1'000);  // the wall clock jumps back; steady time does not
  EXPECT_EQ(clock.NowUnixMs(), 1'000);
  EXPECT_EQ(clock.SteadyMs(), 350);
}

}  // namespace
}  // namespace proctor
