// The session timeline as inline SVG: one lane plotting each identity decision's server-side
// distance against the policy's match threshold, and one lane per flag kind with each flag as a
// band over its duration. Every mark has a <title> with the exact figures. Styling comes from
// console.css (classes only: no inline styles, so the page's CSP can forbid them).
#ifndef PROCTOR_SERVER_HTTP_TIMELINE_H_
#define PROCTOR_SERVER_HTTP_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/i18n.h"
#include "server/core/proctor_core.h"

namespace proctor::server::http {

// The length the timeline spans: the session's end, or its last event or flag when later.
int64_t TimelineSpanMs(const SessionView& view);

// The decision the server drew for an identity event: "match", "mismatch" or, without an
// enrolled template, the client's claim ("client: match").
std::string IdentityDecision(const StoredEvent& event, const Policy& policy);
// That decision as the reader's language says it.
std::string IdentityDecisionText(const std::string& decision, const i18n::Translator& t);

// Labels and tooltips in `t`'s language.
std::string TimelineSvg(const SessionView& view,
                        const i18n::Translator& t = i18n::Translator::For(
                            i18n::Language::kEnglish));

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_TIMELINE_H_
