#include "server/lti/lti_delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/i18n.h"
#include "common/status_macros.h"
#include "protocol/identity_rule.h"
#include "server/core/policy.h"
#include "server/lti/wire_text.h"

namespace proctor::server::lti {
namespace {

constexpr char kActor[] = "lti delivery";

const i18n::Translator& TranslatorFor(const LtiAttempt& attempt) {
  return i18n::Translator::For(
      i18n::ParseLanguage(attempt.locale).value_or(i18n::Language::kEnglish));
}

std::string VerdictWords(Verdict verdict, const i18n::Translator& t) {
  switch (verdict) {
    case Verdict::kAutoAccepted:
      return t.Tr("accepted automatically");
    case Verdict::kAccepted:
      return t.Tr("accepted by an examiner");
    case Verdict::kPendingReview:
      return t.Tr("waiting for an examiner's review");
    case Verdict::kRejected:
      return t.Tr("rejected by the examiners");
    case Verdict::kNone:
      break;
  }
  return t.Tr("no verdict");
}

LtiOutboxItem Item(std::string kind, nlohmann::json payload, int64_t now_unix_ms) {
  LtiOutboxItem item;
  item.kind = std::move(kind);
  item.payload = payload.dump();
  item.created_at_unix_ms = now_unix_ms;
  item.due_at_unix_ms = now_unix_ms;
  return item;
}

}  // namespace

std::vector<LtiOutboxItem> PlanDelivery(const LtiAttemptChange& change, const ChangeFacts& facts,
                                        int64_t now_unix_ms) {
  const AttemptServices services = ParseServices(change.attempt.services);
  const i18n::Translator& t = TranslatorFor(change.attempt);
  std::vector<LtiOutboxItem> items;
  if (services.sub.empty()) return items;
  const bool pending = change.verdict == Verdict::kPendingReview;
  if (!services.lineitems_url.empty() && services.HasScope(kScopeScore) &&
      services.HasScope(kScopeLineItem)) {
    nlohmann::json score = {{"label", t.Tr("Proctoring")},
                            {"activity", "Completed"},
                            {"grading", pending ? "PendingManual" : "FullyGraded"},
                            {"comment", t.Trf("Proctoring: $0. The examiner's report: $1",
                                              VerdictWords(change.verdict, t), facts.report_url)},
                            {"timestamp_ms", now_unix_ms}};
    if (change.verdict == Verdict::kAutoAccepted || change.verdict == Verdict::kAccepted) {
      score["score_given"] = 1;
    } else if (change.verdict == Verdict::kRejected) {
      score["score_given"] = 0;
    }  // pending: no score, "not yet graded"
    items.push_back(Item("score", std::move(score), now_unix_ms));
  }
  if (pending && services.AcsSupports("flag")) {
    items.push_back(Item("flag",
                         {{"action", "flag"},
                          {"reason_code", "proctor.review"},
                          {"reason_msg", t.Trf("The proctored session goes to an examiner's "
                                               "review. The report: $0",
                                               facts.report_url)},
                          {"incident_time_ms", now_unix_ms}},
                         now_unix_ms));
  }
  if (change.verdict == Verdict::kRejected && facts.terminate_on_confirmed_mismatch &&
      facts.server_saw_mismatch && services.AcsSupports("terminate")) {
    items.push_back(Item("terminate",
                         {{"action", "terminate"},
                          {"reason_code", "proctor.identity_mismatch"},
                          {"reason_msg", t.Trf("The examiners confirmed that someone other than "
                                               "the learner took the assessment. The report: $0",
                                               facts.report_url)},
                          {"incident_time_ms", now_unix_ms},
                          {"incident_severity", 1.0}},
                         now_unix_ms));
  }
  // The LMS's own grade, once: at the first outcome of the session. Under Proctoring Services
  // only: there the resource link is the assessment itself, while a resource link placed before
  // a quiz (Moodle, Canvas) has no grade of the LMS's own to read.
  if (change.attempt.reported_state == 0 && change.attempt.message_type == "LtiStartProctoring" &&
      services.HasScope(kScopeResultRead) &&
      (!services.lineitem_url.empty() || !services.lineitems_url.empty())) {
    items.push_back(Item("result", {{"session_id", change.session_id}}, now_unix_ms));
  }
  return items;
}

LtiDelivery::LtiDelivery(LtiDeliveryOptions options, Storage* storage, ProctorCore* core,
                         LtiTool* tool, AgsClient* ags, const Clock* clock)
    : options_(options), storage_(storage), core_(core), tool_(tool), ags_(ags), clock_(clock) {}

LtiDelivery::~LtiDelivery() { Stop(); }

void LtiDelivery::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      absl::StatusOr<DeliveryRound> round = RunOnce();
      if (!round.ok()) spdlog::warn("LTI delivery: {}", round.status().ToString());
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stopping_; });
    }
  });
}

