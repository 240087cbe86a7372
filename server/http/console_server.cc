#include "server/http/console_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/i18n.h"
#include "common/internal_status.h"
#include "server/http/assets.h"
#include "server/http/html.h"
#include "server/http/pages.h"

namespace proctor::server::http {
namespace {

constexpr char kSessionCookie[] = "proctor_session";
constexpr char kLoginCookie[] = "proctor_login";
// The reader's choice of language (the switch on every page); not a secret, readable by pages.
constexpr char kLangCookie[] = "proctor_lang";
constexpr char kPageCsp[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";
// The report stands alone when saved: its stylesheet is inline and its evidence is data: URIs.
// Still no script of any kind.
constexpr char kReportCsp[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'";
constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kSessionIdPattern[] = "([A-Za-z0-9._-]{1,64})";
constexpr char kLearnerIdPattern[] = "([A-Za-z0-9._-]{1,64})";  // ValidateId's
// The LTI login's state, bound to the browser that started it, in a cookie named after the
// state (two launches in two tabs keep their own). SameSite=None: the launch is a cross-site
// POST from the LMS by design; Secure, which browsers also grant http://localhost; Partitioned,
// so that a browser blocking third-party cookies still keeps it for the LMS's frame.
constexpr char kLtiStateCookiePrefix[] = "proctor_lti_";
constexpr char kLtiCookieAttributes[] = "; Path=/lti; HttpOnly; SameSite=None; Secure; Partitioned";

// The cookie's name for a state ("" when the state cannot name one).
std::string LtiStateCookie(const std::string& state) {
  if (state.size() < 16) return "";
  for (char c : state.substr(0, 16)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return "";
  }
  return absl::StrCat(kLtiStateCookiePrefix, state.substr(0, 16));
}

std::string Cookie(const httplib::Request& req, const std::string& name) {
  for (size_t i = 0; i < req.get_header_value_count("Cookie"); ++i) {
    for (absl::string_view part : absl::StrSplit(req.get_header_value("Cookie", i), ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::ConsumePrefix(&part, name + "=")) return std::string(part);
    }
  }
  return "";
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

struct ConsoleServer::Impl {
  Impl(const ConsoleOptions& o, ReviewDesk* d, const Clock* c, lti::LtiTool* l)
      : options(o), desk(d), clock(c), lti(l), sessions(o.sessions, c), tls(!o.tls_cert.empty()) {}

  void Routes();
  // The signed-in examiner, or nullopt after answering: pages redirect to /login, everything
  // else (images, exports) gets 401.
  // The session's principal reads in ReaderLanguage(req, res, remember_language).
  std::optional<ConsoleSession> SignedIn(const httplib::Request& req, httplib::Response& res,
                                         bool page, bool remember_language = true);
  // The reader's language: ?lang= (remembered in the proctor_lang cookie when `remember`), else
  // that cookie, else Accept-Language.
  i18n::Language ReaderLanguage(const httplib::Request& req, httplib::Response& res,
                                bool remember = true) const;
  static PageContext Context(const ConsoleSession& s) {
    return {s.who.label, s.csrf_token, s.who.language};
  }
  // Refuses (403) a request from another site or without the expected token.
  bool SameOrigin(const httplib::Request& req, httplib::Response& res);
  bool CsrfOk(const httplib::Request& req, httplib::Response& res, const ConsoleSession& s);
  // Puts "evidence.view" of `session_id` (saying `what`) in the audit log, unless this sign-in
  // already did: once per examiner, session and sign-in keeps the log readable. An error means
  // nothing was recorded, and the evidence must not be shown.
  absl::Status AuditEvidenceView(const httplib::Request& req, const ConsoleSession& s,
                                 const std::string& session_id, const std::string& what);
  void Fail(httplib::Response& res, const ConsoleSession* s, const absl::Status& status,
            i18n::Language language = i18n::Language::kEnglish);
  std::string SessionCookie(const std::string& value, int max_age_s) const;
  void ShowLogin(httplib::Response& res, int status, const std::string& error,
                 i18n::Language language);

  void Login(const httplib::Request& req, httplib::Response& res);
  void Queue(const httplib::Request& req, httplib::Response& res);
  void Session(const httplib::Request& req, httplib::Response& res);
  void Evidence(const httplib::Request& req, httplib::Response& res);
  void Report(const httplib::Request& req, httplib::Response& res);
  void Verdict(const httplib::Request& req, httplib::Response& res);
  void Results(const httplib::Request& req, httplib::Response& res, const std::string& format);
  void Metrics(httplib::Response& res);
  void Lms(const httplib::Request& req, httplib::Response& res);
  void Enrollments(const httplib::Request& req, httplib::Response& res);
  void EnrollmentPhoto(const httplib::Request& req, httplib::Response& res);
  void DecideEnrollment(const httplib::Request& req, httplib::Response& res);
  void LtiLogin(const httplib::Request& req, httplib::Response& res);
  void LtiLaunch(const httplib::Request& req, httplib::Response& res);
  void LtiAttempt(const httplib::Request& req, httplib::Response& res);
  void LtiFail(httplib::Response& res, const absl::Status& status, i18n::Language language);

  const ConsoleOptions options;
  ReviewDesk* const desk;
  const Clock* const clock;
  lti::LtiTool* const lti;  // null: no LTI endpoints
  std::mutex grpc_address_mu;
  std::string grpc_address;  // guarded by grpc_address_mu
  ConsoleSessions sessions;
  const bool tls;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  std::once_flag stop_once;
  // Serializes AuditEvidenceView's check, append and mark, so that the images a page loads in
  // parallel record one entry, and none is shown before it is recorded.
  std::mutex evidence_audit_mu;
};

std::string ConsoleServer::Impl::SessionCookie(const std::string& value, int max_age_s) const {
  return absl::StrCat(kSessionCookie, "=", value,
                      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=", max_age_s,
                      tls ? "; Secure" : "");
}

i18n::Language ConsoleServer::Impl::ReaderLanguage(const httplib::Request& req,
                                                   httplib::Response& res, bool remember) const {
  if (req.has_param("lang")) {
    if (auto chosen = i18n::ParseLanguage(req.get_param_value("lang"))) {
      if (remember) {
        res.set_header("Set-Cookie", absl::StrCat(kLangCookie, "=", i18n::LanguageCode(*chosen),
                                                  "; Path=/; Max-Age=31536000; SameSite=Lax",
                                                  tls ? "; Secure" : ""));
      }
      return *chosen;
    }
  }
  if (auto kept = i18n::ParseLanguage(Cookie(req, kLangCookie))) return *kept;
  return i18n::LanguageFromAcceptLanguage(req.get_header_value("Accept-Language"));
}

std::optional<ConsoleSession> ConsoleServer::Impl::SignedIn(const httplib::Request& req,
                                                            httplib::Response& res, bool page,
                                                            bool remember_language) {
  auto session = sessions.Find(Cookie(req, kSessionCookie));
  if (session && !desk->StillValid(session->token_hash)) {
    spdlog::info("console: {} signed out: the token was revoked", session->who.label);
    sessions.Remove(Cookie(req, kSessionCookie));
    session.reset();
  }
  if (session) {
    session->who.language = ReaderLanguage(req, res, remember_language);
    return session;
  }
  if (page) {
    res.set_redirect("/login", 303);
  } else {
    res.status = 401;
    res.set_content(i18n::Translator::For(ReaderLanguage(req, res, false))
                            .Tr("sign in to the review console first (/login)") +
                        "\n",
                    "text/plain; charset=utf-8");
  }
  return std::nullopt;
}

bool ConsoleServer::Impl::SameOrigin(const httplib::Request& req, httplib::Response& res) {
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  const std::string origin = req.get_header_value("Origin");
  const std::string expected =
      absl::StrCat(tls ? "https://" : "http://", req.get_header_value("Host"));
  const bool cross_site = (!site.empty() && site != "same-origin" && site != "none") ||
                          (!origin.empty() && origin != expected);
  if (!cross_site) return true;
  res.status = 403;
  const i18n::Language language = ReaderLanguage(req, res, false);
  res.set_content(
      ErrorPage(nullptr, 403, i18n::Translator::For(language).Tr("cross-site request refused"),
                language),
      kHtml);
  return false;
}

bool ConsoleServer::Impl::CsrfOk(const httplib::Request& req, httplib::Response& res,
                                 const ConsoleSession& s) {
  if (!SameOrigin(req, res)) return false;
  if (SecretsEqual(req.get_param_value("csrf"), s.csrf_token)) return true;
  res.status = 403;
  res.set_content(ErrorPage(nullptr, 403,
                            i18n::Translator::For(s.who.language)
                                .Tr("request refused: missing or wrong CSRF token (reload the "
                                    "page and try again)"),
                            s.who.language),
                  kHtml);
  return false;
}

absl::Status ConsoleServer::Impl::AuditEvidenceView(const httplib::Request& req,
                                                    const ConsoleSession& s,
                                                    const std::string& session_id,
                                                    const std::string& what) {
  const std::string cookie = Cookie(req, kSessionCookie);
  std::lock_guard<std::mutex> lock(evidence_audit_mu);
  if (sessions.EvidenceViewRecorded(cookie, session_id)) return absl::OkStatus();
  if (absl::Status recorded = desk->RecordEvidenceView(s.who, session_id, what); !recorded.ok()) {
    return recorded;
  }
  sessions.MarkEvidenceViewRecorded(cookie, session_id);
  return absl::OkStatus();
}

void ConsoleServer::Impl::Fail(httplib::Response& res, const ConsoleSession* s,
                               const absl::Status& status, i18n::Language language) {
  if (s != nullptr) language = s->who.language;
  const i18n::Translator& t = i18n::Translator::For(language);
  res.status = HttpStatusFor(status);
  std::string message(status.message());
  // A database failure names its address or path: for the server log, not the examiner.
  if (res.status == 500 || IsMarkedInternal(status)) {
    spdlog::error("console: {}", status.ToString());
    message = res.status == 503 ? t.Tr("the server's storage is unavailable; retry in a moment")
                                : t.Tr("internal error; the server log has the details");
  }
  PageContext context;
  if (s != nullptr) context = Context(*s);
  res.set_content(ErrorPage(s != nullptr ? &context : nullptr, res.status, message, language),
                  kHtml);
}

void ConsoleServer::Impl::ShowLogin(httplib::Response& res, int status, const std::string& error,
                                    i18n::Language language) {
  const std::string nonce = RandomToken(20);
  res.status = status;
  res.set_header("Set-Cookie", absl::StrCat(kLoginCookie, "=", nonce,
                                            "; Path=/login; HttpOnly; SameSite=Strict; "
                                            "Max-Age=900",
                                            tls ? "; Secure" : ""));
  res.set_content(LoginPage(nonce, error, language), kHtml);
}

void ConsoleServer::Impl::Login(const httplib::Request& req, httplib::Response& res) {
  // Login CSRF: the form's nonce must match the cookie set with the form (double submit).
  if (!SameOrigin(req, res)) return;
  const i18n::Language language = ReaderLanguage(req, res, false);
  const i18n::Translator& t = i18n::Translator::For(language);
  const std::string nonce = Cookie(req, kLoginCookie);
  if (nonce.empty() || !SecretsEqual(nonce, req.get_param_value("login_nonce"))) {
    return ShowLogin(res, 403, t.Tr("The sign-in form expired; please try again."), language);
  }
  auto who = desk->SignIn(req.get_param_value("token"));
  if (!who.ok()) {
    spdlog::warn("console: sign-in refused: {}", std::string(who.status().message()));
    return ShowLogin(res, absl::IsPermissionDenied(who.status()) ? 403 : 401,
                     absl::IsUnauthenticated(who.status()) ? t.Tr("Unknown token.")
                                                           : std::string(who.status().message()),
                     language);
  }
  const std::string cookie = sessions.Create(*who, SecretHash(req.get_param_value("token")));
  res.set_header("Set-Cookie",
                 SessionCookie(cookie, static_cast<int>(options.sessions.max_lifetime_ms / 1000)));
  res.set_header("Set-Cookie", absl::StrCat(kLoginCookie, "=; Path=/login; Max-Age=0"));
  res.set_redirect("/queue", 303);
  spdlog::info("console: {} signed in", who->label);
}

void ConsoleServer::Impl::Queue(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, true);
  if (!s) return;
  auto rows = desk->Queue(s->who);
  if (!rows.ok()) return Fail(res, &*s, rows.status());
  // Only a pointer to another page: the queue is still worth showing without it.
  auto enrollments = desk->PendingSelfEnrollments(s->who);
  if (!enrollments.ok()) {
    spdlog::warn("console: counting pending self-enrollments: {}", enrollments.status().ToString());
  }
  res.set_content(QueuePage(Context(*s), *rows, enrollments.value_or(0)), kHtml);
}

void ConsoleServer::Impl::Session(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, true);
  if (!s) return;
  auto page = desk->Session(s->who, req.matches[1]);
  if (!page.ok()) return Fail(res, &*s, page.status());
  const i18n::Translator& t = i18n::Translator::For(s->who.language);
  std::string notice;
  if (req.has_param("decided")) notice = t.Tr("Verdict recorded.");
  if (req.has_param("proposed")) {
    notice = t.Tr("Rejection proposed: a second examiner must agree before it takes effect.");
  }
  res.set_content(SessionPageHtml(Context(*s), *page, notice), kHtml);
}

void ConsoleServer::Impl::Evidence(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, false);
  if (!s) return;
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(std::string(req.matches[2]), &seq)) {
    return Fail(res, &*s,
                absl::InvalidArgumentError(i18n::Translator::For(s->who.language).Tr("bad seq")));
  }
  const std::string id = req.matches[1];
  auto jpeg = desk->Evidence(s->who, id, seq);
  if (!jpeg.ok()) return Fail(res, &*s, jpeg.status());
  if (auto audited = AuditEvidenceView(req, *s, id, absl::StrCat("seq ", seq)); !audited.ok()) {
    return Fail(res, &*s, audited);
  }
  res.set_header("Cache-Control", "private, no-store");
  res.set_content(reinterpret_cast<const char*>(jpeg->data()), jpeg->size(), "image/jpeg");
}

void ConsoleServer::Impl::Report(const httplib::Request& req, httplib::Response& res) {
  // The report's ?lang= is the language it is printed in, not the console's.
  auto s = SignedIn(req, res, true, /*remember_language=*/false);
  if (!s) return;
  const std::string id = req.matches[1];
  auto report = desk->Report(s->who, id);
  if (!report.ok()) return Fail(res, &*s, report.status());
  if (!report->evidence.empty()) {  // the report embeds the evidence images
    auto audited = AuditEvidenceView(
        req, *s, id, absl::StrCat("report, ", report->evidence.size(), " image(s)"));
    if (!audited.ok()) return Fail(res, &*s, audited);
  }
  res.set_header("Content-Security-Policy", kReportCsp);
  res.set_content(ReportPage(*report, s->who.label, clock->NowUnixMs(), s->who.language), kHtml);
}

void ConsoleServer::Impl::Verdict(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, false);
  if (!s || !CsrfOk(req, res, *s)) return;
  const std::string id = req.matches[1];
  const std::string choice = req.get_param_value("verdict");
  if (choice != "accept" && choice != "reject") {
    return Fail(res, &*s,
                absl::InvalidArgumentError(
                    i18n::Translator::For(s->who.language).Tr("choose accept or reject")));
  }
  auto decided =
      desk->Decide(s->who, id, choice == "accept" ? Verdict::kAccepted : Verdict::kRejected,
                   req.get_param_value("note"));
  if (!decided.ok()) return Fail(res, &*s, decided.status());
  spdlog::info("console: {} decided session {}: {}", s->who.label, id, VerdictName(*decided));
  const bool proposed = choice == "reject" && *decided == Verdict::kPendingReview;
  res.set_redirect(absl::StrCat("/sessions/", id, proposed ? "?proposed=1" : "?decided=1"), 303);
}

