// Layout, sign-in, queue, results, errors and the result exports. The session page and the
// report are in session_pages.cc.
#include "server/http/pages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "server/http/html.h"
#include "server/http/page_layout.h"

namespace proctor::server::http {

std::string Layout(const std::string& title, const PageContext* context, const std::string& body,
                   i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  std::string out =
      absl::StrCat("<!doctype html>\n<html lang=\"", i18n::LanguageCode(language),
                   "\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>",
                   Html(title), " · ", Html(t.Tr("proctor review")),
                   "</title><link rel=\"stylesheet\" href=\"/assets/console.css\">"
                   "</head><body><header class=\"top\"><a class=\"brand\" href=\"/queue\">",
                   Html(t.Tr("proctor review")), "</a>");
  if (context != nullptr) {
    absl::StrAppend(
        &out, "<nav><a href=\"/queue\">", Html(t.Tr("Queue")), "</a><a href=\"/results\">",
        Html(t.Tr("Results")), "</a><a href=\"/enrollments\" id=\"nav-enrollments\">",
        Html(t.Tr("Self-enrollments")), "</a><a href=\"/lms\">", Html(t.Tr("LMS")),
        "</a></nav><span class=\"who\">", Html(context->examiner_label),
        "</span><form class=\"signout\" method=\"post\" action=\"/logout\">", CsrfField(*context),
        "<button type=\"submit\">", Html(t.Tr("Sign out")), "</button></form>");
  }
  // The switch: a GET that sets the proctor_lang cookie and comes back to this page.
  absl::StrAppend(&out, "<nav class=\"lang\" id=\"lang-switch\" aria-label=\"",
                  Html(t.Tr("Language")), "\">");
  for (i18n::Language other : i18n::kLanguages) {
    const std::string code(i18n::LanguageCode(other));
    if (other == language) {
      absl::StrAppend(&out, "<strong lang=\"", code, "\">",
                      Html(std::string(i18n::LanguageName(other))), "</strong>");
    } else {
      absl::StrAppend(&out, "<a lang=\"", code, "\" hreflang=\"", code, "\" href=\"?lang=", code,
                      "\" id=\"lang-", code, "\">", Html(std::string(i18n::LanguageName(other))),
                      "</a>");
    }
  }
  absl::StrAppend(&out, "</nav></header><main>", body, "</main></body></html>\n");
  return out;
}

std::string CsrfField(const PageContext& context) {
  return absl::StrCat("<input type=\"hidden\" name=\"csrf\" value=\"", Html(context.csrf_token),
                      "\">");
}

namespace {

std::string VerdictMeaning(Verdict verdict, const i18n::Translator& t) {
  switch (verdict) {
    case Verdict::kAutoAccepted:
      return t.Tr("accepted automatically: nothing needed review");
    case Verdict::kPendingReview:
      return t.Tr("waiting for an examiner's verdict");
    case Verdict::kAccepted:
      return t.Tr("accepted by an examiner");
    case Verdict::kRejected:
      return t.Tr("rejected by an examiner");
    default:
      return "";
  }
}

std::string StatusMeaning(ResultStatus status, const i18n::Translator& t) {
  switch (status) {
    case ResultStatus::kOfficial:
      return t.Tr("official: the verdict allows the result");
    case ResultStatus::kPendingReview:
      return t.Tr("not official yet: the session waits for review");
    case ResultStatus::kRejected:
      return t.Tr("not recognised: the session was rejected");
    default:
      return "";
  }
}

}  // namespace

std::string VerdictBadge(Verdict verdict, const i18n::Translator& t) {
  const std::string name = VerdictName(verdict);
  return absl::StrCat("<span class=\"badge verdict-", Html(name), "\" title=\"",
                      Html(VerdictMeaning(verdict, t)), "\">", Html(name), "</span>");
}

std::string StatusBadge(ResultStatus status, const i18n::Translator& t) {
  const std::string name = ResultStatusName(status);
  return absl::StrCat("<span class=\"badge status-", Html(name), "\" title=\"",
                      Html(StatusMeaning(status, t)), "\">", Html(name), "</span>");
}

std::string RiskBar(double risk, const i18n::Translator& t) {
  // A meter element needs no style attribute (the page's CSP forbids inline styles).
  return absl::StrFormat(
      "<meter class=\"risk\" min=\"0\" max=\"1\" low=\"0.3\" high=\"0.5\" optimum=\"0\" "
      "value=\"%.2f\"></meter> <span class=\"risk-value\">%s</span>",
      risk, t.Number(risk, 2));
}

std::string LoginPage(const std::string& login_nonce, const std::string& error,
                      i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  std::string body = absl::StrCat(
      "<section class=\"card signin\"><h1>", Html(t.Tr("Examiner sign-in")), "</h1><p>",
      Html(t.Tr("Paste the examiner token an administrator issued to you")),
      " (<code>proctorctl token issue --role examiner --label \"", Html(t.Tr("Your name")),
      "\"</code>).</p>");
  if (!error.empty())
    absl::StrAppend(&body, "<p class=\"error\" role=\"alert\">", Html(error), "</p>");
  absl::StrAppend(&body,
                  "<form method=\"post\" action=\"/login\" id=\"login-form\">"
                  "<input type=\"hidden\" name=\"login_nonce\" value=\"",
                  Html(login_nonce), "\"><label for=\"token\">", Html(t.Tr("Token")),
                  "</label><input type=\"password\" id=\"token\" name=\"token\" "
                  "autocomplete=\"off\" required><button type=\"submit\" id=\"sign-in\">",
                  Html(t.Tr("Sign in")), "</button></form></section>");
  return Layout(t.Tr("Sign in"), nullptr, body, language);
}

std::string QueuePage(const PageContext& context, const std::vector<QueueRow>& rows,
                      int pending_self_enrollments) {
  const i18n::Translator& t = i18n::Translator::For(context.language);
  const int64_t n = static_cast<int64_t>(rows.size());
  std::string body =
      absl::StrCat("<h1>", Html(t.Tr("Review queue")), "</h1><p class=\"lead\">",
                   Html(t.TrNf("$0 session waiting for a verdict, highest risk first.",
                               "$0 sessions waiting for a verdict, highest risk first.", n, n)),
                   "</p>");
  if (pending_self_enrollments > 0) {
    absl::StrAppend(&body,
                    "<p class=\"notice\" id=\"enrollments-pending\"><a href=\"/enrollments\">",
                    Html(t.TrNf("$0 learner enrolled themselves: compare their photo with the "
                                "institution's record.",
                                "$0 learners enrolled themselves: compare their photos with the "
                                "institution's record.",
                                pending_self_enrollments, pending_self_enrollments)),
                    "</a></p>");
  }
  if (rows.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">", Html(t.Tr("Nothing to review.")), "</p>");
    return Layout(t.Tr("Queue"), &context, body, context.language);
  }
  absl::StrAppend(&body, "<table class=\"queue\" id=\"queue\"><thead><tr>");
  for (const char* heading :
       {i18n::N_("Risk"), i18n::N_("Learner"), i18n::N_("Assessment"), i18n::N_("State"),
        i18n::N_("Opened"), i18n::N_("Events"), i18n::N_("Session")}) {
    absl::StrAppend(&body, "<th>", Html(t.Tr(heading)), "</th>");
  }
  absl::StrAppend(&body, "</tr></thead><tbody>");
  for (const QueueRow& r : rows) {
    const std::string href = absl::StrCat("/sessions/", Html(r.session.id));
    absl::StrAppend(&body, "<tr><td>", RiskBar(r.session.risk_score, t), "</td><td><a href=\"",
                    href, "\" class=\"learner\">", Html(r.learner_name), "</a><div class=\"sub\">",
                    Html(r.session.learner_id), "</div></td><td>", Html(r.assessment.title),
                    "<div class=\"sub\">", Html(AssessmentKindName(r.assessment.kind)), " · ",
                    Html(r.assessment.course), "</div></td><td>",
                    Html(SessionStateName(r.session.state)), "</td><td>",
                    Html(t.DateTime(r.session.opened_at_unix_ms)), "</td><td>", r.session.last_seq,
                    "</td><td><a class=\"open-session\" href=\"", href, "\">", Html(r.session.id),
                    "</a></td></tr>");
  }
  absl::StrAppend(&body, "</tbody></table>");
  return Layout(t.Tr("Queue"), &context, body, context.language);
}

