// Static assets of the console, embedded at build time from server/http/assets/ (see
// CMakeLists.txt), so a deployed binary serves exactly what the repository holds.
#ifndef PROCTOR_SERVER_HTTP_ASSETS_H_
#define PROCTOR_SERVER_HTTP_ASSETS_H_

#include <string_view>

namespace proctor::server::http {

std::string_view ConsoleCss();

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_ASSETS_H_
