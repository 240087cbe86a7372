#include "client/cli/proctor_link.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace proctor::cli {
namespace {

TEST(ProctorLinkTest, TheAttemptPagesLinkGivesServerAndPass) {
  auto link = ParseProctorLink("proctor://run?server=exam.example.edu:50051&pass=pass-Ab_9-z");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->server, "exam.example.edu:50051");
  EXPECT_EQ(link->pass, "pass-Ab_9-z");
  // Percent-encoded by a browser or an LMS, several servers, IPv6, a trailing slash.
  link = ParseProctorLink("PROCTOR://run/?pass=p1&server=a.edu%3A1%2C%5B%3A%3A1%5D%3A443");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->server, "a.edu:1,[::1]:443");
  EXPECT_EQ(link->pass, "p1");
}

TEST(ProctorLinkTest, AnythingElseIsRefusedSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"https://run?server=a:1&pass=p", "does not start with proctor://"},
      {"proctor://enroll?server=a:1&pass=p", "the only action"},
      {"proctor://run", "no ?server"},
      {"proctor://run?server=a:1", "pass=... is missing"},
      {"proctor://run?pass=p", "server=HOST:PORT is missing"},
      {"proctor://run?server=a:1&pass=p&consent=yes", "unknown parameter 'consent'"},
      {"proctor://run?server=a:1&server=b:2&pass=p", "given twice"},
      {"proctor://run?server=a&pass=p", "HOST:PORT"},
      {"proctor://run?server=a:99999&pass=p", "HOST:PORT"},
      {"proctor://run?server=a b:1&pass=p", "HOST:PORT"},
      {"proctor://run?server=a:1&pass=p%0A--consent", "characters a pass never has"},
      {"proctor://run?server=a:1&pass=p%zz", "%-escape"},
      {"proctor://run?server=a:1&pass", "without a value"},
      {"proctor://run?server=a:1&pass=" + std::string(201, 'x'), "longer than 200"},
  };
  for (const auto& [link, why] : bad) {
    auto parsed = ParseProctorLink(link);
    ASSERT_FALSE(parsed.ok()) << link;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << link;
    EXPECT_TRUE(absl::StrContains(parsed.status().message(), why))
        << link << ": " << parsed.status().message();
  }
}

}  // namespace
}  // namespace proctor::cli