void ConsoleServer::Impl::Enrollments(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, true);
  if (!s) return;
  const bool all = req.get_param_value("all") == "1";
  auto view = desk->SelfEnrollments(s->who, all);
  if (!view.ok()) return Fail(res, &*s, view.status());
  const i18n::Translator& t = i18n::Translator::For(s->who.language);
  std::string notice;
  // Said only of a decision that is there to see (the parameter is the reader's to change).
  const std::string decided = req.get_param_value("decided");
  for (const SelfEnrollmentRow& row : view->decided) {
    if (decided.empty() || row.enrollment.learner_id != decided) continue;
    notice = row.enrollment.state == SelfEnrollmentState::kConfirmed
                 ? t.Trf("Self-enrollment of $0 confirmed; the photo is deleted.", decided)
                 : t.Trf(
                       "Self-enrollment of $0 rejected: the photo and the face templates are "
                       "deleted; an administrator must enroll the learner.",
                       decided);
  }
  res.set_content(SelfEnrollmentsPage(Context(*s), *view, all, notice), kHtml);
}

void ConsoleServer::Impl::EnrollmentPhoto(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, false);
  if (!s) return;
  auto jpeg = desk->SelfEnrollmentPhoto(s->who, req.matches[1]);  // audited by the core
  if (!jpeg.ok()) return Fail(res, &*s, jpeg.status());
  res.headers.erase("Cache-Control");  // instead of the default header, not beside it
  res.set_header("Cache-Control", "private, no-store");
  res.set_content(reinterpret_cast<const char*>(jpeg->data()), jpeg->size(), "image/jpeg");
}