std::string ResultsPage(const PageContext& context, const std::vector<ResultRow>& rows) {
  const i18n::Translator& t = i18n::Translator::For(context.language);
  const int64_t n = static_cast<int64_t>(rows.size());
  std::string body = absl::StrCat(
      "<h1>", Html(t.Tr("Results")), "</h1><p class=\"lead\">",
      Html(t.TrNf("$0 result. A result is OFFICIAL only when its session's verdict allows it.",
                  "$0 results. A result is OFFICIAL only when its session's verdict allows it.", n,
                  n)),
      "</p><p class=\"exports\">", Html(t.Tr("Export:")),
      " <a href=\"/results.csv\" id=\"export-csv\">CSV</a> · "
      "<a href=\"/results.json\" id=\"export-json\">JSON</a></p>");
  absl::StrAppend(&body, "<table class=\"results\" id=\"results\"><thead><tr>");
  for (const char* heading :
       {i18n::N_("Status"), i18n::N_("Learner"), i18n::N_("Assessment"), i18n::N_("Score"),
        i18n::N_("Verdict"), i18n::N_("Submitted"), i18n::N_("Session")}) {
    absl::StrAppend(&body, "<th>", Html(t.Tr(heading)), "</th>");
  }
  absl::StrAppend(&body, "</tr></thead><tbody>");
  for (const ResultRow& r : rows) {
    const ResultRecord& result = r.view.result;
    absl::StrAppend(
        &body, "<tr data-session=\"", Html(result.session_id), "\"><td class=\"status\">",
        StatusBadge(r.view.status, t), "</td><td>", Html(r.learner_name), "<div class=\"sub\">",
        Html(result.learner_id), "</div></td><td>", Html(result.assessment_id),
        "<div class=\"sub\">", Html(AssessmentKindName(r.view.kind)), "</div></td><td>",
        absl::StrFormat("%g / %g", result.score, result.max_score), "</td><td>",
        VerdictBadge(r.view.verdict, t), "</td><td>", Html(t.DateTime(result.submitted_at_unix_ms)),
        "<div class=\"sub\">", Html(result.submitted_by), "</div></td><td><a href=\"/sessions/",
        Html(result.session_id), "\">", Html(result.session_id), "</a></td></tr>");
  }
  absl::StrAppend(&body, "</tbody></table>");
  return Layout(t.Tr("Results"), &context, body, context.language);
}

