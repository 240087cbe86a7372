#include "common/internal_status.h"

#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace proctor {
namespace {

absl::Status FailsMarked() {
  return MarkInternal(absl::UnavailableError("sqlite: disk I/O error"));
}

absl::StatusOr<int> PassesItOn() {
  absl::Status status = FailsMarked();
  if (!status.ok()) return status;
  return 1;
}

TEST(InternalStatusTest, MarkKeepsCodeAndMessage) {
  const absl::Status marked = MarkInternal(absl::UnavailableError("database is locked"));
  EXPECT_TRUE(IsMarkedInternal(marked));
  EXPECT_EQ(marked.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(marked.message(), "database is locked");
}

TEST(InternalStatusTest, UnmarkedStatusesAreNotInternalWhateverTheirWords) {
  EXPECT_FALSE(IsMarkedInternal(absl::UnavailableError("the database is busy; resend")));
  EXPECT_FALSE(IsMarkedInternal(absl::InternalError("sqlite")));
  EXPECT_FALSE(IsMarkedInternal(absl::OkStatus()));
}

TEST(InternalStatusTest, OkStaysOkAndUnmarked) {
  const absl::Status ok = MarkInternal(absl::OkStatus());
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(IsMarkedInternal(ok));
}

TEST(InternalStatusTest, TheMarkTravelsWithCopiesAndStatusOr) {
  const absl::StatusOr<int> result = PassesItOn();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(IsMarkedInternal(result.status()));
  const absl::Status copy = result.status();
  EXPECT_TRUE(IsMarkedInternal(copy));
}

TEST(InternalStatusTest, ARebuiltStatusLosesTheMarkUnlessCarriedOver) {
  const absl::Status original = FailsMarked();
  absl::Status rebuilt = absl::Status(original.code(), "storing a batch: disk I/O error");
  EXPECT_FALSE(IsMarkedInternal(rebuilt)) << "a rebuilt status loses its payloads";
  if (IsMarkedInternal(original)) rebuilt = MarkInternal(std::move(rebuilt));
  EXPECT_TRUE(IsMarkedInternal(rebuilt));
}

}  // namespace
}  // namespace proctor
