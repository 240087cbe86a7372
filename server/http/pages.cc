// Layout, sign-in, queue, results, errors and the result exports. The session page and the
// report are in session_pages.cc.
#include "server/http/pages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "server/http/html.h"
#include "server/http/page_layout.h"

namespace proctor::server::http {

std::string Layout(const std::string& title, const PageContext* context, const std::string& body) {
  std::string out = absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      Html(title),
      " · proctor review</title><link rel=\"stylesheet\" href=\"/assets/console.css\">"
      "</head><body><header class=\"top\"><a class=\"brand\" href=\"/queue\">proctor review</a>");
  if (context != nullptr) {
    absl::StrAppend(&out,
                    "<nav><a href=\"/queue\">Queue</a><a href=\"/results\">Results</a></nav>"
                    "<span class=\"who\">",
                    Html(context->examiner_label),
                    "</span><form class=\"signout\" method=\"post\" action=\"/logout\">",
                    CsrfField(*context), "<button type=\"submit\">Sign out</button></form>");
  }
  absl::StrAppend(&out, "</header><main>", body, "</main></body></html>\n");
  return out;
}

std::string CsrfField(const PageContext& context) {
  return absl::StrCat("<input type=\"hidden\" name=\"csrf\" value=\"", Html(context.csrf_token),
                      "\">");
}

std::string VerdictBadge(Verdict verdict) {
  const std::string name = VerdictName(verdict);
  return absl::StrCat("<span class=\"badge verdict-", Html(name), "\">", Html(name), "</span>");
}

std::string StatusBadge(ResultStatus status) {
  const std::string name = ResultStatusName(status);
  return absl::StrCat("<span class=\"badge status-", Html(name), "\">", Html(name), "</span>");
}

std::string RiskBar(double risk) {
  // A meter element needs no style attribute (the page's CSP forbids inline styles).
  return absl::StrFormat(
      "<meter class=\"risk\" min=\"0\" max=\"1\" low=\"0.3\" high=\"0.5\" optimum=\"0\" "
      "value=\"%.2f\"></meter> <span class=\"risk-value\">%.2f</span>",
      risk, risk);
}

std::string LoginPage(const std::string& login_nonce, const std::string& error) {
  std::string body =
      "<section class=\"card signin\"><h1>Examiner sign-in</h1>"
      "<p>Paste the examiner token an administrator issued to you "
      "(<code>proctorctl token issue --role examiner --label \"Your name\"</code>).</p>";
  if (!error.empty())
    absl::StrAppend(&body, "<p class=\"error\" role=\"alert\">", Html(error), "</p>");
  absl::StrAppend(&body,
                  "<form method=\"post\" action=\"/login\" id=\"login-form\">"
                  "<input type=\"hidden\" name=\"login_nonce\" value=\"",
                  Html(login_nonce),
                  "\"><label for=\"token\">Token</label>"
                  "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" "
                  "required><button type=\"submit\" id=\"sign-in\">Sign in</button></form>"
                  "</section>");
  return Layout("Sign in", nullptr, body);
}

std::string QueuePage(const PageContext& context, const std::vector<QueueRow>& rows) {
  std::string body = absl::StrCat("<h1>Review queue</h1><p class=\"lead\">", rows.size(),
                                  " session(s) waiting for a verdict, highest risk first.</p>");
  if (rows.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">Nothing to review.</p>");
    return Layout("Queue", &context, body);
  }
  absl::StrAppend(&body,
                  "<table class=\"queue\" id=\"queue\"><thead><tr><th>Risk</th><th>Learner</th>"
                  "<th>Assessment</th><th>State</th><th>Opened</th><th>Events</th><th>Session</th>"
                  "</tr></thead><tbody>");
  for (const QueueRow& r : rows) {
    const std::string href = absl::StrCat("/sessions/", Html(r.session.id));
    absl::StrAppend(&body, "<tr><td>", RiskBar(r.session.risk_score), "</td><td><a href=\"", href,
                    "\" class=\"learner\">", Html(r.learner_name), "</a><div class=\"sub\">",
                    Html(r.session.learner_id), "</div></td><td>", Html(r.assessment.title),
                    "<div class=\"sub\">", Html(AssessmentKindName(r.assessment.kind)), " · ",
                    Html(r.assessment.course), "</div></td><td>",
                    Html(SessionStateName(r.session.state)), "</td><td>",
                    Html(UtcTime(r.session.opened_at_unix_ms)), "</td><td>", r.session.last_seq,
                    "</td><td><a class=\"open-session\" href=\"", href, "\">", Html(r.session.id),
                    "</a></td></tr>");
  }
  absl::StrAppend(&body, "</tbody></table>");
  return Layout("Queue", &context, body);
}

std::string ResultsPage(const PageContext& context, const std::vector<ResultRow>& rows) {
  std::string body = absl::StrCat(
      "<h1>Results</h1><p class=\"lead\">", rows.size(),
      " result(s). A result is OFFICIAL only when its session's verdict allows it.</p>"
      "<p class=\"exports\">Export: <a href=\"/results.csv\" id=\"export-csv\">CSV</a> · "
      "<a href=\"/results.json\" id=\"export-json\">JSON</a></p>");
  absl::StrAppend(&body,
                  "<table class=\"results\" id=\"results\"><thead><tr><th>Status</th>"
                  "<th>Learner</th><th>Assessment</th><th>Score</th><th>Verdict</th>"
                  "<th>Submitted</th><th>Session</th></tr></thead><tbody>");
  for (const ResultRow& r : rows) {
    const ResultRecord& result = r.view.result;
    absl::StrAppend(
        &body, "<tr data-session=\"", Html(result.session_id), "\"><td class=\"status\">",
        StatusBadge(r.view.status), "</td><td>", Html(r.learner_name), "<div class=\"sub\">",
        Html(result.learner_id), "</div></td><td>", Html(result.assessment_id),
        "<div class=\"sub\">", Html(AssessmentKindName(r.view.kind)), "</div></td><td>",
        absl::StrFormat("%g / %g", result.score, result.max_score), "</td><td>",
        VerdictBadge(r.view.verdict), "</td><td>", Html(UtcTime(result.submitted_at_unix_ms)),
        "<div class=\"sub\">", Html(result.submitted_by), "</div></td><td><a href=\"/sessions/",
        Html(result.session_id), "\">", Html(result.session_id), "</a></td></tr>");
  }
  absl::StrAppend(&body, "</tbody></table>");
  return Layout("Results", &context, body);
}

std::string ErrorPage(const PageContext* context, int http_status, const std::string& message) {
  return Layout(
      "Error", context,
      absl::StrCat("<section class=\"card\"><h1>", http_status, "</h1><p class=\"error\">",
                   Html(message), "</p><p><a href=\"/queue\">Back to the queue</a></p></section>"));
}

std::string ResultsCsv(const std::vector<ResultRow>& rows) {
  std::string out =
      "session_id,learner_id,learner_name,assessment_id,kind,score,max_score,verdict,status,"
      "submitted_at,submitted_by\r\n";
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
