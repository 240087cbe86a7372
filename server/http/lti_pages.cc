// The pages a learner sees when the LMS launches proctor (LTI 1.3): the launch accepted, with
// the pass and how to start the client, or why it was refused. In the launch's language.
#include "absl/strings/str_cat.h"
#include "server/http/html.h"
#include "server/http/page_layout.h"
#include "server/http/pages.h"

namespace proctor::server::http {

std::string LtiLaunchPage(const LtiLaunchView& v, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  const std::string command =
      absl::StrCat("proctor-client run --server ", v.grpc_address, " --pass ", v.pass);
  const std::string url =
      absl::StrCat("proctor://run?server=", v.grpc_address, "&pass=", v.pass);
  std::string body = absl::StrCat(
      "<section class=\"card\" id=\"lti-launch\"><h1>", Html(v.assessment_title), "</h1><p>",
      Html(t.Trf("$0 · $1 · proctoring: $2", v.course, v.learner_name,
                 AssessmentKindName(v.kind))),
      "</p>");
  if (v.template_count == 0) {
    absl::StrAppend(&body, "<p class=\"error\" id=\"no-template\">",
                    Html(t.Tr("You have no enrolled face photo yet: the exam cannot verify you. "
                              "Ask your examiner to enroll you before the exam.")),
                    "</p>");
  }
  absl::StrAppend(
      &body, "<p>", Html(t.Tr("Start the proctoring client on this computer:")),
      "</p><p><a class=\"button\" id=\"start-client\" href=\"", Html(url), "\">",
      Html(t.Tr("Start proctor-client")), "</a></p><p>",
      Html(t.Tr("If nothing happens, open a terminal and run:")),
      "</p><pre id=\"command\">", Html(command), "</pre><p class=\"lead\">",
      Html(t.Trf("The pass is for this attempt only and is valid until $0.",
                 t.DateTime(v.pass_expires_at_unix_ms))),
      "</p>");
  if (v.proctoring_services) {
    absl::StrAppend(&body, "<p>",
                    Html(t.Tr("Keep this page open: once the server has verified that it is you, "
                              "the assessment opens from here.")),
                    "</p>");
  }
  absl::StrAppend(&body, "</section>");
  return Layout(t.Tr("Proctored assessment"), nullptr, body, language);
}

std::string LtiErrorPage(int http_status, const std::string& message, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  return Layout(t.Tr("Error"), nullptr,
                absl::StrCat("<section class=\"card\"><h1>", http_status, "</h1>",
                             "<p class=\"error\" id=\"lti-error\">", Html(t.Tr(message)),
                             "</p><p>",
                             Html(t.Tr("Nothing was recorded. Go back to the course and start "
                                       "again; if this repeats, tell your examiner.")),
                             "</p></section>"),
                language);
}

}  // namespace proctor::server::http