std::string ErrorPage(const PageContext* context, int http_status, const std::string& message,
                      i18n::Language language) {
  if (context != nullptr) language = context->language;
  const i18n::Translator& t = i18n::Translator::For(language);
  return Layout(
      t.Tr("Error"), context,
      absl::StrCat("<section class=\"card\"><h1>", http_status, "</h1><p class=\"error\">",
                   Html(message), "</p><p><a href=\"/queue\">", Html(t.Tr("Back to the queue")),
                   "</a></p></section>"),
      language);
}

std::string ResultsCsv(const std::vector<ResultRow>& rows, i18n::Language language) {
  const i18n::Translator& t = i18n::Translator::For(language);
  // TRANSLATORS: the CSV export's column headings (English: the field names of the JSON export).
  const char* const headings[] = {
      i18n::N_("session_id"),    i18n::N_("learner_id"),  i18n::N_("learner_name"),
      i18n::N_("assessment_id"), i18n::N_("kind"),        i18n::N_("score"),
      i18n::N_("max_score"),     i18n::N_("verdict"),     i18n::N_("status"),
      i18n::N_("submitted_at"),  i18n::N_("submitted_by")};
  std::string out = language == i18n::Language::kEnglish ? "" : "\xEF\xBB\xBF";
  for (size_t i = 0; i < std::size(headings); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", CsvField(t.Tr(headings[i])));
  }
  out += "\r\n";
  for (const ResultRow& r : rows) {
    const ResultRecord& x = r.view.result;
    const std::string fields[] = {x.session_id,
                                  x.learner_id,
                                  r.learner_name,
                                  x.assessment_id,
                                  AssessmentKindName(r.view.kind),
                                  absl::StrFormat("%g", x.score),
                                  absl::StrFormat("%g", x.max_score),
                                  VerdictName(r.view.verdict),
                                  ResultStatusName(r.view.status),
                                  UtcTime(x.submitted_at_unix_ms),
                                  x.submitted_by};
    for (size_t i = 0; i < std::size(fields); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ",", CsvField(fields[i]));
    }
    out += "\r\n";
  }
  return out;
}

std::string ResultsJson(const std::vector<ResultRow>& rows) {
  nlohmann::json results = nlohmann::json::array();
  for (const ResultRow& r : rows) {
    const ResultRecord& x = r.view.result;
    results.push_back({{"session_id", x.session_id},
                       {"learner_id", x.learner_id},
                       {"learner_name", r.learner_name},
                       {"assessment_id", x.assessment_id},
                       {"kind", AssessmentKindName(r.view.kind)},
                       {"score", x.score},
                       {"max_score", x.max_score},
                       {"verdict", VerdictName(r.view.verdict)},
                       {"status", ResultStatusName(r.view.status)},
                       {"submitted_at_unix_ms", x.submitted_at_unix_ms},
                       {"submitted_by", x.submitted_by}});
  }
  // Invalid UTF-8 (names are stored as given) is replaced, never an exception.
  return nlohmann::json{{"results", results}}.dump(2, ' ', false,
                                                   nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace proctor::server::http
