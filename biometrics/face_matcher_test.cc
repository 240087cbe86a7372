#include "biometrics/face_matcher.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace proctor::biometrics {
namespace {

Descriptor Filled(float v) {
  Descriptor d;
  d.fill(v);
  return d;
}

TEST(FaceMatcherTest, DistanceIsEuclidean) {
  Descriptor a = Filled(0);
  Descriptor b = Filled(0);
  b[0] = 0.3f;
  b[5] = 0.4f;
  EXPECT_NEAR(DescriptorDistance(a, b), 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(DescriptorDistance(a, a), 0.0);
}

TEST(FaceMatcherTest, MatchIsAtOrBelowThreshold) {
  auto matcher = FaceMatcher::Create(0.5);
  ASSERT_TRUE(matcher.ok());
  Descriptor a = Filled(0);
  Descriptor b = Filled(0);
  b[0] = 0.51f;
  EXPECT_FALSE(matcher->Compare(a, b).match);
  b[0] = 0.5f;  // at the threshold: the same person (protocol::SamePerson, as the proto says)
  EXPECT_TRUE(matcher->Compare(a, b).match);
  b[0] = 0.49f;
  const MatchDecision d = matcher->Compare(a, b);
  EXPECT_TRUE(d.match);
  EXPECT_DOUBLE_EQ(d.threshold, 0.5);
}

TEST(FaceMatcherTest, BestOfPicksTheClosestProbe) {
  auto matcher = FaceMatcher::Create();
  ASSERT_TRUE(matcher.ok());
  Descriptor ref = Filled(0);
  Descriptor far = Filled(0), near = Filled(0);
  far[0] = 0.9f;
  near[0] = 0.2f;
  const MatchDecision d = matcher->BestOf(ref, {far, near});
  EXPECT_NEAR(d.distance, 0.2, 1e-6);
  EXPECT_TRUE(d.match);
}

TEST(FaceMatcherTest, BadThresholdsAreRefused) {
  EXPECT_FALSE(FaceMatcher::Create(0).ok());
  EXPECT_FALSE(FaceMatcher::Create(-0.1).ok());
  EXPECT_FALSE(FaceMatcher::Create(2.5).ok());
  EXPECT_FALSE(FaceMatcher::Create(std::numeric_limits<double>::quiet_NaN()).ok());
}

TEST(DescriptorFromValuesTest, AcceptsValidAndRejectsWrongLengthNanAndHuge) {
  std::vector<double> ok(kDescriptorSize, 0.05);
  auto d = DescriptorFromValues(ok);
  ASSERT_TRUE(d.ok());
  EXPECT_FLOAT_EQ((*d)[127], 0.05f);

  auto short_one = DescriptorFromValues(std::vector<double>(127, 0.0));
  ASSERT_FALSE(short_one.ok());
  EXPECT_NE(short_one.status().message().find("got 127"), std::string::npos);

  std::vector<double> nan = ok;
  nan[3] = std::nan("");
  EXPECT_EQ(DescriptorFromValues(nan).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<double> inf = ok;
  inf[9] = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(DescriptorFromValues(inf).ok());
  std::vector<double> huge = ok;
  huge[0] = 1e6;
  EXPECT_FALSE(DescriptorFromValues(huge).ok());
}

}  // namespace
}  // namespace proctor::biometrics
