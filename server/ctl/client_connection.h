// What proctor's command-line clients (proctorctl, proctor-loadgen) share about talking to
// proctor-server: exit codes, finding the bearer token, building the channel, and naming gRPC
// status codes. Free functions, all thread-safe.
#ifndef PROCTOR_SERVER_CTL_CLIENT_CONNECTION_H_
#define PROCTOR_SERVER_CTL_CLIENT_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace proctor::ctl {

// Exit codes of proctorctl and proctor-loadgen (stated in their --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;  // the server answered with an error
inline constexpr int kExitUsage = 2;        // bad arguments or bad local input (files, token)
inline constexpr int kExitUnreachable = 3;  // the server could not be reached

// The bearer token: `flag_value` when not empty, else $PROCTOR_TOKEN, else the contents of the
// file named by $PROCTOR_TOKEN_FILE (surrounding whitespace removed). INVALID_ARGUMENT when none
// is set or the token holds characters that cannot travel in gRPC metadata; NOT_FOUND when the
// token file cannot be read.
absl::StatusOr<std::string> ResolveToken(const std::string& flag_value);

// A channel to `server` ("host:port"): TLS verified against the PEM file `tls_ca` when it is not
// empty, plaintext otherwise. Errors name the CA file. `args` is passed through (for instance to
// give each channel its own connection).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const std::string& server, const std::string& tls_ca,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

// Adds "authorization: Bearer <token>" and a deadline `timeout_s` seconds from now.
void PrepareCall(grpc::ClientContext* context, const std::string& token, double timeout_s);

// "OK", "INVALID_ARGUMENT", ... as in the gRPC documentation.
std::string StatusCodeName(grpc::StatusCode code);

// True when `status` says the call never reached the server: UNAVAILABLE, or DEADLINE_EXCEEDED
// while `channel` has no ready connection.
bool IsUnreachable(const grpc::Status& status, grpc::Channel* channel);

// "<what>: <CODE>: <message>", with a hint naming `server` when the server was unreachable.
std::string DescribeRpcError(const std::string& what, const grpc::Status& status,
                             const std::string& server, bool unreachable);

}  // namespace proctor::ctl

#endif  // PROCTOR_SERVER_CTL_CLIENT_CONNECTION_H_
