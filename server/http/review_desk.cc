#include "server/http/review_desk.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace proctor::server::http {
namespace {

absl::Status RequireReviewer(const Principal& who) {
  return ProctorCore::Require(who, {Role::kExaminer, Role::kAdministrator});
}

}  // namespace

ReviewDesk::ReviewDesk(ReviewDeskParts parts) : parts_(std::move(parts)) {}

absl::StatusOr<Principal> ReviewDesk::SignIn(const std::string& token) {
  ASSIGN_OR_RETURN(Principal who, parts_.core->Authenticate(token));
  if (!RequireReviewer(who).ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("a ", RoleName(who.role),
                     " token cannot sign in to the review console; use an examiner token "
                     "(proctorctl token issue --role examiner)"));
  }
  return who;
}

bool ReviewDesk::StillValid(const std::string& token_hash) {
  if (token_hash.empty()) return true;  // a sign-in made without a token (tests)
  auto who = parts_.core->AuthenticateHash(token_hash);
  return who.ok() || !absl::IsUnauthenticated(who.status());  // an outage is not a revocation
}

std::string ReviewDesk::LearnerName(const std::string& learner_id) {
  auto learner = parts_.storage->GetLearner(learner_id);
  return learner.ok() ? learner->name : learner_id;
}

absl::StatusOr<std::vector<QueueRow>> ReviewDesk::Queue(const Principal& who) {
  ASSIGN_OR_RETURN(auto sessions, parts_.core->ListSessions(who, /*flagged_only=*/true));
  std::vector<QueueRow> rows;
  for (SessionRecord& s : sessions) {
    QueueRow row;
    row.learner_name = LearnerName(s.learner_id);
    auto assessment = parts_.storage->GetAssessment(s.assessment_id);
    if (assessment.ok()) {
      row.assessment = *assessment;
    } else {
      row.assessment.id = row.assessment.title = s.assessment_id;
    }
    row.session = std::move(s);
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<SessionPage> ReviewDesk::Session(const Principal& who,
                                                const std::string& session_id) {
  RETURN_IF_ERROR(ValidateId(session_id, "session id"));
  SessionPage page;
  ASSIGN_OR_RETURN(page.view, parts_.core->GetSession(who, session_id));
  ASSIGN_OR_RETURN(page.learner, parts_.storage->GetLearner(page.view.session.learner_id));
  ASSIGN_OR_RETURN(page.assessment, parts_.storage->GetAssessment(page.view.session.assessment_id));
  ASSIGN_OR_RETURN(auto results, parts_.core->ListResults(who, page.view.session.assessment_id));
  for (ResultView& r : results) {
    if (r.result.session_id == session_id) page.result = std::move(r);
  }
  ASSIGN_OR_RETURN(ProctorCore::ReviewHistory history,
                   parts_.core->SessionReviewHistory(session_id));
  page.decisions = std::move(history.entries);
  page.pending_rejection = std::move(history.open_proposal);
  page.open_appeal = std::move(history.open_appeal);
  page.barred_examiners = std::move(history.barred);
  ASSIGN_OR_RETURN(auto audit, parts_.storage->ListAudit());
  int64_t decided_at = 0;
  for (const AuditEntry& e : audit) {
    if (e.subject != session_id) continue;
    if (e.action == "retention.evidence") page.evidence_purged_at = e.at_unix_ms;
    if (e.action == "review.decide") decided_at = e.at_unix_ms;
  }
  page.evidence_kept_until =
      parts_.core->EvidenceKeptUntil(page.view.session, page.assessment.kind, decided_at);
  return page;
}

absl::StatusOr<std::vector<uint8_t>> ReviewDesk::Evidence(const Principal& who,
                                                          const std::string& session_id,
                                                          uint64_t seq) {
  RETURN_IF_ERROR(RequireReviewer(who));
  RETURN_IF_ERROR(ValidateId(session_id, "session id"));
  ASSIGN_OR_RETURN(auto sealed, parts_.storage->GetEvidence(session_id, seq));
  return parts_.box->Open(sealed, EvidenceAd(session_id, seq));
}

absl::StatusOr<SessionIntegrity> ReviewDesk::Verify(
    const SessionRecord& session, const std::vector<StoredEvent>& events,
    std::map<uint64_t, std::vector<uint8_t>>* evidence) {
  SessionIntegrity out;
  out.session = session;
  out.chain =
      VerifyChain(session, events, [&](uint64_t seq) -> absl::StatusOr<std::vector<uint8_t>> {
        ASSIGN_OR_RETURN(auto sealed, parts_.storage->GetEvidence(session.id, seq));
        ASSIGN_OR_RETURN(auto jpeg, parts_.box->Open(sealed, EvidenceAd(session.id, seq)));
        if (evidence != nullptr) (*evidence)[seq] = jpeg;
        return jpeg;
      });
  ASSIGN_OR_RETURN(auto signatures, parts_.storage->ListBatchSignatures(session.id));
  if (session.state == SessionState::kOpen) {
    // Read after the events: a batch committed in between is not part of this check.
    const uint64_t read_up_to = events.empty() ? 0 : events.back().event.seq;
    signatures.erase(
        std::remove_if(signatures.begin(), signatures.end(),
                       [&](const BatchSignature& b) { return b.head_seq > read_up_to; }),
        signatures.end());
  }
  out.signatures = VerifyBatchSignatures(session, events, signatures);
  return out;
}

absl::StatusOr<SessionReport> ReviewDesk::Report(const Principal& who,
                                                 const std::string& session_id) {
  SessionReport report;
  ASSIGN_OR_RETURN(report.page, Session(who, session_id));
  ASSIGN_OR_RETURN(SessionIntegrity checked,
                   Verify(report.page.view.session, report.page.view.events, &report.evidence));
  report.chain = std::move(checked.chain);
  report.signatures = std::move(checked.signatures);
  return report;
}

absl::StatusOr<std::vector<SessionIntegrity>> ReviewDesk::CheckIntegrity(const Principal& who) {
  RETURN_IF_ERROR(RequireReviewer(who));
  ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions,
                   parts_.storage->ListSessions(/*pending_review_only=*/false));
  std::sort(sessions.begin(), sessions.end(), [](const SessionRecord& a, const SessionRecord& b) {
    return a.opened_at_unix_ms < b.opened_at_unix_ms ||
           (a.opened_at_unix_ms == b.opened_at_unix_ms && a.id < b.id);
  });
  std::vector<SessionIntegrity> out;
  out.reserve(sessions.size());
  for (const SessionRecord& session : sessions) {
    ASSIGN_OR_RETURN(auto events, parts_.storage->ListEvents(session.id));
    ASSIGN_OR_RETURN(SessionIntegrity checked, Verify(session, events, nullptr));
    out.push_back(std::move(checked));
  }
  return out;
}

absl::Status ReviewDesk::RecordEvidenceView(const Principal& who, const std::string& session_id,
                                            const std::string& what) {
  return parts_.core->RecordEvidenceView(who, session_id, what);
}

absl::StatusOr<Verdict> ReviewDesk::Decide(const Principal& who, const std::string& session_id,
                                           Verdict verdict, const std::string& note) {
  RETURN_IF_ERROR(ValidateId(session_id, "session id"));
  return parts_.core->Decide(who, session_id, verdict, note);
}

absl::StatusOr<std::vector<ResultRow>> ReviewDesk::Results(const Principal& who) {
  ASSIGN_OR_RETURN(auto results, parts_.core->ListResults(who, ""));
  std::vector<ResultRow> rows;
  for (ResultView& r : results) {
    ResultRow row{std::move(r), ""};
    row.learner_name = LearnerName(row.view.result.learner_id);
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<SelfEnrollmentsPageView> ReviewDesk::SelfEnrollments(const Principal& who,
                                                                    bool all_decided) {
  ASSIGN_OR_RETURN(auto list, parts_.core->ListSelfEnrollments(who, /*pending_only=*/false));
  SelfEnrollmentsPageView view;
  std::map<std::string, std::string> titles;  // assessment id -> title, read once each
  for (ProctorCore::SelfEnrollmentView& e : list) {
    SelfEnrollmentRow row{std::move(e.enrollment), std::move(e.learner_name), ""};
    const std::string& assessment_id = row.enrollment.assessment_id;
    auto title = titles.find(assessment_id);
    if (title == titles.end()) {
      auto assessment = parts_.storage->GetAssessment(assessment_id);
      title =
          titles.emplace(assessment_id, assessment.ok() ? assessment->title : assessment_id).first;
    }
    row.assessment_title = title->second;
    (row.enrollment.state == SelfEnrollmentState::kPending ? view.pending : view.decided)
        .push_back(std::move(row));
  }
  std::stable_sort(view.decided.begin(), view.decided.end(), [](const auto& a, const auto& b) {
    return a.enrollment.decided_at_unix_ms > b.enrollment.decided_at_unix_ms;
  });
  view.decided_total = static_cast<int>(view.decided.size());
  const size_t shown = all_decided ? view.decided.size() : SelfEnrollmentsPageView::kRecentDecided;
  if (view.decided.size() > shown) view.decided.resize(shown);
  return view;
}

absl::StatusOr<int> ReviewDesk::PendingSelfEnrollments(const Principal& who) {
  ASSIGN_OR_RETURN(auto pending, parts_.core->ListSelfEnrollments(who, /*pending_only=*/true));
  return static_cast<int>(pending.size());
}

absl::StatusOr<MetricsInput> ReviewDesk::Metrics() {
  MetricsInput in;
  // A scan of the sessions table per scrape: fine for one institution's scale; a counter kept
  // by the ledger would not survive replicas sharing one database.
  in.writer = parts_.storage->Writer();
  auto sessions = parts_.storage->ListSessions(false);
  in.database_up = sessions.ok();
  if (sessions.ok()) {
    for (const SessionRecord& s : *sessions) {
      if (s.state == SessionState::kOpen) ++in.sessions_open;
      if (s.verdict == Verdict::kPendingReview) ++in.sessions_pending_review;
    }
  }
  if (parts_.ledger_stats) in.ledger = parts_.ledger_stats();
  if (parts_.commit_stats) in.commits = parts_.commit_stats();
  return in;
}

absl::StatusOr<ReviewDesk::LtiAttemptPage> ReviewDesk::LtiAttemptView(
    const std::string& attempt_id) {
  LtiAttemptPage page;
  ASSIGN_OR_RETURN(page.attempt, parts_.storage->GetLtiAttempt(attempt_id));
  ASSIGN_OR_RETURN(page.pass, lti::AttemptPass(parts_.box, page.attempt));
  ASSIGN_OR_RETURN(page.learner, parts_.storage->GetLearner(page.attempt.learner_id));
  ASSIGN_OR_RETURN(page.assessment, parts_.storage->GetAssessment(page.attempt.assessment_id));
  ASSIGN_OR_RETURN(page.status, lti::StatusOf(parts_.storage, page.attempt));
  auto enrollment = parts_.storage->GetSelfEnrollment(page.attempt.learner_id);
  if (!enrollment.ok() && !absl::IsNotFound(enrollment.status())) return enrollment.status();
  page.self_enrollment_pending =
      enrollment.ok() && enrollment->state == SelfEnrollmentState::kPending;
  return page;
}

absl::StatusOr<LmsPageView> ReviewDesk::Lms(const Principal& who) {
  LmsPageView view;
  ASSIGN_OR_RETURN(view.platforms, parts_.core->ListLtiPlatforms(who));  // administrators only
  ASSIGN_OR_RETURN(std::vector<LtiOutboxItem> items, parts_.storage->ListLtiOutbox(""));
  for (LtiOutboxItem& item : items) {
    if (item.done_at_unix_ms == 0) {
      ++view.pending;
      if (item.tries > 0 && view.waiting.size() < 50) view.waiting.push_back(item);
    } else if (!absl::StartsWith(item.outcome, "delivered")) {
      view.given_up.push_back(std::move(item));
    }
  }
  std::sort(view.waiting.begin(), view.waiting.end(), [](const auto& a, const auto& b) {
    return a.created_at_unix_ms < b.created_at_unix_ms;
  });
  std::sort(view.given_up.begin(), view.given_up.end(),
            [](const auto& a, const auto& b) { return a.done_at_unix_ms > b.done_at_unix_ms; });
  if (view.given_up.size() > 50) view.given_up.resize(50);
  return view;
}

absl::Status ReviewDesk::Health() {
  // One indexed read: NOT_FOUND proves the database answers.
  auto probe = parts_.storage->GetSession("healthz-probe");
  if (probe.ok() || absl::IsNotFound(probe.status())) return absl::OkStatus();
  return probe.status();
}

}  // namespace proctor::server::http
