// Small text helpers the LTI messages share: query and form values percent-encoded, and string
// members read from JSON that may hold anything (a platform's or an attacker's).
#ifndef PROCTOR_SERVER_LTI_WIRE_TEXT_H_
#define PROCTOR_SERVER_LTI_WIRE_TEXT_H_

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace proctor::server::lti {

// RFC 3986 percent-encoding: everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view value);

// object[name] when `object` is an object and that member a string; "" otherwise.
std::string JsonText(const nlohmann::json& object, const std::string& name);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_WIRE_TEXT_H_
