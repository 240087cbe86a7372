// The HTTP listener of proctor-server: the examiner review console, the per-session reports,
// the result exports, and the operations endpoints /healthz and /metrics.
//
// Security: every page, image and export needs a signed-in examiner (or administrator); pages
// redirect to /login without one, images and exports answer 401. Sign-in takes an examiner
// token once and sets an opaque session cookie (HttpOnly, SameSite=Strict, Secure under TLS).
// Every POST must carry the session's CSRF token and must not come from another origin, but for
// the LTI endpoints (/lti/*): an LMS posts its launch from its own site by design, so they are
// protected by the login's state (in a cookie of their own), the single-use nonce and the
// platform's signature instead, and sign nobody in to the console.
// Pages load no script and forbid inline script through Content-Security-Policy. /healthz,
// /metrics and the stylesheet need no session: they hold no personal data.
//
// Only this component's .cc includes cpp-httplib. Thread-safe; requests are served on the
// listener's own thread pool.
#ifndef PROCTOR_SERVER_HTTP_CONSOLE_SERVER_H_
#define PROCTOR_SERVER_HTTP_CONSOLE_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/http/console_sessions.h"
#include "server/http/review_desk.h"
#include "server/lti/lti_tool.h"

namespace proctor::server::http {

struct ConsoleOptions {
  // host:port to listen on; port 0 picks a free one (see ConsoleServer::port).
  std::string listen = "127.0.0.1:8080";
  // PEM certificate chain and private key files; both or neither (plain HTTP).
  std::string tls_cert;
  std::string tls_key;
  ConsoleSessionOptions sessions;
};

class ConsoleServer {
 public:
  // Binds and starts serving; `desk` must outlive the server. UNAVAILABLE when the address
  // cannot be bound, INVALID_ARGUMENT when it is malformed or TLS cannot be set up.
  // `lti`, when set, serves /lti/login, /lti/launch and /lti/jwks (LTI 1.3) and must outlive
  // the server.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(const ConsoleOptions& options,
                                                              ReviewDesk* desk, const Clock* clock,
                                                              lti::LtiTool* lti = nullptr);
  ~ConsoleServer();  // Stop()
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  int port() const;
  // host:port learners' clients reach the gRPC listener at, shown after an LTI launch (known
  // once gRPC listens).
  void SetGrpcAddress(const std::string& address);
  // Stops accepting, finishes the requests being served, joins the listener thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_CONSOLE_SERVER_H_
