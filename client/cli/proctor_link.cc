#include "client/cli/proctor_link.h"

#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/i18n.h"

namespace proctor::cli {
namespace {

absl::Status Bad(const std::string& why) {
  return absl::InvalidArgumentError(i18n::Trf("not a proctor:// link: $0", why));
}

// %XX decoded; false for a malformed escape.
bool PercentDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i] == '+' ? ' ' : in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !absl::ascii_isxdigit(in[i + 1]) ||
        !absl::ascii_isxdigit(in[i + 2])) {
      return false;
    }
    out->push_back(
        static_cast<char>(std::strtol(std::string(in.substr(i + 1, 2)).c_str(), nullptr, 16)));
    i += 2;
  }
  return true;
}

bool ValidHostPort(absl::string_view hp) {
  size_t colon = hp.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view host = hp.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(hp.substr(colon + 1), &port) || port < 1 || port > 65535) return false;
  if (absl::StartsWith(host, "[")) {
    if (!absl::EndsWith(host, "]") || host.size() < 3) return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  if (host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ProctorLink> ParseProctorLink(absl::string_view link) {
  constexpr absl::string_view kPrefix = "proctor://run";
  if (link.size() > 2048) return Bad(i18n::Tr("longer than 2048 characters"));
  if (!absl::StartsWithIgnoreCase(link, "proctor:"))
    return Bad(i18n::Tr("it does not start with proctor://"));
  if (!absl::StartsWithIgnoreCase(link, kPrefix))
    return Bad(i18n::Tr("the only action is proctor://run"));
  absl::string_view rest = link.substr(kPrefix.size());
  if (absl::StartsWith(rest, "/")) rest.remove_prefix(1);  // proctor://run/?...
  if (!absl::StartsWith(rest, "?"))
    return Bad(i18n::Tr("no ?server=...&pass=... after proctor://run"));
  rest.remove_prefix(1);
  ProctorLink out;
  bool have_server = false, have_pass = false;
  for (absl::string_view part : absl::StrSplit(rest, '&')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) return Bad(i18n::Tr("parameter without a value"));
    std::string name, value;
    if (!PercentDecode(part.substr(0, eq), &name) || !PercentDecode(part.substr(eq + 1), &value)) {
      return Bad(i18n::Tr("a malformed %-escape"));
    }
    if (name == "server") {
      if (have_server) return Bad(i18n::Tr("server is given twice"));
      have_server = true;
      out.server = value;
    } else if (name == "pass") {
      if (have_pass) return Bad(i18n::Tr("pass is given twice"));
      have_pass = true;
      out.pass = value;
    } else {
      return Bad(i18n::Trf("unknown parameter '$0'", name.substr(0, 40)));
    }
  }
  if (!have_server || out.server.empty()) return Bad(i18n::Tr("server=HOST:PORT is missing"));
  if (!have_pass || out.pass.empty()) return Bad(i18n::Tr("pass=... is missing"));
  for (absl::string_view hp : absl::StrSplit(out.server, ',')) {
    if (!ValidHostPort(hp))
      return Bad(i18n::Tr("server must be HOST:PORT (several comma-separated)"));
  }
  if (out.pass.size() > 200) return Bad(i18n::Tr("the pass is longer than 200 characters"));
  for (char c : out.pass) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return Bad(i18n::Tr("the pass holds characters a pass never has"));
    }
  }
  return out;
}

}  // namespace proctor::cli