void ConsoleServer::Impl::DecideEnrollment(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, false);
  if (!s || !CsrfOk(req, res, *s)) return;
  const i18n::Translator& t = i18n::Translator::For(s->who.language);
  const std::string learner_id = req.matches[1];
  const std::string decision = req.get_param_value("decision");
  if (decision != "confirm" && decision != "reject") {
    return Fail(res, &*s, absl::InvalidArgumentError(t.Tr("choose confirm or reject")));
  }
  const std::string note = req.get_param_value("note");
  if (absl::StripAsciiWhitespace(note).empty()) {
    return Fail(res, &*s,
                absl::InvalidArgumentError(
                    t.Tr("write a note: what you compared the photo with (nothing was changed)")));
  }
  auto decided = desk->DecideSelfEnrollment(s->who, learner_id, decision == "confirm", note);
  if (!decided.ok()) return Fail(res, &*s, decided.status());
  spdlog::info("console: {} decided the self-enrollment of {}: {}", s->who.label, learner_id,
               SelfEnrollmentStateName(*decided));
  res.set_redirect(absl::StrCat("/enrollments?decided=", learner_id), 303);
}

void ConsoleServer::Impl::Results(const httplib::Request& req, httplib::Response& res,
                                  const std::string& format) {
  auto s = SignedIn(req, res, format == "html");
  if (!s) return;
  auto rows = desk->Results(s->who);
  if (!rows.ok()) return Fail(res, &*s, rows.status());
  if (format == "csv") {
    res.set_header("Content-Disposition", "attachment; filename=\"results.csv\"");
    res.set_content(ResultsCsv(*rows, s->who.language), "text/csv; charset=utf-8");
  } else if (format == "json") {
    res.set_header("Content-Disposition", "attachment; filename=\"results.json\"");
    res.set_content(ResultsJson(*rows), "application/json");
  } else {
    res.set_content(ResultsPage(Context(*s), *rows), kHtml);
  }
}

