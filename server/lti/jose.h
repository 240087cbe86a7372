// JOSE for LTI 1.3: the tool's RSA keys as JWKs, RS256 JWTs signed and verified, a platform's
// JWKS read. Everything cryptographic is Rhonabwy's (Debian's librhonabwy, on GnuTLS/Nettle);
// only jose.cc includes it. Nothing here decides what a launch means (lti_tool.h does).
#ifndef PROCTOR_SERVER_LTI_JOSE_H_
#define PROCTOR_SERVER_LTI_JOSE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace proctor::server::lti {

struct RsaKey {
  std::string kid;          // RFC 7638 SHA-256 thumbprint, base64url
  std::string private_jwk;  // JSON, secret
  std::string public_jwk;   // JSON with kid, alg RS256, use sig
};

// A new RSA key pair of `bits` (2048 or more).
absl::StatusOr<RsaKey> GenerateRsaKey(unsigned int bits = 2048);

// A compact JWS of `claims`, RS256 with the key's kid in the header.
absl::StatusOr<std::string> SignRs256(const nlohmann::json& claims, const std::string& private_jwk,
                                      const std::string& kid);

// A token's parts before anything is trusted: which algorithm and key it names, and its claims.
// INVALID_ARGUMENT when it is not a compact JWS with JSON header and claims.
struct UnverifiedJwt {
  std::string alg;  // as the header says ("" when absent)
  std::string kid;
  nlohmann::json header;
  nlohmann::json claims;
};
absl::StatusOr<UnverifiedJwt> ReadUnverified(const std::string& token);

// OK when `token` carries a valid RS256 signature by `public_jwk` (an RSA JWK). The header's
// algorithm must be RS256: "none", HMAC and everything else are refused before any key is used,
// so a public key can never serve as an HMAC secret. UNAUTHENTICATED with the reason otherwise.
absl::Status VerifyRs256(const std::string& token, const std::string& public_jwk);

// The RSA signing keys of a JWKS document by kid, each as its JSON; keys of other types, for
// encryption, or without kid are left out. INVALID_ARGUMENT when it is not a JWKS.
absl::StatusOr<std::map<std::string, std::string>> ReadJwks(const std::string& jwks_json);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_JOSE_H_
