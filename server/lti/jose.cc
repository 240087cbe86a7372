#include "server/lti/jose.h"

#include <rhonabwy.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "server/lti/wire_text.h"

namespace proctor::server::lti {
namespace {

// Rhonabwy's objects, freed on every path.
struct JwkDeleter {
  void operator()(jwk_t* k) const { r_jwk_free(k); }
};
struct JwtDeleter {
  void operator()(jwt_t* t) const { r_jwt_free(t); }
};
struct RFree {
  void operator()(char* p) const { r_free(p); }
};
using Jwk = std::unique_ptr<jwk_t, JwkDeleter>;
using Jwt = std::unique_ptr<jwt_t, JwtDeleter>;
using RString = std::unique_ptr<char, RFree>;

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { r_global_init(); });
}

Jwk NewJwk() {
  InitOnce();
  jwk_t* k = nullptr;
  if (r_jwk_init(&k) != RHN_OK) return nullptr;
  return Jwk(k);
}

Jwt NewJwt() {
  InitOnce();
  jwt_t* t = nullptr;
  if (r_jwt_init(&t) != RHN_OK) return nullptr;
  return Jwt(t);
}

absl::StatusOr<Jwk> ImportJwk(const std::string& json) {
  Jwk k = NewJwk();
  if (!k) return absl::InternalError("JOSE: out of memory");
  if (r_jwk_import_from_json_str(k.get(), json.c_str()) != RHN_OK) {
    return absl::InvalidArgumentError("not a usable JWK");
  }
  return k;
}

std::string Take(char* p) {
  RString owned(p);
  return owned ? std::string(owned.get()) : std::string();
}

}  // namespace

absl::StatusOr<RsaKey> GenerateRsaKey(unsigned int bits) {
  if (bits < 2048) return absl::InvalidArgumentError("RSA keys have at least 2048 bits");
  Jwk priv = NewJwk();
  Jwk pub = NewJwk();
  if (!priv || !pub) return absl::InternalError("JOSE: out of memory");
  if (r_jwk_generate_key_pair(priv.get(), pub.get(), R_KEY_TYPE_RSA, bits, nullptr) != RHN_OK) {
    return absl::InternalError("JOSE: cannot generate an RSA key pair");
  }
  RsaKey key;
  key.kid = Take(r_jwk_thumbprint(pub.get(), R_JWK_THUMB_SHA256, R_FLAG_IGNORE_REMOTE));
  if (key.kid.empty()) return absl::InternalError("JOSE: cannot compute the key's thumbprint");
  for (jwk_t* k : {priv.get(), pub.get()}) {
    if (r_jwk_set_property_str(k, "kid", key.kid.c_str()) != RHN_OK ||
        r_jwk_set_property_str(k, "alg", "RS256") != RHN_OK ||
        r_jwk_set_property_str(k, "use", "sig") != RHN_OK) {
      return absl::InternalError("JOSE: cannot label the key");
    }
  }
  key.private_jwk = Take(r_jwk_export_to_json_str(priv.get(), 0));
  key.public_jwk = Take(r_jwk_export_to_json_str(pub.get(), 0));
  if (key.private_jwk.empty() || key.public_jwk.empty()) {
    return absl::InternalError("JOSE: cannot export the key");
  }
  return key;
}

absl::StatusOr<std::string> SignRs256(const nlohmann::json& claims, const std::string& private_jwk,
                                      const std::string& kid) {
  auto key = ImportJwk(private_jwk);
  if (!key.ok()) return absl::InternalError("JOSE: the tool's signing key is not a usable JWK");
  Jwt jwt = NewJwt();
  if (!jwt) return absl::InternalError("JOSE: out of memory");
  if (r_jwt_set_full_claims_json_str(jwt.get(), claims.dump().c_str()) != RHN_OK ||
      r_jwt_set_sign_alg(jwt.get(), R_JWA_ALG_RS256) != RHN_OK ||
      r_jwt_set_header_str_value(jwt.get(), "kid", kid.c_str()) != RHN_OK ||
      r_jwt_set_header_str_value(jwt.get(), "typ", "JWT") != RHN_OK) {
    return absl::InternalError("JOSE: cannot build the token");
  }
  std::string token = Take(r_jwt_serialize_signed(jwt.get(), key->get(), 0));
  if (token.empty()) return absl::InternalError("JOSE: cannot sign the token");
  return token;
}