void ConsoleServer::Impl::Metrics(httplib::Response& res) {
  auto input = desk->Metrics();
  if (!input.ok()) {
    res.status = 503;
    res.set_content(absl::StrCat("metrics unavailable: ", input.status().message(), "\n"),
                    "text/plain");
    return;
  }
  res.set_content(RenderMetrics(*input), "text/plain; version=0.0.4; charset=utf-8");
}

// The LTI pages may be shown in a frame of the LMS's own pages. An LMS frames from its
// institution's host, which is not always its issuer's (Canvas: canvas.instructure.com issues,
// school.instructure.com frames), so any https origin may frame them; they hold nothing without
// the attempt's unguessable address. `form_action` adds origins the page's forms post to.
static void AllowLmsFrames(httplib::Response& res, const std::string& issuer,
                           const std::string& form_action) {
  res.headers.erase("X-Frame-Options");
  const std::string issuer_origin = LtiUrlOrigin(issuer);
  res.set_header("Content-Security-Policy",
                 absl::StrCat("default-src 'none'; style-src 'self'; img-src 'self'; "
                              "form-action 'self'",
                              form_action, "; base-uri 'none'; frame-ancestors 'self' https:",
                              issuer_origin.empty() ? "" : " " + issuer_origin));
}

void ConsoleServer::Impl::LtiFail(httplib::Response& res, const absl::Status& status,
                                  i18n::Language language) {
  AllowLmsFrames(res, "", "");
  res.status = HttpStatusFor(status);
  std::string message(status.message());
  if (res.status == 500 || IsMarkedInternal(status)) {
    spdlog::error("LTI: {}", status.ToString());
    message = res.status == 503 ? "the server's storage is unavailable; retry in a moment"
                                : "internal error; the server log has the details";
  }
  res.set_content(LtiErrorPage(res.status, message, language), kHtml);
}

