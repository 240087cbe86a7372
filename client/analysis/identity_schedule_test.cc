#include "client/analysis/identity_schedule.h"

#include <gtest/gtest.h>

namespace proctor::client {
namespace {

TEST(IdentityScheduleTest, DueAtTheStartEveryIntervalAndAtOnceAfterAnAnomaly) {
  IdentitySchedule s(5'000, 30'000, 2);
  EXPECT_TRUE(s.Due(0));
  ASSERT_EQ(s.Checked(0, true, true), 0);
  EXPECT_FALSE(s.Due(4'999));
  EXPECT_TRUE(s.Due(5'000));
  ASSERT_EQ(s.Checked(5'000, true, true), 0);
  s.AnomalyEnded();
  EXPECT_TRUE(s.Due(5'100));
}

TEST(IdentityScheduleTest, AMismatchIsReportedOnlyWhenSeenOnEnoughChecksInARow) {
  IdentitySchedule s(5'000, 30'000, 2);
  EXPECT_FALSE(s.Checked(0, false, true).has_value()) << "one odd frame is not someone else";
  EXPECT_TRUE(s.Due(300)) << "look again at the next frame";
  EXPECT_EQ(s.Checked(300, false, true), 2);
  EXPECT_FALSE(s.Checked(5'300, false, true).has_value());
  EXPECT_EQ(s.Checked(5'600, true, true), 0) << "a match resets the run";
  EXPECT_FALSE(s.Checked(10'600, false, true).has_value());
  // Without an enrolled template there is nothing to confirm against: reported at once.
  IdentitySchedule none(5'000, 30'000, 2);
  EXPECT_EQ(none.Checked(0, false, false), 0);
}

TEST(IdentityScheduleTest, EvidenceGoesWithMismatchesTheFirstCheckAfterAnomaliesAndPeriodically) {
  IdentitySchedule s(5'000, 30'000, 1);
  EXPECT_TRUE(s.EvidenceDue(0, true)) << "the first check";
  s.EvidenceSent(0, true);
  EXPECT_FALSE(s.EvidenceDue(5'000, true));
  EXPECT_TRUE(s.EvidenceDue(5'000, false)) << "every mismatch";
  EXPECT_TRUE(s.EvidenceDue(30'000, true));
  s.AnomalyEnded();
  EXPECT_TRUE(s.EvidenceDue(6'000, true));
  s.EvidenceSent(6'000, false);  // encoding failed: not counted as sent
  EXPECT_FALSE(s.EvidenceDue(7'000, true)) << "the anomaly's chance is used";
  EXPECT_TRUE(s.EvidenceDue(30'000, true)) << "the interval counts from the last chip sent";
}

}  // namespace
}  // namespace proctor::client
