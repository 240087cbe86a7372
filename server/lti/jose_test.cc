#include "server/lti/jose.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace proctor::server::lti {
namespace {

std::string B64Url(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string FromB64Url(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return "";
  }
  out.resize(len);
  return out;
}

// The token with one claim changed and its signature kept: still well-formed, no longer signed.
std::string Tampered(const std::string& token, const std::string& claim,
                     const nlohmann::json& value) {
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  nlohmann::json claims =
      nlohmann::json::parse(FromB64Url(token.substr(first + 1, second - first - 1)));
  claims[claim] = value;
  return token.substr(0, first + 1) + B64Url(claims.dump()) + token.substr(second);
}

// A token built by hand: what an attacker sends, whatever a library would refuse to make.
std::string HandMade(const nlohmann::json& header, const nlohmann::json& claims,
                     const std::string& signature) {
  return B64Url(header.dump()) + "." + B64Url(claims.dump()) + "." + B64Url(signature);
}

class JoseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(sodium_init(), 0);
    auto k = GenerateRsaKey();
    ASSERT_TRUE(k.ok()) << k.status();
    key_ = new RsaKey(*k);
    auto other = GenerateRsaKey();
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = new RsaKey(*other);
  }
  static void TearDownTestSuite() {
    delete key_;
    delete other_;
  }
  static RsaKey* key_;
  static RsaKey* other_;
  const nlohmann::json claims_ = {{"iss", "https://lms.example"}, {"sub", "u1"}, {"n", 3}};
};
RsaKey* JoseTest::key_ = nullptr;
RsaKey* JoseTest::other_ = nullptr;

TEST_F(JoseTest, AGeneratedKeyIsNamedByItsThumbprintAndItsPublicHalfHoldsNoSecret) {
  EXPECT_EQ(key_->kid.size(), 43u) << "base64url of a SHA-256";
  EXPECT_NE(key_->kid, other_->kid);
  const auto pub = nlohmann::json::parse(key_->public_jwk);
  EXPECT_EQ(pub["kty"], "RSA");
  EXPECT_EQ(pub["kid"], key_->kid);
  EXPECT_EQ(pub["alg"], "RS256");
  EXPECT_EQ(pub["use"], "sig");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_FALSE(pub.contains(secret)) << secret;
    EXPECT_TRUE(nlohmann::json::parse(key_->private_jwk).contains(secret)) << secret;
  }
}

TEST_F(JoseTest, ASignedTokenVerifiesWithItsKeyAndNoOther) {
  auto token = SignRs256(claims_, key_->private_jwk, key_->kid);
  ASSERT_TRUE(token.ok()) << token.status();
  auto read = ReadUnverified(*token);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->alg, "RS256");
  EXPECT_EQ(read->kid, key_->kid);
  EXPECT_EQ(read->claims, claims_);
  EXPECT_TRUE(VerifyRs256(*token, key_->public_jwk).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyRs256(*token, other_->public_jwk)));
  // A claim changed (the token still parses): the signature no longer holds.
  const std::string tampered = Tampered(*token, "sub", "u2");
  ASSERT_TRUE(ReadUnverified(tampered).ok());
  EXPECT_EQ(ReadUnverified(tampered)->claims["sub"], "u2");
  const absl::Status refused = VerifyRs256(tampered, key_->public_jwk);
  EXPECT_TRUE(absl::IsUnauthenticated(refused));
  EXPECT_TRUE(absl::StrContains(refused.message(), "signature")) << refused;
}

TEST_F(JoseTest, NoneAndHmacTokensAreRefusedBeforeAnyKeyIsUsed) {
  const std::string none = HandMade({{"alg", "none"}, {"typ", "JWT"}}, claims_, "");
  auto read = ReadUnverified(none);
  ASSERT_TRUE(read.ok()) << "an unsigned token is read, to be named when refused";
  EXPECT_EQ(read->alg, "none");
  absl::Status refused = VerifyRs256(none, key_->public_jwk);
  EXPECT_TRUE(absl::IsUnauthenticated(refused));
  EXPECT_TRUE(absl::StrContains(refused.message(), "\"none\"")) << refused;

  // HS256 keyed with the public key's own text: the classic key-confusion attack.
  const nlohmann::json header = {{"alg", "HS256"}, {"kid", key_->kid}};
  const std::string signing_input = B64Url(header.dump()) + "." + B64Url(claims_.dump());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key_->public_jwk.data()),
                              key_->public_jwk.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  const std::string hs =
      signing_input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), sizeof(mac)));
  refused = VerifyRs256(hs, key_->public_jwk);
  EXPECT_TRUE(absl::IsUnauthenticated(refused));
  EXPECT_TRUE(absl::StrContains(refused.message(), "HS256")) << refused;
}

TEST_F(JoseTest, GarbageIsNotAToken) {
  for (const std::string bad : {"", "abc", "a.b", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30"}) {
    EXPECT_FALSE(ReadUnverified(bad).ok()) << bad;
    EXPECT_TRUE(absl::IsUnauthenticated(VerifyRs256(bad, key_->public_jwk))) << bad;
  }
}

TEST_F(JoseTest, AJwksKeepsOnlyRsaSigningKeysWithAKid) {
  nlohmann::json good = nlohmann::json::parse(key_->public_jwk);
  nlohmann::json no_kid = nlohmann::json::parse(other_->public_jwk);
  no_kid.erase("kid");
  nlohmann::json for_encryption = nlohmann::json::parse(other_->public_jwk);
  for_encryption["kid"] = "enc";
  for_encryption["use"] = "enc";
  nlohmann::json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  nlohmann::json broken = {{"kty", "RSA"}, {"kid", "broken"}, {"n", "AQAB"}};
  const std::string doc =
      nlohmann::json{{"keys", {good, no_kid, for_encryption, oct, broken, "text"}}}.dump();
  auto keys = ReadJwks(doc);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->begin()->first, key_->kid);
  EXPECT_TRUE(
      VerifyRs256(*SignRs256(claims_, key_->private_jwk, key_->kid), keys->begin()->second).ok());
  for (const std::string bad : {"", "[]", "{\"keys\": 3}", "<html>"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ReadJwks(bad).status())) << bad;
  }
}

}  // namespace
}  // namespace proctor::server::lti