void ConsoleServer::Impl::Lms(const httplib::Request& req, httplib::Response& res) {
  auto s = SignedIn(req, res, true);
  if (!s) return;
  auto view = desk->Lms(s->who);
  if (!view.ok()) return Fail(res, &*s, view.status());
  if (lti != nullptr) {
    view->login_url = lti->login_url();
    view->launch_url = lti->launch_url();
    view->jwks_url = lti->jwks_url();
  }
  res.set_content(LmsPage(Context(*s), *view), kHtml);
}

void ConsoleServer::Impl::LtiLogin(const httplib::Request& req, httplib::Response& res) {
  const i18n::Language language = ReaderLanguage(req, res, false);
  lti::LoginRequest login{req.get_param_value("iss"),
                          req.get_param_value("login_hint"),
                          req.get_param_value("target_link_uri"),
                          req.get_param_value("lti_message_hint"),
                          req.get_param_value("client_id"),
                          req.has_param("lti_deployment_id")
                              ? req.get_param_value("lti_deployment_id")
                              : req.get_param_value("deployment_id")};
  auto redirect = lti->Login(login);
  if (!redirect.ok()) return LtiFail(res, redirect.status(), language);
  res.set_header("Set-Cookie", absl::StrCat(LtiStateCookie(redirect->state), "=", redirect->state,
                                            kLtiCookieAttributes, "; Max-Age=600"));
  res.set_redirect(redirect->location, 302);
}