void LtiDelivery::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<ChangeFacts> LtiDelivery::FactsOf(const LtiAttemptChange& change) {
  ChangeFacts facts;
  ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(change.attempt.assessment_id));
  const Policy policy = PolicyFor(assessment.kind);
  facts.kind = assessment.kind;
  facts.terminate_on_confirmed_mismatch = policy.terminate_on_confirmed_mismatch;
  facts.report_url = absl::StrCat(tool_->public_url(), "/sessions/", change.session_id);
  if (change.verdict == Verdict::kRejected && policy.terminate_on_confirmed_mismatch) {
    ASSIGN_OR_RETURN(std::vector<StoredEvent> events, storage_->ListEvents(change.session_id));
    for (const StoredEvent& e : events) {
      // The server's own measurement only, never the client's word.
      facts.server_saw_mismatch |= e.event.kind == EventKind::kIdentityMismatch &&
                                   e.server_distance >= 0 && ServerSeesMismatch(e, policy);
    }
  }
  return facts;
}

absl::StatusOr<int> LtiDelivery::QueueChanges() {
  const bool full = rounds_++ % static_cast<uint64_t>(std::max(options_.full_scan_every, 1)) == 0;
  const int64_t after = full ? 0 : clock_->NowUnixMs() - options_.recent_window_ms;
  ASSIGN_OR_RETURN(std::vector<LtiAttemptChange> changes,
                   storage_->ListLtiAttemptChanges(options_.batch, after));
  int queued = 0;
  for (const LtiAttemptChange& change : changes) {
    ASSIGN_OR_RETURN(ChangeFacts facts, FactsOf(change));
    std::vector<LtiOutboxItem> items = PlanDelivery(change, facts, clock_->NowUnixMs());
    const size_t count = items.size();
    absl::Status queued_now = storage_->QueueLtiChange(change, std::move(items));
    if (absl::IsAborted(queued_now)) continue;  // another replica queued this change
    RETURN_IF_ERROR(queued_now);
    ++queued;
    spdlog::info("LTI attempt {}: session {} is {} ({}); {} message(s) queued for the LMS",
                 change.attempt.id.substr(0, 12), change.session_id,
                 change.state == SessionState::kClosed ? "closed" : "open",
                 VerdictWords(change.verdict, i18n::Translator::For(i18n::Language::kEnglish)),
                 count);
  }
  return queued;
}

