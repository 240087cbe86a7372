#include "server/http/html.h"

#include "gtest/gtest.h"

namespace proctor::server::http {
namespace {

TEST(HtmlTest, EscapesEveryCharacterThatCanOpenMarkupOrCloseAnAttribute) {
  EXPECT_EQ(Html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(Html("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
  EXPECT_EQ(Html("plain"), "plain");
}

TEST(HtmlTest, CsvFieldQuotesSeparatorsAndDefusesFormulas) {
  EXPECT_EQ(CsvField("Ada"), "Ada");
  EXPECT_EQ(CsvField("Lovelace, Ada"), "\"Lovelace, Ada\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("@cmd"), "'@cmd");
}

TEST(HtmlTest, Base64MatchesRfc4648Vectors) {
  auto b = [](const std::string& s) { return Base64(std::vector<uint8_t>(s.begin(), s.end())); };
  EXPECT_EQ(b(""), "");
  EXPECT_EQ(b("f"), "Zg==");
  EXPECT_EQ(b("fo"), "Zm8=");
  EXPECT_EQ(b("foo"), "Zm9v");
  EXPECT_EQ(b("foobar"), "Zm9vYmFy");
}

TEST(HtmlTest, TimesReadAsPeopleWriteThem) {
  EXPECT_EQ(MediaTime(65'300), "1:05.3");
  EXPECT_EQ(MediaTime(3'725'000), "1:02:05");
  EXPECT_EQ(Duration(10'000), "10.0 s");
  EXPECT_EQ(Duration(125'000), "2 min 5 s");
  EXPECT_EQ(UtcTime(0), "-");
  EXPECT_EQ(UtcTime(1'700'000'000'000), "2023-11-14 22:13:20 UTC");
}

TEST(HtmlTest, SecretsEqualComparesWholeValues) {
  EXPECT_TRUE(SecretsEqual("abc", "abc"));
  EXPECT_FALSE(SecretsEqual("abc", "abd"));
  EXPECT_FALSE(SecretsEqual("abc", "ab"));
  EXPECT_FALSE(SecretsEqual("", "a"));
}

}  // namespace
}  // namespace proctor::server::http