void ConsoleServer::Impl::LtiLaunch(const httplib::Request& req, httplib::Response& res) {
  const std::string state = req.get_param_value("state");
  const std::string cookie = LtiStateCookie(state);
  auto launch = lti->Launch(req.get_param_value("id_token"), state,
                            cookie.empty() ? "" : Cookie(req, cookie));
  // The state is used: the browser forgets it either way.
  if (!cookie.empty()) {
    res.set_header("Set-Cookie", absl::StrCat(cookie, "=", kLtiCookieAttributes, "; Max-Age=0"));
  }
  if (!launch.ok()) return LtiFail(res, launch.status(), ReaderLanguage(req, res, false));
  const i18n::Language language =
      i18n::ParseLanguage(launch->locale).value_or(ReaderLanguage(req, res, false));
  if (launch->message_type == "LtiEndAssessment") {
    auto ended = desk->EndLti(*launch);
    if (absl::IsNotFound(ended.status())) {
      spdlog::warn("LTI end of assessment: {}", std::string(ended.status().message()));
      return LtiFail(res,
                     absl::NotFoundError(i18n::N_(
                         "the LMS ended an assessment attempt that was never proctored here")),
                     language);
    }
    if (!ended.ok()) return LtiFail(res, ended.status(), language);
    AllowLmsFrames(res, launch->platform.issuer, "");
    res.set_content(
        LtiEndedPage(!ended->session_id.empty(), lti::ServicesOf(*launch).return_url, language),
        kHtml);
    return;
  }
  if (!lti::IsLearnerLaunch(*launch)) {
    AllowLmsFrames(res, launch->platform.issuer, "");
    res.set_content(LtiStaffPage(launch->name, language), kHtml);
    return;
  }
  auto provisioned = desk->ProvisionLti(*launch);
  if (!provisioned.ok()) return LtiFail(res, provisioned.status(), language);
  // Post/redirect/get: the attempt's page can be reloaded (it reloads itself while it waits).
  res.set_redirect(absl::StrCat("/lti/attempts/", provisioned->attempt.id), 303);
}

