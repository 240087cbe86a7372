// The console's pages as HTML strings, rendered on the server. Every value from the database or
// the request goes through Html(); pages load only /assets/console.css and no script at all.
// Pure functions, thread-safe.
#ifndef PROCTOR_SERVER_HTTP_PAGES_H_
#define PROCTOR_SERVER_HTTP_PAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/i18n.h"
#include "server/http/review_desk.h"

namespace proctor::server::http {

// What every signed-in page needs: who is signed in (for the header) and the CSRF token that
// every form posts back.
// The language is the reader's: ?lang=, else the proctor_lang cookie, else Accept-Language.
struct PageContext {
  std::string examiner_label;
  std::string csrf_token;
  i18n::Language language = i18n::Language::kEnglish;
};

std::string LoginPage(const std::string& login_nonce, const std::string& error,
                      i18n::Language language = i18n::Language::kEnglish);
// `pending_self_enrollments`: how many self-enrolled learners wait for a photo check (a pointer
// to /enrollments when there are any).
std::string QueuePage(const PageContext& context, const std::vector<QueueRow>& rows,
                      int pending_self_enrollments = 0);
// /enrollments: the photos waiting for an examiner's check, each with its decision form, and the
// decisions made. `notice`: shown at the top when not empty (after a decision).
std::string SelfEnrollmentsPage(const PageContext& context, const SelfEnrollmentsPageView& view,
                                bool all_decided, const std::string& notice);
std::string SessionPageHtml(const PageContext& context, const SessionPage& page,
                            const std::string& notice);
std::string ResultsPage(const PageContext& context, const std::vector<ResultRow>& rows);
// Standalone and printable: evidence embedded as data: URIs, no navigation.
// `language`: chosen when it is printed (the report link offers both).
std::string ReportPage(const SessionReport& report, const std::string& generated_for,
                       int64_t generated_at_unix_ms,
                       i18n::Language language = i18n::Language::kEnglish);
// In the context's language, else `language` (no one signed in).
// A learner's LTI attempt page (/lti/attempts/ID): how to start the client, then what the
// server has verified, then the way on to the assessment.
struct LtiLaunchView {
  std::string learner_name;
  int template_count = 0;
  bool self_enrollment_pending = false;  // self-enrolled, the photo not confirmed yet
  std::string assessment_title, course;
  AssessmentKind kind = AssessmentKind::kIntermediate;
  std::string pass;
  int64_t pass_expires_at_unix_ms = 0;
  std::string grpc_address;  // host:port the client connects to
  // What the server has seen (lti::AttemptStatus).
  bool session_started = false;
  bool session_closed = false;
  bool identity_verified = false;
  bool evidence_mismatch = false;
  bool liveness_required = false;
  bool liveness_passed = false;
  bool ready = false;
  // Where the learner continues once ready: Proctoring Services' start_assessment_url (a form
  // posting continue_jwt as JWT), or a course's proctor_continue_url (a link); "" for none.
  std::string continue_url;
  std::string continue_jwt;
};
// The administrator's view of the LMS connections (/lms).
std::string LmsPage(const PageContext& context, const LmsPageView& view);

std::string LtiLaunchPage(const LtiLaunchView& view, i18n::Language language);
// A launch by an instructor or another member of staff: nothing is created for them.
std::string LtiStaffPage(const std::string& name, i18n::Language language);
// A refused launch: `message` is a fixed message id (translated here).
// After LtiEndAssessment: the session is closed; a link back to the LMS when it gave one.
std::string LtiEndedPage(bool had_session, const std::string& return_url, i18n::Language language);
std::string LtiErrorPage(int http_status, const std::string& message, i18n::Language language);
std::string ErrorPage(const PageContext* context, int http_status, const std::string& message,
                      i18n::Language language = i18n::Language::kEnglish);

// Column headings in `language` (a spreadsheet's reader); the JSON export keeps its stable keys.
// Russian gets a UTF-8 byte order mark, without which Excel reads Cyrillic as Windows-1251.
std::string ResultsCsv(const std::vector<ResultRow>& rows,
                       i18n::Language language = i18n::Language::kEnglish);
std::string ResultsJson(const std::vector<ResultRow>& rows);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_PAGES_H_
