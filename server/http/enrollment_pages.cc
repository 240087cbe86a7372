// The self-enrollments page (/enrollments): the photos that learners' clients took, each to be
// compared with the institution's record and confirmed or rejected, then the decisions made.
#include "absl/strings/str_cat.h"
#include "server/http/html.h"
#include "server/http/page_layout.h"
#include "server/http/pages.h"

namespace proctor::server::http {
namespace {

using Tl = i18n::Translator;

// In the reader's language; the class and data-state keep the stable name ("confirmed", ...).
std::string StateBadge(SelfEnrollmentState state, const Tl& t) {
  const std::string name = SelfEnrollmentStateName(state);
  std::string text = name;
  switch (state) {
    case SelfEnrollmentState::kPending:
      text = t.Tr("waiting for a check");
      break;
    case SelfEnrollmentState::kConfirmed:
      text = t.Tr("confirmed");
      break;
    case SelfEnrollmentState::kRejected:
      text = t.Tr("rejected");
      break;
  }
  return absl::StrCat("<span class=\"badge enrollment-", Html(name), "\" data-state=\"", Html(name),
                      "\">", Html(text), "</span>");
}

std::string NameOnRecord(const SelfEnrollmentRow& r, const Tl& t) {
  if (r.learner_name.empty()) {
    return absl::StrCat("<span class=\"empty\">", Html(t.Tr("no name on record")), "</span>");
  }
  return absl::StrCat("<span class=\"learner\">", Html(r.learner_name), "</span>");
}

std::string AssessmentCell(const SelfEnrollmentRow& r) {
  if (r.assessment_title == r.enrollment.assessment_id) return Html(r.assessment_title);
  return absl::StrCat(Html(r.assessment_title), " <span class=\"sub\">",
                      Html(r.enrollment.assessment_id), "</span>");
}

std::string DecisionForm(const PageContext& context, const std::string& id, const Tl& t) {
  return absl::StrCat(
      "<form method=\"post\" action=\"/enrollments/", id, "/decide\" id=\"decide-", id,
      "\" class=\"verdict\">", CsrfField(context), "<label for=\"note-", id, "\">",
      Html(t.Tr("Note: what you compared the photo with (kept in the audit log)")),
      "</label><textarea id=\"note-", id,
      "\" name=\"note\" rows=\"2\" maxlength=\"2000\" required></textarea><p><button "
      "type=\"submit\" name=\"decision\" value=\"confirm\" id=\"confirm-",
      id, "\">", Html(t.Tr("Confirm")), "</button> ",
      Html(t.Tr("The photo shows the learner on record: from now on their sessions are decided "
                "as for any enrolled learner.")),
      "</p><p><button type=\"submit\" name=\"decision\" value=\"reject\" id=\"reject-", id, "\">",
      Html(t.Tr("Reject")), "</button> ",
      Html(t.Tr("Someone else: the learner's face templates are deleted and an administrator "
                "must enroll the learner.")),
      "</p></form>");
}

std::string PendingCard(const PageContext& context, const SelfEnrollmentRow& r, const Tl& t) {
  const SelfEnrollment& e = r.enrollment;
  const std::string id = Html(e.learner_id);
  return absl::StrCat(
      "<article class=\"card enrollment\" id=\"enrollment-", id, "\" data-learner=\"", id,
      "\"><h2>", Html(r.learner_name.empty() ? e.learner_id : r.learner_name),
      "</h2><figure class=\"enrollment-photo\"><img src=\"/enrollments/", id,
      "/photo\" width=\"240\" alt=\"", Html(t.Tr("The photo the learner's client took")),
      "\"></figure><dl class=\"summary\"><dt>", Html(t.Tr("Learner id")), "</dt><dd><code>", id,
      "</code></dd><dt>", Html(t.Tr("Name on record")), "</dt><dd>", NameOnRecord(r, t),
      "</dd><dt>", Html(t.Tr("Assessment")), "</dt><dd>", AssessmentCell(r), "</dd><dt>",
      Html(t.Tr("Enrolled")), "</dt><dd>", Html(t.DateTime(e.created_at_unix_ms)), "</dd><dt>",
      Html(t.Tr("Photos")), "</dt><dd>",
      Html(t.TrNf("$0 photo taken; this one is kept for the check",
                  "$0 photos taken; the first is kept for the check", e.photos, e.photos)),
      "</dd></dl>", DecisionForm(context, id, t), "</article>");
}

std::string DecidedTable(const SelfEnrollmentsPageView& view, bool all_decided, const Tl& t) {
  std::string out = absl::StrCat("<section class=\"card\" id=\"enrollments-decided\"><h2>",
                                 Html(t.Tr("Decided")), "</h2>");
  if (view.decided.empty()) {
    absl::StrAppend(&out, "<p class=\"empty\">", Html(t.Tr("No decision yet.")), "</p></section>");
    return out;
  }
  if (!all_decided && view.decided_total > static_cast<int>(view.decided.size())) {
    absl::StrAppend(&out, "<p class=\"lead\">",
                    Html(t.Trf("The last $0 of $1 decisions are shown.", view.decided.size(),
                               view.decided_total)),
                    " <a href=\"/enrollments?all=1\" id=\"enrollments-all\">",
                    Html(t.Tr("Show all")), "</a></p>");
  }
  absl::StrAppend(&out, "<table id=\"decided\"><thead><tr>");
  for (const char* heading : {i18n::N_("Learner"), i18n::N_("Assessment"), i18n::N_("State"),
                              i18n::N_("Decided by"), i18n::N_("Decided"), i18n::N_("Note")}) {
    absl::StrAppend(&out, "<th>", Html(t.Tr(heading)), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead><tbody>");
  for (const SelfEnrollmentRow& r : view.decided) {
    const SelfEnrollment& e = r.enrollment;
    absl::StrAppend(&out, "<tr data-learner=\"", Html(e.learner_id), "\"><td>", NameOnRecord(r, t),
                    "<div class=\"sub\">", Html(e.learner_id), "</div></td><td>", AssessmentCell(r),
                    "</td><td>", StateBadge(e.state, t), "</td><td>", Html(e.decided_by),
                    "</td><td>", Html(t.DateTime(e.decided_at_unix_ms)), "</td><td>", Html(e.note),
                    "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table></section>");
  return out;
}

}  // namespace

std::string SelfEnrollmentsPage(const PageContext& context, const SelfEnrollmentsPageView& view,
                                bool all_decided, const std::string& notice) {
  const Tl& t = Tl::For(context.language);
  const int64_t n = static_cast<int64_t>(view.pending.size());
  std::string body = absl::StrCat(
      "<h1>", Html(t.Tr("Self-enrollments")), "</h1><p class=\"lead\">",
      Html(t.Tr("These learners were created by the LMS and enrolled themselves: their client "
                "took the photos. Compare each photo with the institution's record of the "
                "learner (the student ID, the admission file). Until you confirm, every session "
                "of the learner goes to review. The photo is deleted once you decide, and each "
                "look at it is recorded in the audit log.")),
      "</p>");
  if (!notice.empty()) {
    absl::StrAppend(&body, "<p class=\"notice\" id=\"enrollment-notice\" role=\"status\">",
                    Html(notice), "</p>");
  }
  absl::StrAppend(
      &body, "<section id=\"enrollments-waiting\"><h2>",
      Html(t.TrNf("$0 learner waits for a check", "$0 learners wait for a check", n, n)), "</h2>");
  if (view.pending.empty()) {
    absl::StrAppend(&body, "<p class=\"empty\">", Html(t.Tr("No photo waits for a check.")),
                    "</p>");
  }
  for (const SelfEnrollmentRow& r : view.pending) {
    absl::StrAppend(&body, PendingCard(context, r, t));
  }
  absl::StrAppend(&body, "</section>", DecidedTable(view, all_decided, t));
  return Layout(t.Tr("Self-enrollments"), &context, body, context.language);
}

}  // namespace proctor::server::http