void ConsoleServer::Impl::LtiAttempt(const httplib::Request& req, httplib::Response& res) {
  auto page = desk->LtiAttemptView(req.matches[1]);
  if (!page.ok()) {
    return LtiFail(res,
                   absl::IsNotFound(page.status())
                       ? absl::NotFoundError(i18n::N_("this attempt is unknown: start it again "
                                                      "from the course page"))
                       : page.status(),
                   ReaderLanguage(req, res, false));
  }
  const i18n::Language language =
      i18n::ParseLanguage(page->attempt.locale).value_or(ReaderLanguage(req, res, false));
  LtiLaunchView view;
  view.learner_name = page->learner.name;
  view.template_count = page->learner.template_count;
  view.self_enrollment_pending = page->self_enrollment_pending;
  view.assessment_title = page->assessment.title;
  view.course = page->assessment.course;
  view.kind = page->assessment.kind;
  view.pass = page->pass;
  view.pass_expires_at_unix_ms = page->attempt.pass_expires_at_unix_ms;
  {
    std::lock_guard<std::mutex> lock(grpc_address_mu);
    view.grpc_address = grpc_address;
  }
  const lti::AttemptStatus& st = page->status;
  view.session_started = !st.session_id.empty();
  view.session_closed = st.session_closed;
  view.identity_verified = st.identity_verified;
  view.evidence_mismatch = st.evidence_mismatch;
  view.liveness_required = st.liveness_required;
  view.liveness_passed = st.liveness_passed;
  view.ready = st.ready();
  view.continue_url = page->attempt.start_assessment_url;
  if (view.ready && page->attempt.message_type == "LtiStartProctoring") {
    auto jwt =
        lti->Sign(lti::StartAssessmentClaims(page->attempt, page->learner, st, desk->NowUnixMs()));
    if (!jwt.ok()) return LtiFail(res, jwt.status(), language);
    view.continue_jwt = *jwt;
  }
  // The way on posts to the LMS, and only there.
  const std::string continue_origin = LtiUrlOrigin(view.continue_url);
  AllowLmsFrames(res, page->attempt.issuer, continue_origin.empty() ? "" : " " + continue_origin);
  res.set_content(LtiLaunchPage(view, language), kHtml);
}

