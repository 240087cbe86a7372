// The tool's side of LTI Advantage services it calls on a platform: OAuth2 access tokens by
// client credentials with a signed JWT assertion (RFC 7523, LTI Security Framework §4.1), and
// Assignment and Grade Services 2.0 (line items, scores). Tokens are cached until shortly
// before they expire. Thread-safe.
//
// Errors: UNAVAILABLE when the platform could not be reached or answered 5xx or 429 (retry
// later), FAILED_PRECONDITION when it refused the request (4xx: retrying the same will not
// help), each naming the endpoint and the platform's answer.
#ifndef PROCTOR_SERVER_LTI_AGS_CLIENT_H_
#define PROCTOR_SERVER_LTI_AGS_CLIENT_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "server/lti/http_get.h"
#include "server/lti/lti_tool.h"

namespace proctor::server::lti {

inline constexpr char kScopeLineItem[] = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
inline constexpr char kScopeScore[] = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
inline constexpr char kScopeResultRead[] =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
inline constexpr char kScopeLineItemRead[] =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
// LTI Proctoring Services 1.0: the Assessment Control Service.
inline constexpr char kScopeAssessmentControl[] =
    "https://purl.imsglobal.org/spec/lti-ap/scope/control.all";

struct AgsScore {
  std::string user_id;  // the platform's sub
  std::optional<double> score_given;
  std::optional<double> score_maximum;
  std::string comment;
  std::string activity_progress = "Completed";   // Initialized ... Completed
  std::string grading_progress = "FullyGraded";  // FullyGraded, Pending, PendingManual, ...
  int64_t timestamp_unix_ms = 0;                 // sent as ISO 8601 UTC with milliseconds
};

struct AgsLineItem {
  std::string id;  // its URL
  std::string label, tag, resource_link_id;
  double score_maximum = 0;
};

struct AgsResult {
  std::string user_id;
  std::optional<double> score;    // resultScore
  std::optional<double> maximum;  // resultMaximum
};

class AgsClient {
 public:
  // `tool` signs the assertions; everything must outlive the client.
  AgsClient(LtiTool* tool, HttpCall http, const Clock* clock);

  // A bearer token for `scopes` at the platform's token endpoint (cached).
  absl::StatusOr<std::string> AccessToken(const LtiPlatform& platform,
                                          const std::vector<std::string>& scopes);
  // The line item of `resource_link_id` tagged `tag` in the container `lineitems_url`, created
  // (with `label` and `score_maximum`) when there is none. Its URL.
  absl::StatusOr<std::string> FindOrCreateLineItem(const LtiPlatform& platform,
                                                   const std::string& lineitems_url,
                                                   const std::string& resource_link_id,
                                                   const std::string& tag, const std::string& label,
                                                   double score_maximum);
  // The line items in `lineitems_url`, of `resource_link_id` when it is not empty.
  absl::StatusOr<std::vector<AgsLineItem>> LineItems(const LtiPlatform& platform,
                                                     const std::string& lineitems_url,
                                                     const std::string& resource_link_id);
  // ALREADY_EXISTS when the platform answers 409: it holds a score for the user with this
  // timestamp or a later one (a score sent again after a crash, or overtaken).
  absl::Status PostScore(const LtiPlatform& platform, const std::string& lineitem_url,
                         const AgsScore& score);
  // The results of a line item (optionally of one user).
  absl::StatusOr<std::vector<AgsResult>> Results(const LtiPlatform& platform,
                                                 const std::string& lineitem_url,
                                                 const std::string& user_id);
  // An Assessment Control Service request (Proctoring Services 1.0 §5) to `acs_url`; the
  // attempt's status the platform answers ("flagged", "terminated", ...).
  absl::StatusOr<std::string> AssessmentControl(const LtiPlatform& platform,
                                                const std::string& acs_url,
                                                const nlohmann::json& request);

 private:
  struct CachedToken {
    std::string token;
    int64_t expires_at_ms = 0;  // steady
  };
  // The call with a bearer token for `scopes`; a 401 drops the cached token and tries once more.
  absl::StatusOr<HttpResponse> Authorized(const LtiPlatform& platform,
                                          const std::vector<std::string>& scopes,
                                          HttpRequest request);

  LtiTool* const tool_;
  const HttpCall http_;
  const Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, CachedToken> tokens_;  // by token URL, client id and scopes; guarded
};

// ISO 8601 UTC with milliseconds ("2026-12-07T09:03:07.123Z").
std::string Iso8601Utc(int64_t unix_ms);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_AGS_CLIENT_H_
