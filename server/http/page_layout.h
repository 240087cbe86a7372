// Pieces shared by the console's pages (pages.cc, session_pages.cc). Internal to server/http.
#ifndef PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_
#define PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_

#include <string>

#include "server/core/domain.h"
#include "server/http/pages.h"

namespace proctor::server::http {

// The page frame: header with navigation and sign-out when `context` is set.
// In `language`, with a switch to the other languages (links that keep the page).
std::string Layout(const std::string& title, const PageContext* context, const std::string& body,
                   i18n::Language language);
std::string CsrfField(const PageContext& context);
// The stable names (ACCEPTED, OFFICIAL) are shown as they are: they are what the LMS and the
// exports carry; the badge's title says it in the reader's language.
std::string VerdictBadge(Verdict verdict, const i18n::Translator& t);
std::string StatusBadge(ResultStatus status, const i18n::Translator& t);
std::string RiskBar(double risk, const i18n::Translator& t);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_PAGE_LAYOUT_H_
