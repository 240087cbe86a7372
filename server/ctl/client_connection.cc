#include "server/ctl/client_connection.h"

#include <cstdlib>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/file_io.h"

namespace proctor::ctl {
namespace {

constexpr size_t kMaxTokenFileBytes = 4096;
constexpr size_t kMaxCaFileBytes = 1 << 20;

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  auto bytes = ReadFileBytes(path, kMaxTokenFileBytes);
  if (!bytes.ok()) {
    return absl::NotFoundError(i18n::Trf("reading the token file named by PROCTOR_TOKEN_FILE: $0",
                                         bytes.status().message()));
  }
  return std::string(absl::StripAsciiWhitespace(std::string(bytes->begin(), bytes->end())));
}

absl::Status CheckTokenCharacters(std::string_view token) {
  for (const char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          i18n::Tr("the token holds spaces or control characters; check --token / PROCTOR_TOKEN"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveToken(const std::string& flag_value) {
  std::string token = flag_value;
  if (token.empty()) {
    if (const char* env = std::getenv("PROCTOR_TOKEN"); env != nullptr) token = env;
  }
  if (token.empty()) {
    if (const char* file = std::getenv("PROCTOR_TOKEN_FILE"); file != nullptr && *file != '\0') {
      auto from_file = ReadTokenFile(file);
      if (!from_file.ok()) return from_file.status();
      token = std::move(*from_file);
    }
  }
  if (token.empty()) {
    return absl::InvalidArgumentError(
        i18n::Tr("no token: pass --token, or set PROCTOR_TOKEN, or PROCTOR_TOKEN_FILE (the "
                 "administrator token is in the server's DATA_DIR/admin.token)"));
  }
  if (auto s = CheckTokenCharacters(token); !s.ok()) return s;
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& server,
                                                           const std::string& tls_ca,
                                                           const grpc::ChannelArguments& args) {
  if (server.empty()) return absl::InvalidArgumentError(i18n::Tr("--server must not be empty"));
  if (tls_ca.empty()) {
    return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
  }
  auto pem = ReadFileBytes(tls_ca, kMaxCaFileBytes);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        i18n::Trf("reading --tls-ca: $0", pem.status().message()));
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs.assign(pem->begin(), pem->end());
  return grpc::CreateCustomChannel(server, grpc::SslCredentials(ssl), args);
}

void PrepareCall(grpc::ClientContext* context, const std::string& token, double timeout_s) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  // What the server writes for people (risk reasons, flag details) comes in our language.
  context->AddMetadata("accept-language", std::string(i18n::LanguageCode(i18n::ProcessLanguage())));
  const auto timeout = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(timeout_s));
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kNames))) {
    return absl::StrCat("CODE_", index);
  }
  return kNames[index];
}

bool IsUnreachable(const grpc::Status& status, grpc::Channel* channel) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return true;
  if (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) return false;
  return channel != nullptr && channel->GetState(false) != GRPC_CHANNEL_READY;
}

std::string DescribeRpcError(const std::string& what, const grpc::Status& status,
                             const std::string& server, bool unreachable) {
  std::string text =
      absl::StrCat(what, ": ", StatusCodeName(status.error_code()), ": ", status.error_message());
  if (unreachable) {
    absl::StrAppend(&text, " ",
                    i18n::Trf("(cannot reach proctor-server at $0; is it running, and is "
                              "--server right?)",
                              server));
  }
  return text;
}

}  // namespace proctor::ctl
