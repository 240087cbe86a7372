#include "server/lti/http_get.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/core/domain.h"

namespace proctor::server::lti {

HttpCall MakeHttpCall(HttpGetOptions options) {
  return [options](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
    const std::string origin = LtiUrlOrigin(r.url);
    if (origin.empty()) return absl::InvalidArgumentError(absl::StrCat("URL not allowed: ", r.url));
    const std::string path = r.url.size() > origin.size() ? r.url.substr(origin.size()) : "/";
    httplib::Client client(origin);
    if (!client.is_valid()) return absl::InvalidArgumentError(absl::StrCat("bad URL: ", r.url));
    if (absl::StartsWith(origin, "https://")) {
      client.enable_server_certificate_verification(true);
      if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file.c_str());
    }
    client.set_connection_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    client.set_read_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    client.set_write_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    client.set_follow_location(false);
    httplib::Headers headers;
    for (const auto& [name, value] : r.headers) headers.emplace(name, value);
    HttpResponse out;
    bool too_big = false, too_slow = false;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.deadline_ms);
    auto receive = [&](const char* data, size_t length) {
      if (out.body.size() + length > options.max_bytes) {
        too_big = true;
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        too_slow = true;
        return false;
      }
      out.body.append(data, length);
      return true;
    };
    httplib::Request req;
    req.method = r.method;
    req.path = path;
    req.headers = headers;
    req.body = r.body;
    if (!r.content_type.empty()) req.set_header("Content-Type", r.content_type);
    req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
      return receive(data, length);
    };
    httplib::Result res = client.send(req);
    if (too_big) return absl::UnavailableError(absl::StrCat(r.url, ": answer too large"));
    if (too_slow) return absl::UnavailableError(absl::StrCat(r.url, ": answer too slow"));
    if (!res) {
      return absl::UnavailableError(absl::StrCat(r.url, ": ", httplib::to_string(res.error())));
    }
    out.status = res->status;
    out.content_type = res->get_header_value("Content-Type");
    if (out.body.empty()) out.body = res->body;
    return out;
  };
}

HttpGet MakeHttpGet(HttpGetOptions options) {
  HttpCall call = MakeHttpCall(std::move(options));
  return [call](const std::string& url) -> absl::StatusOr<std::string> {
    HttpRequest request;
    request.url = url;
    request.headers = {{"Accept", "application/json"}};
    absl::StatusOr<HttpResponse> response = call(request);
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return absl::UnavailableError(absl::StrCat(url, ": HTTP ", response->status));
    }
    return std::move(response->body);
  };
}

}  // namespace proctor::server::lti
