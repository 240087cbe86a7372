#include "server/lti/http_get.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace proctor::server::lti {

HttpGet MakeHttpGet(HttpGetOptions options) {
  return [options](const std::string& url) -> absl::StatusOr<std::string> {
    const bool https = absl::StartsWith(url, "https://");
    if (!https && !absl::StartsWith(url, "http://")) {
      return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", url));
    }
    const size_t host_start = https ? 8 : 7;
    const size_t path_start = url.find('/', host_start);
    const std::string origin = url.substr(0, path_start);
    const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
    httplib::Client client(origin);
    if (!client.is_valid()) return absl::InvalidArgumentError(absl::StrCat("bad URL: ", url));
    if (https) {
      client.enable_server_certificate_verification(true);
      if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file.c_str());
    }
    client.set_connection_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    client.set_read_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    client.set_follow_location(false);
    std::string body;
    bool too_big = false;
    auto res = client.Get(
        path, httplib::Headers{{"Accept", "application/json"}},
        [&](const char* data, size_t length) {
          if (body.size() + length > options.max_bytes) {
            too_big = true;
            return false;
          }
          body.append(data, length);
          return true;
        });
    if (too_big) return absl::UnavailableError(absl::StrCat(url, ": answer larger than 1 MiB"));
    if (!res) {
      return absl::UnavailableError(
          absl::StrCat(url, ": ", httplib::to_string(res.error())));
    }
    if (res->status != 200) {
      return absl::UnavailableError(absl::StrCat(url, ": HTTP ", res->status));
    }
    return body;
  };
}

}  // namespace proctor::server::lti
