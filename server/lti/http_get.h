// The LTI tool's HTTP client: a platform's JWKS, token endpoint and services, over HTTPS
// (cpp-httplib with OpenSSL, verifying the server's certificate against the system's CAs or
// `ca_file`), http:// only to a loopback host. No redirects are followed; answers are capped.
// Only http_get.cc includes cpp-httplib here.
#ifndef PROCTOR_SERVER_LTI_HTTP_GET_H_
#define PROCTOR_SERVER_LTI_HTTP_GET_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "server/lti/lti_tool.h"

namespace proctor::server::lti {

struct HttpGetOptions {
  std::string ca_file;      // PEM bundle of the trusted CAs; "" for the system's
  int timeout_ms = 5000;    // connect, and each read
  int deadline_ms = 15000;  // the whole answer
  size_t max_bytes = 1 << 20;
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // of body
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// The answer, whatever its status; UNAVAILABLE when none came (refused, timed out, too large),
// INVALID_ARGUMENT for a URL that is not allowed.
using HttpCall = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

HttpCall MakeHttpCall(HttpGetOptions options);
// GET whose body counts only on 200.
HttpGet MakeHttpGet(HttpGetOptions options);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_HTTP_GET_H_
