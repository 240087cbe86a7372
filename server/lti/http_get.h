// The LTI tool's HTTP client: GETs a platform's JWKS over HTTPS (cpp-httplib with OpenSSL,
// verifying the server's certificate against the system's CAs or `ca_file`), http:// only to a
// loopback host. Only http_get.cc includes cpp-httplib here.
#ifndef PROCTOR_SERVER_LTI_HTTP_GET_H_
#define PROCTOR_SERVER_LTI_HTTP_GET_H_

#include <string>

#include "server/lti/lti_tool.h"

namespace proctor::server::lti {

struct HttpGetOptions {
  std::string ca_file;    // PEM bundle of the trusted CAs; "" for the system's
  int timeout_ms = 5000;  // connect and read, each
  size_t max_bytes = 1 << 20;
};

HttpGet MakeHttpGet(HttpGetOptions options);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_HTTP_GET_H_