void ConsoleServer::Impl::Routes() {
  httplib::Server& s = *server;
  s.set_payload_max_length(64 << 10);
  s.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                         // Not no-referrer: under it browsers send "Origin: null" with the
                         // console's own forms, and the origin check would refuse them.
                         {"Referrer-Policy", "same-origin"},
                         {"X-Frame-Options", "DENY"},
                         {"Cache-Control", "no-store"}});
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.has_header("Content-Security-Policy")) {
      res.set_header("Content-Security-Policy", kPageCsp);
    }
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          what = x.what();
        } catch (...) {
        }
        spdlog::error("console: {} {}: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content("internal error\n", "text/plain");
      });
  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const absl::Status health = desk->Health();
    res.status = health.ok() ? 200 : 503;
    // First line: "ok" or why not (what load balancers and probes read); then where it writes.
    const StorageWriter writer = desk->Writer();
    std::string where = absl::StrCat("database: ", writer.backend);
    if (!writer.member.empty()) absl::StrAppend(&where, ", writing to ", writer.member);
    if (writer.backend == "postgresql") {
      absl::StrAppend(&where, ", ", writer.failovers,
                      writer.failovers == 1 ? " failover seen" : " failovers seen");
    }
    res.set_content(absl::StrCat(health.ok() ? "ok" : absl::StrCat("unhealthy: ", health.message()),
                                 "\n", where, "\n"),
                    "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { Metrics(res); });
  s.Get("/assets/console.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(ConsoleCss()), "text/css; charset=utf-8");
  });
  s.Get("/",
        [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/queue", 303); });
  s.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
    ShowLogin(res, 200, "", ReaderLanguage(req, res));
  });
  s.Post("/login",
         [this](const httplib::Request& req, httplib::Response& res) { Login(req, res); });
  s.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
    auto session = SignedIn(req, res, false);
    if (!session || !CsrfOk(req, res, *session)) return;
    sessions.Remove(Cookie(req, kSessionCookie));
    res.set_header("Set-Cookie", SessionCookie("", 0));
    res.set_redirect("/login", 303);
  });
  s.Get("/queue", [this](const httplib::Request& req, httplib::Response& res) { Queue(req, res); });
  s.Get("/results",
        [this](const httplib::Request& req, httplib::Response& res) { Results(req, res, "html"); });
  s.Get("/lms", [this](const httplib::Request& req, httplib::Response& res) { Lms(req, res); });
  s.Get("/enrollments",
        [this](const httplib::Request& req, httplib::Response& res) { Enrollments(req, res); });
  const std::string enrollment = absl::StrCat("/enrollments/", kLearnerIdPattern);
  s.Get(enrollment + "/photo",
        [this](const httplib::Request& req, httplib::Response& res) { EnrollmentPhoto(req, res); });
  s.Post(enrollment + "/decide", [this](const httplib::Request& req, httplib::Response& res) {
    DecideEnrollment(req, res);
  });
  s.Get("/results.csv",
        [this](const httplib::Request& req, httplib::Response& res) { Results(req, res, "csv"); });
  s.Get("/results.json",
        [this](const httplib::Request& req, httplib::Response& res) { Results(req, res, "json"); });
  if (lti != nullptr) {
    s.Get("/lti/jwks", [this](const httplib::Request&, httplib::Response& res) {
      auto jwks = lti->Jwks();
      if (!jwks.ok()) {
        res.status = 503;
        res.set_content("{\"error\": \"keys unavailable\"}", "application/json");
        return;
      }
      res.headers.erase("Cache-Control");
      res.set_header("Cache-Control", "max-age=300");
      res.set_content(*jwks, "application/json");
    });
    s.Get("/lti/login",
          [this](const httplib::Request& req, httplib::Response& res) { LtiLogin(req, res); });
    s.Post("/lti/login",
           [this](const httplib::Request& req, httplib::Response& res) { LtiLogin(req, res); });
    s.Post("/lti/launch",
           [this](const httplib::Request& req, httplib::Response& res) { LtiLaunch(req, res); });
    s.Get("/lti/attempts/([0-9a-f]{64})",
          [this](const httplib::Request& req, httplib::Response& res) { LtiAttempt(req, res); });
  }
  const std::string session = absl::StrCat("/sessions/", kSessionIdPattern);
  s.Get(session,
        [this](const httplib::Request& req, httplib::Response& res) { Session(req, res); });
  s.Get(session + "/evidence/([0-9]{1,19})",
        [this](const httplib::Request& req, httplib::Response& res) { Evidence(req, res); });
  s.Get(session + "/report",
        [this](const httplib::Request& req, httplib::Response& res) { Report(req, res); });
  s.Post(session + "/verdict",
         [this](const httplib::Request& req, httplib::Response& res) { Verdict(req, res); });
}

absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(const ConsoleOptions& options,
                                                                    ReviewDesk* desk,
                                                                    const Clock* clock,
                                                                    lti::LtiTool* lti) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http '", options.listen, "' is not host:port (or '' to disable)"));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  auto impl = std::make_unique<Impl>(options, desk, clock, lti);
  if (impl->tls) {
    auto ssl =
        std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("HTTP console: cannot use TLS certificate ",
                                                     options.tls_cert, " with key ",
                                                     options.tls_key));
    }
    impl->server = std::move(ssl);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  impl->Routes();
  // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, with which a second server
  // on the same --http port starts silently and the kernel splits examiners between the two.
  impl->server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (port == 0) {
    impl->port = impl->server->bind_to_any_port(host);
  } else if (impl->server->bind_to_port(host, port)) {
    impl->port = port;
  }
  if (impl->port <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "HTTP console: cannot listen on ", options.listen,
        " (address in use or not allowed?); choose another with --http HOST:PORT, or --http '' "
        "to run without the console"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server->listen_after_bind(); });
  spdlog::info("review console on {}://{}:{}/ (/healthz, /metrics)", impl->tls ? "https" : "http",
               host, impl->port);
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConsoleServer::~ConsoleServer() { Stop(); }

int ConsoleServer::port() const { return impl_->port; }

void ConsoleServer::SetGrpcAddress(const std::string& address) {
  std::lock_guard<std::mutex> lock(impl_->grpc_address_mu);
  impl_->grpc_address = address;
}

void ConsoleServer::Stop() {
  std::call_once(impl_->stop_once, [this] {
    impl_->server->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  });
}

}  // namespace proctor::server::http