absl::Status LtiDelivery::Send(const LtiOutboxItem& item, std::string& outcome) {
  ASSIGN_OR_RETURN(LtiAttempt attempt, storage_->GetLtiAttempt(item.attempt_id));
  absl::StatusOr<LtiPlatform> platform_or =
      tool_->RegisteredPlatform(attempt.issuer, attempt.client_id);
  if (absl::IsNotFound(platform_or.status())) {  // removed: retrying will not bring it back
    return absl::FailedPreconditionError(platform_or.status().message());
  }
  ASSIGN_OR_RETURN(LtiPlatform platform, std::move(platform_or));
  const AttemptServices services = ParseServices(attempt.services);
  const nlohmann::json payload = nlohmann::json::parse(item.payload, nullptr, false);
  if (!payload.is_object()) return absl::InternalError("the outbox item is not a JSON object");

  if (item.kind == "score") {
    std::string lineitem;
    {
      std::lock_guard<std::mutex> lock(line_item_mu_);
      ASSIGN_OR_RETURN(lineitem, ags_->FindOrCreateLineItem(
                                     platform, services.lineitems_url, attempt.resource_link_id,
                                     kProctoringTag, JsonText(payload, "label"), 1.0));
    }
    AgsScore score;
    score.user_id = services.sub;
    if (payload.contains("score_given") && payload["score_given"].is_number()) {
      score.score_given = payload["score_given"].get<double>();
      score.score_maximum = 1.0;
    }
    score.comment = JsonText(payload, "comment");
    score.activity_progress = JsonText(payload, "activity");
    score.grading_progress = JsonText(payload, "grading");
    score.timestamp_unix_ms = payload.value("timestamp_ms", int64_t{0});
    absl::Status posted = ags_->PostScore(platform, lineitem, score);
    if (absl::IsAlreadyExists(posted)) {
      outcome = "delivered (the platform held this score already)";
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(posted);
    outcome = score.score_given ? absl::StrFormat("delivered: score %g/1", *score.score_given)
                                : "delivered: pending manual grading";
    return absl::OkStatus();
  }

  if (item.kind == "flag" || item.kind == "terminate") {
    nlohmann::json request = {
        {"user", {{"iss", attempt.issuer}, {"sub", services.sub}}},
        {"resource_link", {{"id", attempt.resource_link_id}}},
        {"attempt_number", std::max(attempt.attempt_number, 1)},
        {"action", item.kind},
        {"incident_time", Iso8601Utc(payload.value("incident_time_ms", item.created_at_unix_ms))},
        {"reason_code", JsonText(payload, "reason_code")},
        {"reason_msg", JsonText(payload, "reason_msg")}};
    if (payload.contains("incident_severity")) {
      request["incident_severity"] = payload["incident_severity"];
    }
    ASSIGN_OR_RETURN(std::string status,
                     ags_->AssessmentControl(platform, services.acs_url, request));
    outcome = absl::StrCat("delivered: the attempt is ", status);
    return absl::OkStatus();
  }

  if (item.kind == "result") {
    std::string lineitem = services.lineitem_url;
    if (lineitem.empty()) {
      // The LMS's own line item of the assessment: the resource link's, not ours.
      ASSIGN_OR_RETURN(std::vector<AgsLineItem> items,
                       ags_->LineItems(platform, services.lineitems_url, attempt.resource_link_id));
      for (const AgsLineItem& li : items) {
        if (li.tag != kProctoringTag) {
          lineitem = li.id;
          break;
        }
      }
    }
    if (lineitem.empty()) {
      return absl::UnavailableError(
          "the LMS has no line item of its own for the assessment yet (no grade to read)");
    }
    ASSIGN_OR_RETURN(std::vector<AgsResult> results,
                     ags_->Results(platform, lineitem, services.sub));
    for (const AgsResult& r : results) {
      if (r.user_id != services.sub || !r.score || !r.maximum || *r.maximum <= 0) continue;
      const Principal lms{Role::kLmsConnector, "lti " + attempt.issuer, ""};
      const std::string session_id = JsonText(payload, "session_id");
      absl::StatusOr<ResultStatus> status =
          core_->SubmitResult(lms, session_id, *r.score, *r.maximum);
      if (absl::IsInvalidArgument(status.status())) {
        return absl::FailedPreconditionError(
            absl::StrCat("the LMS's grade cannot be recorded: ", status.status().message()));
      }
      RETURN_IF_ERROR(status.status());
      outcome = absl::StrFormat("delivered: the LMS's grade %g/%g recorded for session %s",
                                *r.score, *r.maximum, session_id);
      return absl::OkStatus();
    }
    return absl::UnavailableError("the LMS has not graded the learner yet");
  }
  return absl::InternalError(absl::StrCat("unknown outbox item kind '", item.kind, "'"));
}

absl::StatusOr<DeliveryRound> LtiDelivery::RunOnce() {
  DeliveryRound round;
  ASSIGN_OR_RETURN(round.queued, QueueChanges());
  const int64_t now = clock_->NowUnixMs();
  ASSIGN_OR_RETURN(std::vector<LtiOutboxItem> claimed,
                   storage_->ClaimLtiOutbox(now, now + options_.lease_ms, options_.batch));
  for (LtiOutboxItem& item : claimed) {
    std::string outcome;
    const absl::Status sent = Send(item, outcome);
    const int64_t after = clock_->NowUnixMs();
    const std::string what = absl::StrCat(item.kind, " #", item.seq);
    if (sent.ok()) {
      item.done_at_unix_ms = after;
      item.outcome = outcome;
      item.last_error.clear();
      ++round.delivered;
    } else if (absl::IsUnavailable(sent) &&
               after - item.created_at_unix_ms < options_.give_up_after_ms) {
      int64_t wait = options_.first_retry_ms;
      for (int i = 1; i < item.tries && wait < options_.max_retry_ms; ++i) wait *= 2;
      item.due_at_unix_ms = after + std::min(wait, options_.max_retry_ms);
      item.last_error = std::string(sent.message());
      ++round.retrying;
      spdlog::info("LTI attempt {}: {} not delivered (try {}), again in {} s: {}",
                   item.attempt_id.substr(0, 12), what, item.tries,
                   (item.due_at_unix_ms - after) / 1000, item.last_error);
    } else {
      item.done_at_unix_ms = after;
      item.outcome = absl::StrCat(absl::IsUnavailable(sent)
                                      ? absl::StrCat("given up after ", item.tries, " tries: ")
                                      : "refused: ",
                                  sent.message());
      item.last_error = std::string(sent.message());
      ++round.given_up;
      spdlog::warn("LTI attempt {}: {} {}", item.attempt_id.substr(0, 12), what, item.outcome);
    }
    RETURN_IF_ERROR(storage_->UpdateLtiOutboxItem(item));
    if (item.done_at_unix_ms != 0) {
      // For an appeal: when the LMS was told what, or why it never was.
      RETURN_IF_ERROR(
          storage_->AppendAudit({after, kActor, sent.ok() ? "lti.deliver" : "lti.undeliverable",
                                 item.attempt_id, absl::StrCat(what, ": ", item.outcome)}));
    }
  }
  return round;
}

}  // namespace proctor::server::lti
