#include "server/http/metrics_text.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace proctor::server::http {
namespace {

TEST(MetricsTextTest, HistogramBucketsAreCumulativeAndEndInInf) {
  LatencyHistogram h;
  h.Observe(0.0004);
  h.Observe(0.003);
  h.Observe(0.003);
  h.Observe(20);
  MetricsInput in;
  in.ledger.ingest_latency = h.snapshot();
  const std::string text = RenderMetrics(in);
  EXPECT_TRUE(absl::StrContains(text, "proctor_ingest_latency_seconds_bucket{le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_ingest_latency_seconds_bucket{le=\"0.005\"} 3\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_ingest_latency_seconds_bucket{le=\"10\"} 3\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_ingest_latency_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_ingest_latency_seconds_count 4\n"));
}

TEST(MetricsTextTest, FlagsAndVerificationFailuresAreLabelled) {
  MetricsInput in;
  in.sessions_open = 3;
  in.ledger.events_stored = 1234;
  in.ledger.bad_signatures = 2;
  in.ledger.flags_by_kind[static_cast<int>(EventKind::kMultipleFaces)] = 5;
  const std::string text = RenderMetrics(in);
  EXPECT_TRUE(
      absl::StrContains(text, "# TYPE proctor_sessions_open gauge\nproctor_sessions_open 3\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_events_ingested_total 1234\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_flags_total{kind=\"MULTIPLE_FACES\"} 5\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_flags_total{kind=\"FACE_ABSENT\"} 0\n"));
  EXPECT_TRUE(
      absl::StrContains(text, "proctor_verification_failures_total{check=\"signature\"} 2\n"));
  EXPECT_TRUE(absl::EndsWith(text, "\n"));
}

TEST(MetricsTextTest, TheDatabaseMemberAndFailoversAreShownAndADownDatabaseHidesSessionGauges) {
  MetricsInput in;
  in.writer = {"postgresql", "10.0.0.2:5432", 2};
  in.sessions_open = 7;
  std::string text = RenderMetrics(in);
  EXPECT_TRUE(absl::StrContains(
      text, "proctor_database_writer_info{backend=\"postgresql\",member=\"10.0.0.2:5432\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_database_failovers_total 2\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_database_up 1\n"));
  EXPECT_TRUE(absl::StrContains(text, "proctor_sessions_open 7\n"));

  in.database_up = false;
  in.writer.member = "a\"b\\c";  // escaped as the exposition format wants
  text = RenderMetrics(in);
  EXPECT_TRUE(absl::StrContains(text, "proctor_database_up 0\n"));
  EXPECT_FALSE(absl::StrContains(text, "proctor_sessions_open 7"));
  EXPECT_TRUE(absl::StrContains(text, "member=\"a\\\"b\\\\c\"} 1\n"));
}

}  // namespace
}  // namespace proctor::server::http
