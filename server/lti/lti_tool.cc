#include "server/lti/lti_tool.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/status_macros.h"
#include "server/lti/jose.h"
#include "server/lti/wire_text.h"

namespace proctor::server::lti {
namespace {

using i18n::N_;

constexpr char kSealContext[] = "lti tool key";
constexpr int64_t kKeyPublishedFirstMs = 15 * 60 * 1000;

// 32 random bytes, base64url without padding: a state or a nonce.
std::string RandomValue() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  char out[sodium_base64_ENCODED_LEN(sizeof(bytes), sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof(out), bytes, sizeof(bytes),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

// A JWT NumericDate (seconds): an integer, or a finite number, within [0, 2^53); nullopt for
// anything else, so that no arithmetic on it can overflow.
std::optional<int64_t> NumericDate(const nlohmann::json& value) {
  constexpr double kMax = 9007199254740992.0;  // 2^53
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v >= static_cast<uint64_t>(kMax)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < 0 || v >= static_cast<int64_t>(kMax)) return std::nullopt;
    return v;
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (!(v >= 0 && v < kMax)) return std::nullopt;  // also NaN
    return static_cast<int64_t>(v);
  }
  return std::nullopt;
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A refusal of the launch: `message` is shown (translated), `detail` only logged.
absl::Status Refuse(const char* message, const std::string& detail = "") {
  spdlog::warn("LTI launch refused: {}{}{}", message, detail.empty() ? "" : ": ",
               absl::CEscape(detail));
  return absl::UnauthenticatedError(message);
}

}  // namespace

LtiTool::LtiTool(LtiToolOptions options, Storage* storage, const SealedBox* box, const Clock* clock,
                 HttpGet get)
    : options_(std::move(options)),
      storage_(storage),
      box_(box),
      clock_(clock),
      get_(std::move(get)) {}

void LtiTool::set_public_url(std::string url) {
  std::lock_guard<std::mutex> lock(url_mu_);
  options_.public_url = std::move(url);
}

std::string LtiTool::public_url() const {
  std::lock_guard<std::mutex> lock(url_mu_);
  return options_.public_url;
}

absl::Status LtiTool::MaintainKeys() {
  const int64_t now = clock_->NowUnixMs();
  ASSIGN_OR_RETURN(std::vector<LtiToolKey> keys, storage_->ListLtiToolKeys());
  if (keys.empty() || keys.front().created_at_unix_ms + options_.key_rotation_ms <= now) {
    ASSIGN_OR_RETURN(RsaKey fresh, GenerateRsaKey(2048));
    LtiToolKey key;
    key.kid = fresh.kid;
    key.sealed_private =
        box_->Seal(std::vector<uint8_t>(fresh.private_jwk.begin(), fresh.private_jwk.end()),
                   absl::StrCat(kSealContext, " ", fresh.kid));
    key.public_jwk = fresh.public_jwk;
    key.created_at_unix_ms = now;
    RETURN_IF_ERROR(storage_->PutLtiToolKey(key));
    spdlog::info("LTI: new signing key {} ({} published before it)", key.kid, keys.size());
    keys.insert(keys.begin(), key);
  }
  // keys[i] was replaced by keys[i - 1]; it stays published for the overlap after that.
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i - 1].created_at_unix_ms + options_.key_overlap_ms <= now) {
      absl::Status deleted = storage_->DeleteLtiToolKey(keys[i].kid);
      if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;  // another replica did
      spdlog::info("LTI: signing key {} retired", keys[i].kid);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LtiTool::Jwks() {
  ASSIGN_OR_RETURN(std::vector<LtiToolKey> keys, storage_->ListLtiToolKeys());
  nlohmann::json doc = {{"keys", nlohmann::json::array()}};
  for (const LtiToolKey& k : keys) {
    nlohmann::json jwk = nlohmann::json::parse(k.public_jwk, nullptr, false);
    if (jwk.is_object()) doc["keys"].push_back(std::move(jwk));
  }
  return doc.dump();
}

absl::StatusOr<std::string> LtiTool::Sign(const nlohmann::json& claims) {
  ASSIGN_OR_RETURN(std::vector<LtiToolKey> keys, storage_->ListLtiToolKeys());
  if (keys.empty()) return absl::FailedPreconditionError("the LTI tool has no signing key yet");
  // Newest first. A platform may cache the tool's JWKS for minutes: a new key signs only once it
  // has been published that long (the very first key signs at once).
  const int64_t published_before = clock_->NowUnixMs() - kKeyPublishedFirstMs;
  const LtiToolKey* chosen = &keys.front();
  for (const LtiToolKey& k : keys) {
    if (k.created_at_unix_ms <= published_before) {
      chosen = &k;
      break;
    }
  }
  const LtiToolKey& current = *chosen;
  ASSIGN_OR_RETURN(
      std::vector<uint8_t> jwk,
      box_->Open(current.sealed_private, absl::StrCat(kSealContext, " ", current.kid)));
  return SignRs256(claims, std::string(jwk.begin(), jwk.end()), current.kid);
}

absl::StatusOr<LoginRedirect> LtiTool::Login(const LoginRequest& r) {
  if (r.iss.empty() || r.login_hint.empty() || r.target_link_uri.empty()) {
    return absl::InvalidArgumentError(
        N_("the LMS's login request lacks iss, login_hint or target_link_uri"));
  }
  const std::string base = public_url();
  if (!absl::StartsWith(r.target_link_uri, base + "/")) {
    spdlog::warn("LTI login refused: target_link_uri {} is not under {}",
                 absl::CEscape(r.target_link_uri), base);
    return absl::InvalidArgumentError(N_("the LMS's login targets another tool (target_link_uri)"));
  }
  ASSIGN_OR_RETURN(std::vector<LtiPlatform> all, storage_->ListLtiPlatforms());
  std::vector<LtiPlatform> matching;
  for (LtiPlatform& p : all) {
    if (p.issuer == r.iss && (r.client_id.empty() || p.client_id == r.client_id)) {
      matching.push_back(std::move(p));
    }
  }
  if (matching.empty()) {
    spdlog::warn("LTI login refused: issuer {} client id '{}' is not registered",
                 absl::CEscape(r.iss), absl::CEscape(r.client_id));
    return absl::NotFoundError(
        N_("this LMS is not registered with proctor: the administrator registers it with "
           "'proctorctl lti platform add'"));
  }
  if (matching.size() > 1) {
    return absl::InvalidArgumentError(
        N_("this LMS is registered more than once: its login request must name the client_id"));
  }
  const LtiPlatform& platform = matching.front();
  if (!r.deployment_id.empty() &&
      std::find(platform.deployment_ids.begin(), platform.deployment_ids.end(), r.deployment_id) ==
          platform.deployment_ids.end()) {
    spdlog::warn("LTI login refused: deployment {} of {} is not registered",
                 absl::CEscape(r.deployment_id), absl::CEscape(r.iss));
    return absl::PermissionDeniedError(
        N_("this deployment of the tool is not registered: the administrator adds it with "
           "'proctorctl lti platform add --deployment-id'"));
  }
  const int64_t now = clock_->NowUnixMs();
  LtiLogin login{RandomValue(), RandomValue(), platform.issuer, platform.client_id, now};
  RETURN_IF_ERROR(storage_->PutLtiLogin(login, now - options_.login_ttl_ms));
  std::string location = platform.auth_url;
  location += absl::StrContains(location, '?') ? '&' : '?';
  absl::StrAppend(&location, "scope=openid&response_type=id_token&response_mode=form_post",
                  "&prompt=none&client_id=", PercentEncode(platform.client_id),
                  "&redirect_uri=", PercentEncode(launch_url()),
                  "&login_hint=", PercentEncode(r.login_hint),
                  "&state=", PercentEncode(login.state), "&nonce=", PercentEncode(login.nonce));
  if (!r.lti_message_hint.empty()) {
    absl::StrAppend(&location, "&lti_message_hint=", PercentEncode(r.lti_message_hint));
  }
  return LoginRedirect{location, login.state};
}

absl::StatusOr<std::string> LtiTool::PlatformKey(const LtiPlatform& platform,
                                                 const std::string& kid) {
  const int64_t now = clock_->SteadyMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    CachedJwks& cache = jwks_[platform.jwks_url];
    const bool known = cache.keys.count(kid) != 0;
    const bool stale =
        cache.fetched_at_ms < 0 || now - cache.fetched_at_ms >= options_.jwks_max_age_ms;
    const bool may_try = !cache.fetching && (cache.tried_at_ms < 0 ||
                                             now - cache.tried_at_ms >= options_.jwks_refetch_ms);
    if (known && !stale) return cache.keys.at(kid);
    if (may_try) {
      // One fetch per JWKS at a time, outside the lock: a slow LMS holds up only its own
      // launches, and those with a known key are served from the cache meanwhile.
      cache.fetching = true;
      cache.tried_at_ms = now;
    } else if (known) {
      return cache.keys.at(kid);  // stale, but a fetch is under way or failed moments ago
    } else {
      // Unknown, and the JWKS was read moments ago, is being read, or could not be read: a
      // platform that has just rotated its key is believed after the next fetch.
      return absl::UnavailableError(
          N_("the LMS's public keys cannot be fetched right now; start again from the course "
             "page in a minute"));
    }
  }
  absl::StatusOr<std::string> body = get_(platform.jwks_url);
  absl::StatusOr<std::map<std::string, std::string>> keys =
      body.ok() ? ReadJwks(*body) : body.status();
  std::lock_guard<std::mutex> lock(mu_);
  CachedJwks& cache = jwks_[platform.jwks_url];
  cache.fetching = false;
  if (keys.ok()) {
    cache.keys = std::move(*keys);
    cache.fetched_at_ms = now;
    cache.last_failed = false;
  } else {
    cache.last_failed = true;
    spdlog::warn("LTI: cannot fetch the keys of {} from {}: {}", platform.issuer, platform.jwks_url,
                 std::string(keys.status().message()));
  }
  auto found = cache.keys.find(kid);
  if (found != cache.keys.end()) return found->second;
  if (cache.last_failed) {
    return absl::UnavailableError(
        N_("the LMS's public keys cannot be fetched right now; start again from the course "
           "page in a minute"));
  }
  return Refuse(N_("the id_token is signed with a key the LMS does not publish"),
                absl::StrCat("kid ", absl::CEscape(kid), " not in ", platform.jwks_url));
}

absl::StatusOr<LtiLaunch> LtiTool::Launch(const std::string& id_token, const std::string& state,
                                          const std::string& cookie_state) {
  if (state.empty() || id_token.empty()) {
    return absl::InvalidArgumentError(N_("the launch lacks its id_token or state"));
  }
  if (!ConstantTimeEqual(state, cookie_state)) {
    return Refuse(
        N_("this launch does not belong to this browser's login (its cookie is "
           "missing: are cookies blocked for this site?)"));
  }
  absl::StatusOr<LtiLogin> login = storage_->TakeLtiLogin(state);
  if (absl::IsNotFound(login.status()) ||
      (login.ok() && login->created_at_unix_ms + options_.login_ttl_ms < clock_->NowUnixMs())) {
    return Refuse(
        N_("this launch is unknown, expired or used already: start it again from the "
           "course page"));
  }
  if (!login.ok()) return login.status();
  return CheckToken(*login, id_token);
}

absl::StatusOr<LtiLaunch> LtiTool::CheckToken(const LtiLogin& login, const std::string& id_token) {
  absl::StatusOr<UnverifiedJwt> parts = ReadUnverified(id_token);
  if (!parts.ok()) return Refuse(N_("the LMS sent no valid id_token"), parts.status().ToString());
  if (parts->alg == "none") return Refuse(N_("the id_token is unsigned (alg none)"));
  if (parts->alg != "RS256") {
    return Refuse(N_("the id_token is not signed with RS256"), absl::StrCat("alg ", parts->alg));
  }
  const nlohmann::json& c = parts->claims;
  if (JsonText(c, "iss") != login.issuer) {
    return Refuse(N_("the id_token comes from another LMS than the login"),
                  absl::StrCat("iss '", JsonText(c, "iss"), "', login ", login.issuer));
  }
  // aud: our client id, alone or among others (then azp must name us); azp, when sent, is us.
  bool addressed = false;
  size_t audiences = 0;
  if (c.contains("aud") && c["aud"].is_string()) {
    addressed = c["aud"].get<std::string>() == login.client_id;
    audiences = 1;
  } else if (c.contains("aud") && c["aud"].is_array()) {
    for (const auto& a : c["aud"])
      addressed |= a.is_string() && a.get<std::string>() == login.client_id;
    audiences = c["aud"].size();
  }
  if (!addressed || (audiences > 1 && JsonText(c, "azp") != login.client_id) ||
      (c.contains("azp") && JsonText(c, "azp") != login.client_id)) {
    return Refuse(N_("the id_token is not addressed to this tool (aud, azp)"),
                  absl::StrCat("aud ", c.contains("aud") ? c["aud"].dump() : "(none)"));
  }
  absl::StatusOr<LtiPlatform> platform = RegisteredPlatform(login.issuer, login.client_id);
  if (!platform.ok() && !absl::IsNotFound(platform.status())) return platform.status();
  if (!platform.ok()) return Refuse(N_("this LMS is no longer registered with proctor"));
  if (parts->kid.empty()) return Refuse(N_("the id_token does not name its key (kid)"));
  ASSIGN_OR_RETURN(std::string key, PlatformKey(*platform, parts->kid));
  if (absl::Status verified = VerifyRs256(id_token, key); !verified.ok()) {
    return Refuse(N_("the id_token's signature is not valid"), std::string(verified.message()));
  }
  // Times, in seconds (NumericDate), with the allowed skew.
  const int64_t now_s = clock_->NowUnixMs() / 1000;
  const int64_t skew_s = options_.clock_skew_ms / 1000;
  if (!c.contains("exp") || !c["exp"].is_number() || !c.contains("iat") || !c["iat"].is_number()) {
    return Refuse(N_("the id_token lacks its times (exp, iat)"));
  }
  const std::optional<int64_t> exp_claim = NumericDate(c["exp"]);
  const std::optional<int64_t> iat_claim = NumericDate(c["iat"]);
  if (!exp_claim || !iat_claim) return Refuse(N_("the id_token lacks its times (exp, iat)"));
  const int64_t exp = *exp_claim;
  const int64_t iat = *iat_claim;
  if (exp < now_s - skew_s) {
    return Refuse(N_("the id_token has expired"), absl::StrCat("exp ", exp, ", now ", now_s));
  }
  if (iat > now_s + skew_s) {
    return Refuse(N_("the id_token was issued in the future: check the clocks of the LMS and "
                     "of this server"),
                  absl::StrCat("iat ", iat, ", now ", now_s));
  }
  if (iat < now_s - skew_s - options_.login_ttl_ms / 1000) {
    return Refuse(N_("the id_token is too old"), absl::StrCat("iat ", iat, ", now ", now_s));
  }
  if (c.contains("nbf") && (!NumericDate(c["nbf"]) || *NumericDate(c["nbf"]) > now_s + skew_s)) {
    return Refuse(N_("the id_token is not valid yet (nbf)"));
  }
  if (!ConstantTimeEqual(JsonText(c, "nonce"), login.nonce)) {
    return Refuse(N_("the id_token's nonce is not this login's (a replayed launch?)"));
  }
  const std::string claim = kClaimPrefix;
  if (JsonText(c, claim + "version") != "1.3.0") {
    return Refuse(N_("the launch is not LTI 1.3.0"),
                  absl::StrCat("version '", JsonText(c, claim + "version"), "'"));
  }
  LtiLaunch launch;
  launch.deployment_id = JsonText(c, claim + "deployment_id");
  if (std::find(platform->deployment_ids.begin(), platform->deployment_ids.end(),
                launch.deployment_id) == platform->deployment_ids.end()) {
    return Refuse(N_("this deployment of the tool is not registered: the administrator adds it "
                     "with 'proctorctl lti platform add --deployment-id'"),
                  absl::StrCat("deployment '", launch.deployment_id, "' of ", login.issuer));
  }
  launch.message_type = JsonText(c, claim + "message_type");
  if (launch.message_type != "LtiResourceLinkRequest" &&
      launch.message_type != "LtiStartProctoring" && launch.message_type != "LtiEndAssessment") {
    return Refuse(N_("proctor does not handle this kind of LTI message"),
                  absl::StrCat("message_type '", launch.message_type, "'"));
  }
  launch.sub = JsonText(c, "sub");
  if (launch.sub.empty()) return Refuse(N_("the launch does not say who the user is (sub)"));
  launch.platform = *std::move(platform);
  launch.name = JsonText(c, "name");
  if (launch.name.empty()) {
    launch.name = JsonText(c, "given_name");
    const std::string family = JsonText(c, "family_name");
    if (!family.empty()) launch.name += (launch.name.empty() ? "" : " ") + family;
  }
  launch.locale = JsonText(c, "locale");
  if (launch.locale.empty() && c.contains(claim + "launch_presentation")) {
    launch.locale = JsonText(c[claim + "launch_presentation"], "locale");
  }
  if (c.contains(claim + "resource_link")) {
    launch.resource_link_id = JsonText(c[claim + "resource_link"], "id");
    launch.resource_link_title = JsonText(c[claim + "resource_link"], "title");
  }
  if (c.contains(claim + "context")) {
    launch.context_id = JsonText(c[claim + "context"], "id");
    launch.context_title = JsonText(c[claim + "context"], "title");
  }
  if (launch.resource_link_id.empty()) {
    return Refuse(N_("the launch does not name its resource link"));
  }
  if (c.contains(claim + "roles") && c[claim + "roles"].is_array()) {
    for (const auto& role : c[claim + "roles"]) {
      if (role.is_string()) launch.roles.push_back(role.get<std::string>());
    }
  }
  if (c.contains(claim + "custom") && c[claim + "custom"].is_object()) {
    for (const auto& [k, v] : c[claim + "custom"].items()) {
      if (v.is_string()) launch.custom[k] = v.get<std::string>();
    }
  }
  const std::string ap = kProctoringPrefix;
  if (launch.message_type != "LtiResourceLinkRequest") {
    if (!c.contains(ap + "attempt_number") || !c[ap + "attempt_number"].is_number_integer() ||
        c[ap + "attempt_number"].get<int64_t>() < 1 ||
        c[ap + "attempt_number"].get<int64_t>() > 1'000'000) {
      return Refuse(N_("the proctoring launch lacks its attempt number"));
    }
    launch.attempt_number = c[ap + "attempt_number"].get<int>();
  }
  if (launch.message_type == "LtiStartProctoring") {
    launch.start_assessment_url = JsonText(c, ap + "start_assessment_url");
    launch.session_data = JsonText(c, ap + "session_data");
    if (!IsAllowedLtiUrl(launch.start_assessment_url)) {
      return Refuse(N_("the proctoring launch lacks a valid start_assessment_url"));
    }
  }
  launch.claims = c;
  spdlog::info("LTI launch: {} from {} (deployment {}), resource link {}", launch.message_type,
               launch.platform.issuer, launch.deployment_id, launch.resource_link_id);
  return launch;
}

absl::StatusOr<LtiPlatform> LtiTool::RegisteredPlatform(const std::string& issuer,
                                                       const std::string& client_id) {
  ASSIGN_OR_RETURN(std::vector<LtiPlatform> all, storage_->ListLtiPlatforms());
  for (LtiPlatform& p : all) {
    if (p.issuer == issuer && p.client_id == client_id) return std::move(p);
  }
  return absl::NotFoundError(absl::StrCat("the platform ", issuer, " (client id ", client_id,
                                          ") is no longer registered"));
}

}  // namespace proctor::server::lti
