// The proctor:// links an LMS page offers ("Start proctor-client"): the browser hands them to the
// handler registered on the learner's machine (client/linux/proctor-client.desktop; the Windows
// installer where that client exists), which runs `proctor-client open LINK`.
//
//   proctor://run?server=HOST:PORT[,HOST:PORT...]&pass=PASS
//
// A link is only a way to fill in --server and --pass: it can never agree to the consent notice
// for the learner (`open` has no --consent), so a web page cannot start a camera by itself.
#ifndef PROCTOR_CLIENT_CLI_PROCTOR_LINK_H_
#define PROCTOR_CLIENT_CLI_PROCTOR_LINK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace proctor::cli {

struct ProctorLink {
  std::string server;  // host:port[,host:port...]
  std::string pass;
};

// INVALID_ARGUMENT, saying what is wrong, for anything but a well-formed link: scheme proctor,
// action run, exactly the parameters server and pass once each (percent-encoding allowed), a
// server list of host:port (DNS name, IPv4 or [IPv6]; port 1-65535), a pass of 1-200 characters
// from [A-Za-z0-9_-].
absl::StatusOr<ProctorLink> ParseProctorLink(absl::string_view link);

}  // namespace proctor::cli

#endif  // PROCTOR_CLIENT_CLI_PROCTOR_LINK_H_
