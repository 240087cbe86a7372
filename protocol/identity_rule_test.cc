#include "protocol/identity_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "protocol/testing/identity_fixtures.h"

namespace proctor::protocol {
namespace {

using testing::BorderlineProbe;
using testing::HonestProbe;
using testing::Hypot;
using testing::ImpostorProbe;
using testing::ThreeTemplatesWeakFirst;

TEST(IdentityRuleTest, DistanceIsEuclideanAndSymmetric) {
  const auto a = testing::Offset(7, 0.3f);
  const auto b = testing::Offset(9, 0.4f);
  EXPECT_NEAR(DescriptorDistance(a, b), 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(DescriptorDistance(a, b), DescriptorDistance(b, a));
  EXPECT_DOUBLE_EQ(DescriptorDistance(a, a), 0.0);
}

TEST(IdentityRuleTest, DescriptorsOfDifferentLengthAreNotComparable) {
  const std::vector<float> short_one(64, 0.1f);
  EXPECT_EQ(DescriptorDistance(short_one, testing::LearnerBase()),
            std::numeric_limits<double>::infinity());
}

TEST(IdentityRuleTest, IdentityDistanceIsTheNearestOfEveryTemplate) {
  const auto templates = ThreeTemplatesWeakFirst();
  auto honest = IdentityDistance(HonestProbe(), templates);
  ASSERT_TRUE(honest.has_value());
  EXPECT_NEAR(*honest, Hypot(0.2, 0.1), 1e-6);
  auto borderline = IdentityDistance(BorderlineProbe(), templates);
  ASSERT_TRUE(borderline.has_value());
  EXPECT_NEAR(*borderline, Hypot(0.2, 0.45), 1e-6);
  // The first template alone would call the learner someone else.
  EXPECT_FALSE(
      SamePerson(DescriptorDistance(BorderlineProbe(), templates[0]), kDefaultMatchThreshold));
  EXPECT_TRUE(SamePerson(*borderline, kDefaultMatchThreshold));
  EXPECT_FALSE(SamePerson(*IdentityDistance(ImpostorProbe(), templates), kDefaultMatchThreshold));
}

TEST(IdentityRuleTest, TemplateOrderDoesNotMatter) {
  auto templates = ThreeTemplatesWeakFirst();
  const double forward = *IdentityDistance(BorderlineProbe(), templates);
  std::reverse(templates.begin(), templates.end());
  EXPECT_DOUBLE_EQ(*IdentityDistance(BorderlineProbe(), templates), forward);
}

TEST(IdentityRuleTest, NoTemplateMeansNoDistance) {
  EXPECT_FALSE(IdentityDistance(HonestProbe(), {}).has_value());
}

TEST(IdentityRuleTest, AtTheThresholdIsTheSamePerson) {
  const MatchThreshold t = 0.55f;
  EXPECT_TRUE(SamePerson(static_cast<double>(t), t));
  EXPECT_FALSE(SamePerson(std::nextafter(static_cast<double>(t), 2.0), t));
  // A client's distance travels as a float: rounding it never crosses the threshold.
  const double just_below = std::nextafter(static_cast<double>(t), 0.0);
  EXPECT_EQ(SamePerson(just_below, t), SamePerson(static_cast<float>(just_below), t));
}

TEST(IdentityRuleTest, DistancesAgreeWithinTolerance) {
  EXPECT_TRUE(DistancesAgree(0.40, 0.41));
  EXPECT_TRUE(DistancesAgree(0.41, 0.40));
  EXPECT_FALSE(DistancesAgree(0.40, 0.43));
  EXPECT_FALSE(DistancesAgree(0.43, 0.40, 0.02));
  EXPECT_TRUE(DistancesAgree(0.43, 0.40, 0.05));
}

TEST(IdentityRuleTest, ThresholdMustBeInRange) {
  EXPECT_TRUE(ValidateMatchThreshold(0.6).ok());
  EXPECT_TRUE(ValidateMatchThreshold(2.0).ok());
  EXPECT_EQ(ValidateMatchThreshold(0.0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateMatchThreshold(2.5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateMatchThreshold(std::nan("")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ValidateMatchThreshold(-1, "--threshold").message().find("--threshold"),
            std::string::npos);
}

TEST(IdentityRuleTest, MalformedTemplatesAreRefusedNamingTheTemplate) {
  auto templates = ThreeTemplatesWeakFirst();
  EXPECT_TRUE(ValidateTemplates(templates, "server").ok());
  templates[1].pop_back();
  auto s = ValidateTemplates(templates, "server");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("template 2"), std::string::npos) << s;
  templates = ThreeTemplatesWeakFirst();
  templates[2][5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(ValidateTemplates(templates, "server").message().find("template 3"), std::string::npos);
}

TEST(IdentityRuleTest, ShortDoubleShowsTheFloatsShortestDecimal) {
  EXPECT_EQ(ShortDouble(0.55f), 0.55);
  EXPECT_EQ(ShortDouble(kDefaultMatchThreshold), 0.6);
  EXPECT_NE(static_cast<double>(0.55f), 0.55);
}

}  // namespace
}  // namespace proctor::protocol
