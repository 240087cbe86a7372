// The pages a learner sees when the LMS launches proctor (LTI 1.3): the attempt — how to start
// the client, what the server has verified, the way on to the assessment — or why a launch was
// refused. In the launch's language; no script (a waiting page reloads itself).
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/http/html.h"
#include "server/http/page_layout.h"
#include "server/http/pages.h"

namespace proctor::server::http {
namespace {

std::string Step(bool done, const std::string& text, const char* id) {
  return absl::StrCat("<li id=\"", id, "\" class=\"", done ? "done" : "waiting", "\">",
                      done ? "&#10003; " : "&#8230; ", Html(text), "</li>");
}

}  // namespace

std::string LtiLaunchPage(const LtiLaunchView& v, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  const std::string command =
      absl::StrCat("proctor-client run --server ", v.grpc_address, " --pass ", v.pass);
  const std::string url = absl::StrCat("proctor://run?server=", v.grpc_address, "&pass=", v.pass);
  std::string body = absl::StrCat(
      "<section class=\"card\" id=\"lti-launch\"><h1>", Html(v.assessment_title), "</h1><p>",
      Html(t.Trf("$0 · $1 · proctoring: $2", v.course, v.learner_name, AssessmentKindName(v.kind))),
      "</p>");
  if (v.template_count == 0 && !v.session_started) {
    absl::StrAppend(&body, "<p class=\"notice\" id=\"no-template\">",
                    Html(t.Tr("You have no reference photo yet. When you start the client and "
                              "agree, it first takes 3 photos of your face (look straight at the "
                              "camera, alone, in good light). An examiner compares one of them "
                              "with your institution's record and then deletes it; until then "
                              "your result is checked by a person.")),
                    "</p>");
  }
  if (!v.session_started) {
    absl::StrAppend(&body, "<p>", Html(t.Tr("Start the proctoring client on this computer:")),
                    "</p><p><a class=\"button\" id=\"start-client\" href=\"", Html(url), "\">",
                    Html(t.Tr("Start proctor-client")), "</a></p><p>",
                    Html(t.Tr("If nothing happens, open a terminal and run:")),
                    "</p><pre id=\"command\">", Html(command), "</pre><p class=\"lead\">",
                    Html(t.Trf("The pass is for this attempt only and is valid until $0.",
                               t.DateTime(v.pass_expires_at_unix_ms))),
                    "</p>");
  }
  absl::StrAppend(
      &body, "<ol class=\"steps\" id=\"steps\">",
      Step(v.session_started, t.Tr("proctor-client has opened the session"), "step-session"),
      Step(v.identity_verified, t.Tr("the server has verified that it is you"), "step-identity"));
  if (v.liveness_required) {
    absl::StrAppend(&body, Step(v.liveness_passed,
                                t.Tr("the server has checked that you are present (liveness)"),
                                "step-liveness"));
  }
  absl::StrAppend(&body, "</ol>");
  if (v.self_enrollment_pending && v.identity_verified) {
    absl::StrAppend(&body, "<p class=\"notice\" id=\"self-enrolled\">",
                    Html(t.Tr("You were verified against the photos you took yourself: an "
                              "examiner still compares one with your institution's record, and "
                              "your result counts once they have.")),
                    "</p>");
  }
  if (v.evidence_mismatch) {
    absl::StrAppend(&body, "<p class=\"error\" id=\"blocked\">",
                    Html(t.Tr("The server's check of your evidence did not agree with your "
                              "client's: an examiner will review the session. You cannot "
                              "continue from here.")),
                    "</p>");
  } else if (v.ready && !v.continue_jwt.empty()) {
    absl::StrAppend(&body, "<form method=\"post\" id=\"continue\" action=\"", Html(v.continue_url),
                    "\"><input type=\"hidden\" name=\"JWT\" value=\"", Html(v.continue_jwt),
                    "\"><button type=\"submit\" id=\"continue-button\">",
                    Html(t.Tr("Continue to the assessment")), "</button></form>");
  } else if (v.ready && !v.continue_url.empty()) {
    absl::StrAppend(&body, "<p><a class=\"button\" id=\"continue-link\" href=\"",
                    Html(v.continue_url), "\">", Html(t.Tr("Continue to the assessment")),
                    "</a></p>");
  } else if (v.ready) {
    absl::StrAppend(&body, "<p id=\"verified\">",
                    Html(t.Tr("You are verified: go back to the course and open the "
                              "assessment.")),
                    "</p>");
  } else if (v.session_closed) {
    absl::StrAppend(&body, "<p class=\"error\" id=\"closed\">",
                    Html(t.Tr("The session ended before the server could verify you. Start "
                              "again from the course.")),
                    "</p>");
  } else {
    absl::StrAppend(&body, "<p class=\"lead\" id=\"waiting\">",
                    Html(t.Tr("This page updates itself every 5 seconds.")), "</p>");
  }
  absl::StrAppend(&body, "</section>");
  std::string page = Layout(t.Tr("Proctored assessment"), nullptr, body, language);
  const bool waiting = !v.ready && !v.evidence_mismatch && !v.session_closed;
  if (waiting) {
    const size_t head = page.find("<head>");
    if (head != std::string::npos) {
      page.insert(head + 6, "<meta http-equiv=\"refresh\" content=\"5\">");
    }
  }
  return page;
}

std::string LmsPage(const PageContext& context, const LmsPageView& v) {
  const i18n::Translator& t = i18n::Translator::For(context.language);
  std::string body = absl::StrCat("<section class=\"card\" id=\"lms-tool\"><h1>",
                                  Html(t.Tr("LMS connections (LTI 1.3)")), "</h1><p>",
                                  Html(t.Tr("Enter these addresses in the LMS when adding proctor "
                                            "as an external tool (LTI 1.3):")),
                                  "</p><dl>");
  for (const auto& [label, url, id] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {t.Tr("Login initiation URL"), v.login_url, "lms-login-url"},
           {t.Tr("Launch URL, redirect URI"), v.launch_url, "lms-launch-url"},
           {t.Tr("Public keyset (JWKS) URL"), v.jwks_url, "lms-jwks-url"}}) {
    absl::StrAppend(&body, "<dt>", Html(label), "</dt><dd><code id=\"", id, "\">", Html(url),
                    "</code></dd>");
  }
  absl::StrAppend(&body, "</dl></section><section class=\"card\" id=\"lms-platforms\"><h2>",
                  Html(t.Tr("Registered LMSs")), "</h2>");
  if (v.platforms.empty()) {
    absl::StrAppend(&body, "<p>",
                    Html(t.Tr("None yet: register one with proctorctl lti platform add.")), "</p>");
  } else {
    absl::StrAppend(&body, "<table><thead><tr><th>", Html(t.Tr("Issuer")), "</th><th>",
                    Html(t.Tr("Client id")), "</th><th>", Html(t.Tr("Deployments")), "</th><th>",
                    Html(t.Tr("Registered by")), "</th></tr></thead><tbody>");
    for (const LtiPlatform& p : v.platforms) {
      absl::StrAppend(&body, "<tr><td>", Html(p.issuer), "</td><td>", Html(p.client_id),
                      "</td><td>", Html(absl::StrJoin(p.deployment_ids, ", ")), "</td><td>",
                      Html(p.created_by), "</td></tr>");
    }
    body += "</tbody></table>";
  }
  absl::StrAppend(&body, "</section><section class=\"card\" id=\"lms-outbox\"><h2>",
                  Html(t.Tr("Verdicts on their way to the LMSs")), "</h2><p id=\"lms-pending\">",
                  Html(t.TrNf("$0 message waits to be delivered.",
                              "$0 messages wait to be delivered.", v.pending, v.pending)),
                  "</p>");
  auto rows = [&](const std::vector<LtiOutboxItem>& items, const char* id, bool done) {
    if (items.empty()) return;
    absl::StrAppend(&body, "<table id=\"", id, "\"><thead><tr><th>", Html(t.Tr("Attempt")),
                    "</th><th>", Html(t.Tr("Message")), "</th><th>", Html(t.Tr("Tries")),
                    "</th><th>", Html(done ? t.Tr("Outcome") : t.Tr("Last error")),
                    "</th></tr></thead><tbody>");
    for (const LtiOutboxItem& item : items) {
      absl::StrAppend(&body, "<tr><td><code>", Html(item.attempt_id.substr(0, 12)),
                      "</code></td><td>", Html(item.kind), "</td><td>", item.tries, "</td><td>",
                      Html(done ? item.outcome : item.last_error), "</td></tr>");
    }
    body += "</tbody></table>";
  };
  rows(v.waiting, "lms-waiting", false);
  if (!v.given_up.empty()) {
    absl::StrAppend(&body, "<h3>", Html(t.Tr("Given up")), "</h3>");
    rows(v.given_up, "lms-given-up", true);
  }
  body += "</section>";
  return Layout(t.Tr("LMS connections"), &context, body, context.language);
}

