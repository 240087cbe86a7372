// Pieces shared by the console's pages (pages.cc, session_pages.cc). Internal to server/http.
#ifndef PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_
#define PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_

#include <string>

#include "server/core/domain.h"
#include "server/http/pages.h"

namespace proctor::server::http {

// The page frame: header with navigation and sign-out when `context` is set.
std::string Layout(const std::string& title, const PageContext* context, const std::string& body);
std::string CsrfField(const PageContext& context);
std::string VerdictBadge(Verdict verdict);
std::string StatusBadge(ResultStatus status);
std::string RiskBar(double risk);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_
