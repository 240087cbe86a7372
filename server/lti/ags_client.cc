#include "server/lti/ags_client.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "server/lti/wire_text.h"

namespace proctor::server::lti {
namespace {

constexpr char kLineItemType[] = "application/vnd.ims.lis.v2.lineitem+json";
constexpr char kLineItemContainerType[] = "application/vnd.ims.lis.v2.lineitemcontainer+json";
constexpr char kScoreType[] = "application/vnd.ims.lis.v1.score+json";
constexpr char kResultContainerType[] = "application/vnd.ims.lis.v2.resultcontainer+json";
constexpr char kControlType[] = "application/vnd.ims.lti-ap.v1.control+json";

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(name) + "=" + PercentEncode(value);
  }
  return out;
}

// A platform's answer as a status: OK for 2xx.
absl::Status Judge(const std::string& what, const absl::StatusOr<HttpResponse>& response) {
  if (!response.ok()) {
    return absl::UnavailableError(absl::StrCat(what, ": ", response.status().message()));
  }
  if (response->status >= 200 && response->status < 300) return absl::OkStatus();
  const std::string answer =
      absl::StrCat(what, ": HTTP ", response->status, " ", response->body.substr(0, 200));
  if (response->status >= 500 || response->status == 429) {
    return absl::UnavailableError(answer);
  }
  return absl::FailedPreconditionError(answer);
}

std::optional<double> Number(const nlohmann::json& object, const char* name) {
  if (!object.contains(name) || !object[name].is_number()) return std::nullopt;
  return object[name].get<double>();
}

}  // namespace

std::string Iso8601Utc(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

AgsClient::AgsClient(LtiTool* tool, HttpCall http, const Clock* clock)
    : tool_(tool), http_(std::move(http)), clock_(clock) {}

absl::StatusOr<std::string> AgsClient::AccessToken(const LtiPlatform& platform,
                                                   const std::vector<std::string>& scopes) {
  const std::string scope = absl::StrJoin(scopes, " ");
  const std::string key = absl::StrCat(platform.token_url, "\n", platform.client_id, "\n", scope);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expires_at_ms > clock_->SteadyMs()) {
      return it->second.token;
    }
  }
  unsigned char jti[16];
  randombytes_buf(jti, sizeof(jti));
  const int64_t now = clock_->NowUnixMs() / 1000;
  ASSIGN_OR_RETURN(std::string assertion, tool_->Sign({{"iss", platform.client_id},
                                                       {"sub", platform.client_id},
                                                       {"aud", platform.token_url},
                                                       {"iat", now},
                                                       {"exp", now + 300},
                                                       {"jti", ToHex(jti, sizeof(jti))}}));
  HttpRequest request;
  request.method = "POST";
  request.url = platform.token_url;
  request.headers = {{"Accept", "application/json"}};
  request.content_type = "application/x-www-form-urlencoded";
  request.body = FormEncode(
      {{"grant_type", "client_credentials"},
       {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
       {"client_assertion", assertion},
       {"scope", scope}});
  const absl::StatusOr<HttpResponse> response = http_(request);
  RETURN_IF_ERROR(Judge(absl::StrCat("access token from ", platform.token_url), response));
  const nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string()) {
    return absl::FailedPreconditionError(
        absl::StrCat("access token from ", platform.token_url, ": no access_token in the answer"));
  }
  int64_t expires_in = 3600;
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer()) {
    expires_in = doc["expires_in"].get<int64_t>();
  }
  std::string token = doc["access_token"].get<std::string>();
  std::lock_guard<std::mutex> lock(mu_);
  // Renewed a minute before the platform's expiry, so that no call carries a dying token.
  tokens_[key] = {token, clock_->SteadyMs() + std::max<int64_t>(expires_in - 60, 0) * 1000};
  return token;
}

absl::StatusOr<HttpResponse> AgsClient::Authorized(const LtiPlatform& platform,
                                                   const std::vector<std::string>& scopes,
                                                   HttpRequest request) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(std::string token, AccessToken(platform, scopes));
    HttpRequest r = request;
    r.headers.emplace_back("Authorization", "Bearer " + token);
    absl::StatusOr<HttpResponse> response = http_(r);
    if (!response.ok() || response->status != 401 || attempt == 1) return response;
    std::lock_guard<std::mutex> lock(mu_);  // the platform forgot it: get another
    tokens_.erase(absl::StrCat(platform.token_url, "\n", platform.client_id, "\n",
                               absl::StrJoin(scopes, " ")));
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::vector<AgsLineItem>> AgsClient::LineItems(const LtiPlatform& platform,
                                                              const std::string& lineitems_url,
                                                              const std::string& resource_link_id) {
  HttpRequest find;
  find.url = lineitems_url;
  if (!resource_link_id.empty()) {
    find.url += (lineitems_url.find('?') == std::string::npos ? "?" : "&") +
                FormEncode({{"resource_link_id", resource_link_id}});
  }
  find.headers = {{"Accept", kLineItemContainerType}};
  const absl::StatusOr<HttpResponse> found = Authorized(platform, {kScopeLineItem}, find);
  RETURN_IF_ERROR(Judge(absl::StrCat("line items at ", lineitems_url), found));
  const nlohmann::json items = nlohmann::json::parse(found->body, nullptr, false);
  if (!items.is_array()) {
    return absl::FailedPreconditionError(
        absl::StrCat("line items at ", lineitems_url, ": the answer is not a JSON array"));
  }
  std::vector<AgsLineItem> out;
  for (const nlohmann::json& item : items) {
    if (!item.is_object() || JsonText(item, "id").empty()) continue;
    AgsLineItem li{JsonText(item, "id"), JsonText(item, "label"), JsonText(item, "tag"),
                   JsonText(item, "resourceLinkId"), Number(item, "scoreMaximum").value_or(0)};
    // The filter is a hint a platform may ignore.
    if (!resource_link_id.empty() && li.resource_link_id != resource_link_id) continue;
    out.push_back(std::move(li));
  }
  return out;
}