absl::StatusOr<UnverifiedJwt> ReadUnverified(const std::string& token) {
  Jwt jwt = NewJwt();
  if (!jwt) return absl::InternalError("JOSE: out of memory");
  // R_PARSE_UNSIGNED lets an "alg: none" token be read (to name it when refusing it); no key a
  // header carries (jwk, jku, x5c, x5u) is imported or fetched.
  if (r_jwt_advanced_parse(jwt.get(), token.c_str(), R_PARSE_UNSIGNED, R_FLAG_IGNORE_REMOTE) !=
      RHN_OK) {
    return absl::InvalidArgumentError("the id_token is not a signed JWT (JWS compact form)");
  }
  UnverifiedJwt out;
  const std::string header = Take(r_jwt_get_full_header_str(jwt.get()));
  const std::string claims = Take(r_jwt_get_full_claims_str(jwt.get()));
  out.header = nlohmann::json::parse(header, nullptr, false);
  out.claims = nlohmann::json::parse(claims, nullptr, false);
  if (!out.header.is_object() || !out.claims.is_object()) {
    return absl::InvalidArgumentError("the id_token's header or claims are not a JSON object");
  }
  if (out.header.contains("alg") && out.header["alg"].is_string()) {
    out.alg = out.header["alg"].get<std::string>();
  }
  if (out.header.contains("kid") && out.header["kid"].is_string()) {
    out.kid = out.header["kid"].get<std::string>();
  }
  return out;
}

absl::Status VerifyRs256(const std::string& token, const std::string& public_jwk) {
  auto parts = ReadUnverified(token);
  if (!parts.ok()) return absl::UnauthenticatedError(parts.status().message());
  if (parts->alg != "RS256") {
    return absl::UnauthenticatedError(absl::StrCat("the id_token is signed with \"",
                                                   parts->alg.empty() ? "(no alg)" : parts->alg,
                                                   "\"; LTI 1.3 requires RS256"));
  }
  auto key = ImportJwk(public_jwk);
  if (!key.ok()) return absl::UnauthenticatedError("the platform's key is not a usable JWK");
  unsigned int bits = 0;
  const int type = r_jwk_key_type(key->get(), &bits, R_FLAG_IGNORE_REMOTE);
  if (!(type & R_KEY_TYPE_RSA) || !(type & R_KEY_TYPE_PUBLIC) || bits < 2048) {
    return absl::UnauthenticatedError("the platform's key is not an RSA public key of 2048+ bits");
  }
  Jwt jwt = NewJwt();
  if (!jwt) return absl::InternalError("JOSE: out of memory");
  if (r_jwt_advanced_parse(jwt.get(), token.c_str(), R_PARSE_NONE, R_FLAG_IGNORE_REMOTE) !=
          RHN_OK ||
      r_jwt_get_sign_alg(jwt.get()) != R_JWA_ALG_RS256) {
    return absl::UnauthenticatedError("the id_token is not an RS256 JWS");
  }
  if (r_jwt_verify_signature(jwt.get(), key->get(), R_FLAG_IGNORE_REMOTE) != RHN_OK) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the id_token's signature does not verify with the platform's key ", parts->kid));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ReadJwks(const std::string& jwks_json) {
  const nlohmann::json doc = nlohmann::json::parse(jwks_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return absl::InvalidArgumentError("not a JWKS document (a JSON object with \"keys\")");
  }
  std::map<std::string, std::string> out;
  for (const nlohmann::json& k : doc["keys"]) {
    if (!k.is_object()) continue;
    auto str = [&](const char* name) { return JsonText(k, name); };
    if (str("kty") != "RSA" || str("kid").empty()) continue;
    if (!str("use").empty() && str("use") != "sig") continue;
    if (!str("alg").empty() && str("alg") != "RS256") continue;
    auto key = ImportJwk(k.dump());
    if (!key.ok()) continue;
    unsigned int bits = 0;
    const int type = r_jwk_key_type(key->get(), &bits, R_FLAG_IGNORE_REMOTE);
    if (!(type & R_KEY_TYPE_RSA) || !(type & R_KEY_TYPE_PUBLIC) || bits < 2048) continue;
    out.emplace(str("kid"), k.dump());
  }
  return out;
}

}  // namespace proctor::server::lti
