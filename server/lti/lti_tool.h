// proctor-server as an LTI 1.3 tool (1EdTech LTI Core 1.3 and its Security Framework): the
// OIDC third-party-initiated login, the launch's id_token validated as the framework requires,
// the tool's own rotating RSA keys and their JWKS, and the platforms' keys fetched and cached.
//
// What a launch then does (learner, assessment, pass, Proctoring Services) is the caller's;
// LtiTool only says who launched what, and only when everything about the token holds.
//
// Refusals carry a fixed message marked for translation (N_), shown to whoever launched;
// details that would help an administrator (which kid, which claim) go to the server log. No
// token or key is ever logged. Thread-safe.
#ifndef PROCTOR_SERVER_LTI_LTI_TOOL_H_
#define PROCTOR_SERVER_LTI_LTI_TOOL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "nlohmann/json.hpp"
#include "server/core/storage.h"

namespace proctor::server::lti {

// The claims' names (LTI Core 1.3, LTI Proctoring Services 1.0).
inline constexpr char kClaimPrefix[] = "https://purl.imsglobal.org/spec/lti/claim/";
inline constexpr char kProctoringPrefix[] = "http://www.imsglobal.org/spec/lti-ap/claim/";

struct LtiToolOptions {
  // Where LMSs and browsers reach this server's console listener, without a trailing slash
  // ("https://proctor.example.edu"); the login's redirect_uri is public_url + "/lti/launch".
  std::string public_url;
  int64_t clock_skew_ms = 60'000;  // allowed between the LMS's clock and ours
  int64_t login_ttl_ms = 600'000;  // a login must come back as a launch within this
  int64_t key_rotation_ms = 90LL * 24 * 3600 * 1000;  // a new signing key this often
  int64_t key_overlap_ms = 7LL * 24 * 3600 * 1000;    // a replaced key stays published this long
  int64_t jwks_refetch_ms = 10'000;     // an unknown kid refetches a JWKS at most this often
  int64_t jwks_max_age_ms = 3'600'000;  // keys are refetched when older than this
};

// GET of an https URL (http on loopback), the body on 200. UNAVAILABLE when it cannot be had.
using HttpGet = std::function<absl::StatusOr<std::string>(const std::string& url)>;

struct LoginRequest {  // the platform's login initiation (GET query or POST form)
  std::string iss, login_hint, target_link_uri, lti_message_hint, client_id, deployment_id;
};

struct LoginRedirect {
  std::string location;  // the platform's authorization endpoint with our parameters
  std::string state;     // also to be set as the browser's cookie
};

// A launch whose id_token passed every check.
struct LtiLaunch {
  LtiPlatform platform;
  std::string deployment_id;
  std::string message_type;  // LtiResourceLinkRequest, LtiStartProctoring or LtiEndAssessment
  std::string sub;           // the platform's id of the user
  std::string name;          // "name", else given_name + family_name; may be empty
  std::string locale;        // "ru", "en-US", ... or ""
  std::string resource_link_id, resource_link_title;
  std::string context_id, context_title;
  std::vector<std::string> roles;
  std::map<std::string, std::string> custom;  // the custom claim's string values
  int attempt_number = 0;                     // LtiStartProctoring, LtiEndAssessment
  std::string start_assessment_url;           // LtiStartProctoring
  std::string session_data;                   // LtiStartProctoring
  nlohmann::json claims;                      // everything, as sent
};

class LtiTool {
 public:
  // Everything must outlive the tool.
  LtiTool(LtiToolOptions options, Storage* storage, const SealedBox* box, const Clock* clock,
          HttpGet get);

  // The public URL, when it is known only once the console listens (its port).
  void set_public_url(std::string url);
  std::string public_url() const;
  std::string login_url() const { return public_url() + "/lti/login"; }
  std::string launch_url() const { return public_url() + "/lti/launch"; }
  std::string jwks_url() const { return public_url() + "/lti/jwks"; }

  // Makes sure a current signing key exists (the first, or a new one when the newest is older
  // than key_rotation_ms) and deletes keys replaced more than key_overlap_ms ago. At start and
  // daily; safe on several replicas at once.
  absl::Status MaintainKeys();
  // The JWKS document of the tool's published public keys.
  absl::StatusOr<std::string> Jwks();
  // Signs `claims` (RS256) with the newest key published for 15 minutes or more (platforms cache
  // JWKS; the only key when there is one): messages the tool sends to a platform.
  absl::StatusOr<std::string> Sign(const nlohmann::json& claims);

  // The registration of (issuer, client_id); NOT_FOUND when there is none (any more).
  absl::StatusOr<LtiPlatform> RegisteredPlatform(const std::string& issuer,
                                                 const std::string& client_id);
  // The OIDC login initiation: remembers a fresh state and nonce, and says where to redirect.
  absl::StatusOr<LoginRedirect> Login(const LoginRequest& request);
  // The launch: `state` from the form, `cookie_state` from the browser's cookie. Takes the
  // login (a second launch with it fails), then checks the id_token.
  absl::StatusOr<LtiLaunch> Launch(const std::string& id_token, const std::string& state,
                                   const std::string& cookie_state);

 private:
  struct CachedJwks {
    std::map<std::string, std::string> keys;  // kid -> public JWK
    int64_t fetched_at_ms = -1;               // steady ms; -1: never fetched
    int64_t tried_at_ms = -1;                 // steady ms; -1: never tried
    bool last_failed = false;                 // the last try did not bring a JWKS
    bool fetching = false;                    // a fetch is under way (outside mu_)
  };
  // The platform's key `kid`: from the cache, refetched when unknown (at most every
  // jwks_refetch_ms) or stale; a cached key still serves while the JWKS cannot be fetched.
  absl::StatusOr<std::string> PlatformKey(const LtiPlatform& platform, const std::string& kid);
  absl::StatusOr<LtiLaunch> CheckToken(const LtiLogin& login, const std::string& id_token);

  LtiToolOptions options_;  // public_url guarded by url_mu_, the rest fixed
  mutable std::mutex url_mu_;
  Storage* const storage_;
  const SealedBox* const box_;
  const Clock* const clock_;
  const HttpGet get_;
  std::mutex mu_;
  std::map<std::string, CachedJwks> jwks_;  // by jwks_url, guarded by mu_
};

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_LTI_TOOL_H_