std::string LtiStaffPage(const std::string& name, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  return Layout(
      t.Tr("Proctored assessment"), nullptr,
      absl::StrCat("<section class=\"card\" id=\"lti-staff\"><h1>",
                   Html(t.Tr("Proctored assessment")), "</h1><p>",
                   Html(t.Trf("$0, this link is proctored: learners who open it get a one-time "
                              "pass and start proctor-client before the assessment.",
                              name.empty() ? t.Tr("Hello") : name)),
                   "</p><p>",
                   Html(t.Tr("Nothing was created for you. Examiners review the sessions in the "
                             "review console.")),
                   "</p><p><a href=\"/queue\">", Html(t.Tr("Open the review console")),
                   "</a></p></section>"),
      language);
}

std::string LtiEndedPage(bool had_session, const std::string& return_url, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  std::string body = absl::StrCat(
      "<section class=\"card\" id=\"lti-ended\"><h1>", Html(t.Tr("The assessment has ended")),
      "</h1><p>",
      Html(had_session ? t.Tr("Your proctored session is closed. You may close proctor-client: "
                              "what it recorded has been kept. Examiners review the session if "
                              "it needs it; your course shows the proctoring result.")
                       : t.Tr("No proctored session was opened for this attempt.")),
      "</p>");
  if (!return_url.empty()) {
    absl::StrAppend(&body, "<p><a id=\"lti-return\" href=\"", Html(return_url), "\">",
                    Html(t.Tr("Back to the course")), "</a></p>");
  }
  body += "</section>";
  return Layout(t.Tr("The assessment has ended"), nullptr, body, language);
}

std::string LtiErrorPage(int http_status, const std::string& message, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  return Layout(t.Tr("Error"), nullptr,
                absl::StrCat("<section class=\"card\"><h1>", http_status, "</h1>",
                             "<p class=\"error\" id=\"lti-error\">", Html(t.Tr(message)), "</p><p>",
                             Html(t.Tr("Nothing was recorded. Go back to the course and start "
                                       "again; if this repeats, tell your examiner.")),
                             "</p></section>"),
                language);
}

}  // namespace proctor::server::http
