// What every proctorctl subcommand shares: the global options, the channel and token, how a
// call is prepared, and how results and errors are printed.
#ifndef PROCTOR_SERVER_CTL_CTL_CONTEXT_H_
#define PROCTOR_SERVER_CTL_CTL_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "server/ctl/client_connection.h"

namespace proctor::ctl {

// proctorctl's global options; they may appear before or after the subcommand.
struct CtlOptions {
  std::string server = "127.0.0.1:50051";  // --server, host:port of proctor-server
  std::string token;      // --token; empty: $PROCTOR_TOKEN, else the file $PROCTOR_TOKEN_FILE
  std::string tls_ca;     // --tls-ca, PEM file of the CA to trust; empty: plaintext
  bool json = false;      // --json: exactly one JSON document on stdout and nothing else there
  double timeout_s = 30;  // --timeout, deadline of each call in seconds, > 0
  std::string lang;       // --lang en|ru; read before parsing (i18n::ChooseProcessLanguage)
};

// The connection and output settings of one proctorctl run. Not thread-safe; one per process.
class CtlContext {
 public:
  // Resolves the token and builds the channel; no network traffic yet. INVALID_ARGUMENT or
  // NOT_FOUND for local problems (no token, unreadable CA file).
  static absl::StatusOr<std::unique_ptr<CtlContext>> Create(const CtlOptions& options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  bool json() const { return options_.json; }

  // Adds the authorization metadata and the deadline to a fresh context.
  void PrepareCall(grpc::ClientContext* context) const;

  // One unary call of `method` on `stub`, prepared as above; blocks until it ends.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Invoke(Stub& stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response) const {
    grpc::ClientContext context;
    PrepareCall(&context);
    return (stub.*method)(&context, request, response);
  }

  // Prints "proctorctl: <what>: <CODE>: <message>" on stderr; returns kExitUnreachable when
  // the server could not be reached, kExitServerError otherwise.
  int ReportRpcError(const std::string& what, const grpc::Status& status) const;

  // Prints `document` on stdout as one line.
  void PrintJson(const nlohmann::json& document) const;

 private:
  CtlContext(CtlOptions options, std::string token, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)), token_(std::move(token)), channel_(std::move(channel)) {}

  const CtlOptions options_;
  const std::string token_;
  const std::shared_ptr<grpc::Channel> channel_;
};

// Prints "proctorctl: <message>" on stderr and returns kExitUsage.
int ReportLocalError(const std::string& message);

// What a parsed subcommand does once the context exists; returns the process exit code.
using CommandAction = std::function<int(const CtlContext&)>;

}  // namespace proctor::ctl

#endif  // PROCTOR_SERVER_CTL_CTL_CONTEXT_H_