absl::StatusOr<std::string> AgsClient::FindOrCreateLineItem(const LtiPlatform& platform,
                                                            const std::string& lineitems_url,
                                                            const std::string& resource_link_id,
                                                            const std::string& tag,
                                                            const std::string& label,
                                                            double score_maximum) {
  ASSIGN_OR_RETURN(std::vector<AgsLineItem> items,
                   LineItems(platform, lineitems_url, resource_link_id));
  for (const AgsLineItem& item : items) {
    if (item.tag == tag) return item.id;
  }
  HttpRequest create;
  create.method = "POST";
  create.url = lineitems_url;
  create.headers = {{"Accept", kLineItemType}};
  create.content_type = kLineItemType;
  create.body = nlohmann::json{
      {"scoreMaximum", score_maximum},
      {"label", label},
      {"resourceLinkId", resource_link_id},
      {"tag", tag}}.dump();
  const absl::StatusOr<HttpResponse> created = Authorized(platform, {kScopeLineItem}, create);
  RETURN_IF_ERROR(Judge(absl::StrCat("creating a line item at ", lineitems_url), created));
  const nlohmann::json item = nlohmann::json::parse(created->body, nullptr, false);
  if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) {
    return absl::FailedPreconditionError(
        absl::StrCat("creating a line item at ", lineitems_url, ": no id in the answer"));
  }
  return item["id"].get<std::string>();
}

absl::Status AgsClient::PostScore(const LtiPlatform& platform, const std::string& lineitem_url,
                                  const AgsScore& score) {
  nlohmann::json body = {{"userId", score.user_id},
                         {"activityProgress", score.activity_progress},
                         {"gradingProgress", score.grading_progress},
                         {"timestamp", Iso8601Utc(score.timestamp_unix_ms)}};
  if (score.score_given) body["scoreGiven"] = *score.score_given;
  if (score.score_maximum) body["scoreMaximum"] = *score.score_maximum;
  if (!score.comment.empty()) body["comment"] = score.comment;
  const size_t query = lineitem_url.find('?');
  HttpRequest post;
  post.method = "POST";
  post.url = query == std::string::npos
                 ? lineitem_url + "/scores"
                 : lineitem_url.substr(0, query) + "/scores" + lineitem_url.substr(query);
  post.content_type = kScoreType;
  post.body = body.dump();
  const absl::StatusOr<HttpResponse> posted = Authorized(platform, {kScopeScore}, post);
  if (posted.ok() && posted->status == 409) {
    return absl::AlreadyExistsError(absl::StrCat("posting a score to ", lineitem_url,
                                                 ": the platform holds this score or a later one"));
  }
  return Judge(absl::StrCat("posting a score to ", lineitem_url), posted);
}

absl::StatusOr<std::vector<AgsResult>> AgsClient::Results(const LtiPlatform& platform,
                                                          const std::string& lineitem_url,
                                                          const std::string& user_id) {
  const size_t query = lineitem_url.find('?');
  std::string url = query == std::string::npos
                        ? lineitem_url + "/results"
                        : lineitem_url.substr(0, query) + "/results" + lineitem_url.substr(query);
  if (!user_id.empty()) {
    url += (url.find('?') == std::string::npos ? "?" : "&") + FormEncode({{"user_id", user_id}});
  }
  HttpRequest get;
  get.url = url;
  get.headers = {{"Accept", kResultContainerType}};
  const absl::StatusOr<HttpResponse> response = Authorized(platform, {kScopeResultRead}, get);
  RETURN_IF_ERROR(Judge(absl::StrCat("results of ", lineitem_url), response));
  const nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  std::vector<AgsResult> out;
  if (!doc.is_array()) return out;
  for (const nlohmann::json& r : doc) {
    if (!r.is_object()) continue;
    out.push_back({JsonText(r, "userId"), Number(r, "resultScore"), Number(r, "resultMaximum")});
  }
  return out;
}

absl::StatusOr<std::string> AgsClient::AssessmentControl(const LtiPlatform& platform,
                                                         const std::string& acs_url,
                                                         const nlohmann::json& request) {
  HttpRequest post;
  post.method = "POST";
  post.url = acs_url;
  post.headers = {{"Accept", kControlType}};
  post.content_type = kControlType;
  post.body = request.dump();
  const std::string what = absl::StrCat("assessment control (", JsonText(request, "action"),
                                        ") at ", acs_url);
  const absl::StatusOr<HttpResponse> response =
      Authorized(platform, {kScopeAssessmentControl}, post);
  RETURN_IF_ERROR(Judge(what, response));
  const nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  const std::string status = doc.is_object() ? JsonText(doc, "status") : "";
  if (status.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": no status in the answer"));
  }
  return status;
}

}  // namespace proctor::server::lti
