#include "server/storage/memory_storage.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/storage/storage_rules.h"

namespace proctor::server {

namespace {

// An event as ListEvents and GetEvent give it: everything but the evidence bytes.
StoredEvent WithoutEvidence(const StoredEvent& stored) {
  StoredEvent copy;
  copy.event = stored.event;
  copy.hash = stored.hash;
  copy.server_distance = stored.server_distance;
  copy.has_evidence = stored.has_evidence;
  copy.received_at_unix_ms = stored.received_at_unix_ms;
  return copy;
}

}  // namespace

absl::Status MemoryStorage::CreateAssessment(const Assessment& assessment) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!assessments_.emplace(assessment.id, assessment).second) {
    return absl::AlreadyExistsError(absl::StrCat("assessment ", assessment.id, " already exists"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Assessment> MemoryStorage::GetAssessment(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = assessments_.find(id);
  if (it == assessments_.end()) return storage_rules::NoSuch("assessment", id);
  return it->second;
}

absl::Status MemoryStorage::UpsertLearner(const std::string& id, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  learners_[id].name = name;
  return absl::OkStatus();
}

absl::StatusOr<Learner> MemoryStorage::GetLearner(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = learners_.find(id);
  if (it == learners_.end()) return storage_rules::NoSuch("learner", id);
  return Learner{id, it->second.name, static_cast<int>(it->second.templates.size())};
}

absl::Status MemoryStorage::ReplaceTemplates(const std::string& learner_id,
                                             const std::vector<std::vector<uint8_t>>& sealed) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = learners_.find(learner_id);
  if (it == learners_.end()) return storage_rules::NoSuch("learner", learner_id);
  it->second.templates = sealed;
  self_enrollments_.erase(learner_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> MemoryStorage::GetTemplates(
    const std::string& learner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = learners_.find(learner_id);
  if (it == learners_.end()) return storage_rules::NoSuch("learner", learner_id);
  return it->second.templates;
}

absl::StatusOr<PurgeCounts> MemoryStorage::PurgeBiometrics(const std::string& learner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = learners_.find(learner_id);
  if (it == learners_.end()) return storage_rules::NoSuch("learner", learner_id);
  PurgeCounts counts;
  counts.templates_removed = static_cast<int>(it->second.templates.size());
  it->second.templates.clear();
  self_enrollments_.erase(learner_id);
  for (auto& [id, row] : sessions_) {
    if (row.record.learner_id != learner_id) continue;
    for (StoredEvent& stored : row.events) {
      if (stored.sealed_evidence.empty()) continue;
      std::vector<uint8_t>().swap(stored.sealed_evidence);  // release the memory too
      ++counts.evidence_removed;
    }
  }
  return counts;
}

absl::StatusOr<int> MemoryStorage::PurgeSessionEvidence(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  const Verdict v = row->record.verdict;
  if (row->record.state != SessionState::kClosed ||
      (v != Verdict::kAutoAccepted && v != Verdict::kAccepted && v != Verdict::kRejected)) {
    return 0;
  }
  int removed = 0;
  for (StoredEvent& stored : row->events) {
    if (stored.sealed_evidence.empty()) continue;
    std::vector<uint8_t>().swap(stored.sealed_evidence);
    ++removed;
  }
  return removed;
}

absl::Status MemoryStorage::PutSelfEnrollment(
    const SelfEnrollment& enrollment, const std::vector<std::vector<uint8_t>>& sealed_templates) {
  std::lock_guard<std::mutex> lock(mu_);
  auto learner = learners_.find(enrollment.learner_id);
  if (learner == learners_.end()) return storage_rules::NoSuch("learner", enrollment.learner_id);
  auto existing = self_enrollments_.find(enrollment.learner_id);
  RETURN_IF_ERROR(storage_rules::CheckSelfEnrollable(
      enrollment.learner_id, static_cast<int64_t>(learner->second.templates.size()),
      existing == self_enrollments_.end() ? std::nullopt : std::optional(existing->second.state)));
  learner->second.templates = sealed_templates;
  SelfEnrollment& stored = self_enrollments_[enrollment.learner_id];
  stored = enrollment;
  stored.state = SelfEnrollmentState::kPending;
  stored.decided_by.clear();
  stored.decided_at_unix_ms = 0;
  stored.note.clear();
  return absl::OkStatus();
}

absl::StatusOr<SelfEnrollment> MemoryStorage::GetSelfEnrollment(const std::string& learner_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = self_enrollments_.find(learner_id);
  if (it == self_enrollments_.end()) {
    return storage_rules::NoSuch("self-enrollment of learner", learner_id);
  }
  return it->second;
}

absl::StatusOr<std::vector<SelfEnrollment>> MemoryStorage::ListSelfEnrollments(bool pending_only) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SelfEnrollment> out;
  for (const auto& [id, enrollment] : self_enrollments_) {
    if (pending_only && enrollment.state != SelfEnrollmentState::kPending) continue;
    out.push_back(enrollment);
    out.back().sealed_photo.clear();
  }
  // The map gave them by learner id: a stable sort keeps that order among equal times.
  std::stable_sort(out.begin(), out.end(), [](const SelfEnrollment& a, const SelfEnrollment& b) {
    return a.created_at_unix_ms < b.created_at_unix_ms;
  });
  return out;
}

absl::Status MemoryStorage::DecideSelfEnrollment(const std::string& learner_id,
                                                 SelfEnrollmentState decision,
                                                 const std::string& decided_by,
                                                 int64_t decided_at_unix_ms,
                                                 const std::string& note) {
  RETURN_IF_ERROR(storage_rules::CheckDecision(decision));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = self_enrollments_.find(learner_id);
  if (it == self_enrollments_.end()) {
    return storage_rules::NoSuch("self-enrollment of learner", learner_id);
  }
  SelfEnrollment& enrollment = it->second;
  if (enrollment.state != SelfEnrollmentState::kPending) {
    return storage_rules::AlreadyDecided(learner_id, enrollment.state);
  }
  enrollment.state = decision;
  enrollment.decided_by = decided_by;
  enrollment.decided_at_unix_ms = decided_at_unix_ms;
  enrollment.note = note;
  std::vector<uint8_t>().swap(enrollment.sealed_photo);  // release the memory too
  // The row refers to its learner, and learners are never deleted.
  if (decision == SelfEnrollmentState::kRejected) learners_.at(learner_id).templates.clear();
  return absl::OkStatus();
}

absl::Status MemoryStorage::PutToken(const TokenRecord& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token.session_id.empty() && sessions_.count(token.session_id) == 0) {
    return storage_rules::NoSuch("session", token.session_id);
  }
  if (!tokens_.emplace(token.token_hash, token).second) {
    return absl::AlreadyExistsError("a token with this hash already exists");
  }
  return absl::OkStatus();
}

absl::StatusOr<TokenRecord> MemoryStorage::FindToken(const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token_hash);
  if (it == tokens_.end()) return absl::NotFoundError("unknown token");
  return it->second;
}

absl::StatusOr<int> MemoryStorage::RevokeTokens(const std::string& label, Role role) {
  std::lock_guard<std::mutex> lock(mu_);
  int removed = 0;
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.label == label && it->second.role == role) {
      it = tokens_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

absl::Status MemoryStorage::PutPass(const PassRecord& pass) {
  std::lock_guard<std::mutex> lock(mu_);
  if (learners_.count(pass.learner_id) == 0)
    return storage_rules::NoSuch("learner", pass.learner_id);
  if (assessments_.count(pass.assessment_id) == 0) {
    return storage_rules::NoSuch("assessment", pass.assessment_id);
  }
  if (!passes_.emplace(pass.pass_hash, pass).second) {
    return absl::AlreadyExistsError("a pass with this hash already exists");
  }
  return absl::OkStatus();
}

absl::StatusOr<PassRecord> MemoryStorage::FindPass(const std::string& pass_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = passes_.find(pass_hash);
  if (it == passes_.end()) return storage_rules::UnknownPass();
  return it->second;
}

absl::StatusOr<SessionRecord> MemoryStorage::RedeemPass(const std::string& pass_hash,
                                                        int64_t now_unix_ms, SessionRecord session,
                                                        const TokenRecord& session_token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto pass = passes_.find(pass_hash);
  if (pass == passes_.end()) return storage_rules::UnknownPass();
  RETURN_IF_ERROR(storage_rules::CheckPassUsable(pass->second.used, pass->second.expires_at_unix_ms,
                                                 now_unix_ms));
  storage_rules::PrepareNewSession(pass->second.learner_id, pass->second.assessment_id, session);
  // Check every insert before changing anything: all or nothing.
  if (sessions_.count(session.id) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("session ", session.id, " already exists"));
  }
  if (tokens_.count(session_token.token_hash) != 0) {
    return absl::AlreadyExistsError("a token with this hash already exists");
  }
  if (!session_token.session_id.empty() && session_token.session_id != session.id &&
      sessions_.count(session_token.session_id) == 0) {
    return storage_rules::NoSuch("session", session_token.session_id);
  }
  pass->second.used = true;
  pass_sessions_[pass_hash] = session.id;
  sessions_[session.id].record = session;
  tokens_.emplace(session_token.token_hash, session_token);
  return session;
}

absl::StatusOr<MemoryStorage::SessionRow*> MemoryStorage::FindSession(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return storage_rules::NoSuch("session", id);
  return &it->second;
}

absl::StatusOr<SessionRecord> MemoryStorage::GetSession(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(id));
  return row->record;
}

absl::StatusOr<std::vector<SessionRecord>> MemoryStorage::ListSessions(bool pending_review_only) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SessionRecord> out;
  for (const auto& [id, row] : sessions_) {
    if (pending_review_only && row.record.verdict != Verdict::kPendingReview) continue;
    out.push_back(row.record);
  }
  std::sort(out.begin(), out.end(), [](const SessionRecord& a, const SessionRecord& b) {
    return std::tie(b.risk_score, b.opened_at_unix_ms, a.id) <
           std::tie(a.risk_score, a.opened_at_unix_ms, b.id);
  });
  return out;
}

absl::Status MemoryStorage::UpdateSessionOutcome(const SessionRecord& session) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session.id));
  SessionRecord& r = row->record;
  r.state = session.state;
  r.ended_at_ms = session.ended_at_ms;
  r.closed_at_unix_ms = session.closed_at_unix_ms;
  r.risk_score = session.risk_score;
  r.verdict = session.verdict;
  r.decision_note = session.decision_note;
  r.decided_by = session.decided_by;
  return absl::OkStatus();
}

absl::Status MemoryStorage::AppendOne(const AppendBatch& batch) {
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(batch.session_id));
  RETURN_IF_ERROR(storage_rules::CheckBatch(batch, row->record.last_seq, row->record.state));
  if (batch.events.empty()) return absl::OkStatus();
  for (const StoredEvent& stored : batch.events) {
    StoredEvent& copy = row->events.emplace_back(stored);
    copy.event.session_id = batch.session_id;
    copy.event.evidence_jpeg.clear();  // storage keeps sealed evidence only
  }
  row->record.last_seq = batch.events.back().event.seq;
  row->record.head_hash = batch.events.back().hash;
  if (batch.head_signature) {
    row->signatures.push_back({row->record.last_seq, *batch.head_signature});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<absl::Status>> MemoryStorage::AppendBatches(
    const std::vector<AppendBatch>& batches) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<absl::Status> statuses;
  statuses.reserve(batches.size());
  for (const AppendBatch& batch : batches) statuses.push_back(AppendOne(batch));
  return statuses;
}

absl::StatusOr<StoredEvent> MemoryStorage::GetEvent(const std::string& session_id,
                                                   uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  if (seq == 0 || seq > row->events.size()) {
    return storage_rules::NoEvent(session_id, seq);
  }
  return WithoutEvidence(row->events[seq - 1]);
}

absl::StatusOr<std::vector<StoredEvent>> MemoryStorage::ListEvents(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  std::vector<StoredEvent> out;
  out.reserve(row->events.size());
  for (const StoredEvent& stored : row->events) out.push_back(WithoutEvidence(stored));
  return out;
}

absl::StatusOr<std::vector<BatchSignature>> MemoryStorage::ListBatchSignatures(
    const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  return row->signatures;
}

absl::StatusOr<std::vector<Hash32>> MemoryStorage::EventHashes(const std::string& session_id,
                                                               uint64_t from_seq, uint64_t to_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  std::vector<Hash32> out;
  const uint64_t first = std::max<uint64_t>(from_seq, 1);
  const uint64_t last = std::min<uint64_t>(to_seq, row->events.size());
  for (uint64_t seq = first; seq <= last; ++seq) out.push_back(row->events[seq - 1].hash);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> MemoryStorage::GetEvidence(const std::string& session_id,
                                                                uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  if (seq == 0 || seq > row->events.size() || row->events[seq - 1].sealed_evidence.empty()) {
    return storage_rules::NoEvidence(session_id, seq);
  }
  return row->events[seq - 1].sealed_evidence;
}

absl::Status MemoryStorage::AddFinding(const Finding& finding) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(finding.session_id));
  row->findings.push_back(finding);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Finding>> MemoryStorage::ListFindings(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(session_id));
  return row->findings;
}

absl::Status MemoryStorage::PutResult(const ResultRecord& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(SessionRow * row, FindSession(result.session_id));
  row->result = result;
  row->result->learner_id = row->record.learner_id;
  row->result->assessment_id = row->record.assessment_id;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ResultRecord>> MemoryStorage::ListResults(
    const std::string& assessment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ResultRecord> out;
  for (const auto& [id, row] : sessions_) {
    if (!row.result.has_value()) continue;
    if (!assessment_id.empty() && row.record.assessment_id != assessment_id) continue;
    out.push_back(*row.result);
  }
  std::sort(out.begin(), out.end(), [](const ResultRecord& a, const ResultRecord& b) {
    return std::tie(a.submitted_at_unix_ms, a.session_id) <
           std::tie(b.submitted_at_unix_ms, b.session_id);
  });
  return out;
}

absl::Status MemoryStorage::PutAccommodation(const Accommodation& a) {
  std::lock_guard<std::mutex> lock(mu_);
  accommodations_[{a.learner_id, a.assessment_id}] = a;
  return absl::OkStatus();
}

absl::StatusOr<Accommodation> MemoryStorage::GetAccommodation(const std::string& learner_id,
                                                              const std::string& assessment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = accommodations_.find({learner_id, assessment_id});
  if (it == accommodations_.end()) {
    return absl::NotFoundError(absl::StrCat("no accommodation for learner ", learner_id,
                                            " in assessment ", assessment_id));
  }
  return it->second;
}

absl::Status MemoryStorage::PutConsentNotice(const ConsentNotice& notice) {
  std::lock_guard<std::mutex> lock(mu_);
  if (assessments_.count(notice.assessment_id) == 0) {
    return storage_rules::NoSuch("assessment", notice.assessment_id);
  }
  if (!consent_notices_[notice.assessment_id].emplace(notice.version, notice).second) {
    return absl::AlreadyExistsError(absl::StrCat("consent notice version ", notice.version,
                                                 " of assessment ", notice.assessment_id,
                                                 " already exists"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConsentNotice> MemoryStorage::GetConsentNotice(const std::string& assessment_id,
                                                              int32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto notices = consent_notices_.find(assessment_id);
  if (notices != consent_notices_.end() && !notices->second.empty()) {
    if (version == 0) return notices->second.rbegin()->second;
    auto it = notices->second.find(version);
    if (it != notices->second.end()) return it->second;
  }
  return storage_rules::NoConsentNotice(assessment_id, version);
}

absl::Status MemoryStorage::PutLtiPlatform(const LtiPlatform& platform) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!lti_platforms_.emplace(std::make_pair(platform.issuer, platform.client_id), platform)
           .second) {
    return storage_rules::LtiPlatformExists(platform.issuer, platform.client_id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LtiPlatform>> MemoryStorage::ListLtiPlatforms() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LtiPlatform> out;
  for (const auto& [key, platform] : lti_platforms_) out.push_back(platform);
  return out;
}

absl::Status MemoryStorage::RemoveLtiPlatform(const std::string& issuer,
                                              const std::string& client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (lti_platforms_.erase({issuer, client_id}) == 0) {
    return storage_rules::NoLtiPlatform(issuer, client_id);
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::PutLtiToolKey(const LtiToolKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!lti_keys_.emplace(key.kid, key).second) return storage_rules::LtiKeyExists(key.kid);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LtiToolKey>> MemoryStorage::ListLtiToolKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LtiToolKey> out;
  for (const auto& [kid, key] : lti_keys_) out.push_back(key);
  std::stable_sort(out.begin(), out.end(), [](const LtiToolKey& a, const LtiToolKey& b) {
    return a.created_at_unix_ms > b.created_at_unix_ms;
  });
  return out;
}

absl::Status MemoryStorage::DeleteLtiToolKey(const std::string& kid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (lti_keys_.erase(kid) == 0) return storage_rules::NoLtiKey(kid);
  return absl::OkStatus();
}

absl::Status MemoryStorage::PutLtiLogin(const LtiLogin& login, int64_t expired_before_unix_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = lti_logins_.begin(); it != lti_logins_.end();) {
    it = it->second.created_at_unix_ms < expired_before_unix_ms ? lti_logins_.erase(it)
                                                                : std::next(it);
  }
  if (!lti_logins_.emplace(login.state, login).second) {
    return absl::AlreadyExistsError("an LTI login with this state exists already");
  }
  return absl::OkStatus();
}

absl::StatusOr<LtiLogin> MemoryStorage::TakeLtiLogin(const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lti_logins_.find(state);
  if (it == lti_logins_.end()) return storage_rules::NoLtiLogin();
  LtiLogin login = std::move(it->second);
  lti_logins_.erase(it);
  return login;
}

absl::Status MemoryStorage::PutLtiAttempt(const LtiAttempt& attempt) {
  std::lock_guard<std::mutex> lock(mu_);
  if (learners_.count(attempt.learner_id) == 0) {
    return storage_rules::NoSuch("learner", attempt.learner_id);
  }
  if (assessments_.count(attempt.assessment_id) == 0) {
    return storage_rules::NoSuch("assessment", attempt.assessment_id);
  }
  if (!lti_attempts_.emplace(attempt.id, attempt).second) return storage_rules::LtiAttemptExists();
  return absl::OkStatus();
}

absl::StatusOr<LtiAttempt> MemoryStorage::GetLtiAttempt(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lti_attempts_.find(id);
  if (it == lti_attempts_.end()) return storage_rules::NoLtiAttempt();
  return it->second;
}

absl::StatusOr<std::string> MemoryStorage::SessionOfPass(const std::string& pass_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (passes_.count(pass_hash) == 0) return storage_rules::UnknownPass();
  auto it = pass_sessions_.find(pass_hash);
  return it == pass_sessions_.end() ? std::string() : it->second;
}

absl::StatusOr<std::vector<LtiAttempt>> MemoryStorage::ListLtiAttempts(
    const std::string& learner_id, const std::string& assessment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LtiAttempt> out;
  for (const auto& [id, attempt] : lti_attempts_) {
    if (attempt.learner_id == learner_id && attempt.assessment_id == assessment_id) {
      out.push_back(attempt);
    }
  }
  std::sort(out.begin(), out.end(), [](const LtiAttempt& a, const LtiAttempt& b) {
    return std::tie(a.created_at_unix_ms, a.id) < std::tie(b.created_at_unix_ms, b.id);
  });
  return out;
}

absl::StatusOr<std::vector<LtiAttemptChange>> MemoryStorage::ListLtiAttemptChanges(
    int limit, int64_t created_after_unix_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LtiAttemptChange> out;
  for (const auto& [id, attempt] : lti_attempts_) {
    if (attempt.created_at_unix_ms < created_after_unix_ms) continue;
    auto pass = pass_sessions_.find(attempt.pass_hash);
    if (pass == pass_sessions_.end()) continue;
    auto session = sessions_.find(pass->second);
    if (session == sessions_.end()) continue;
    const SessionRecord& record = session->second.record;
    if (record.state != SessionState::kClosed) continue;
    if (static_cast<int32_t>(record.state) == attempt.reported_state &&
        static_cast<int32_t>(record.verdict) == attempt.reported_verdict) {
      continue;
    }
    out.push_back(LtiAttemptChange{attempt, record.id, record.state, record.verdict});
  }
  std::sort(out.begin(), out.end(), [](const LtiAttemptChange& a, const LtiAttemptChange& b) {
    return std::tie(a.attempt.created_at_unix_ms, a.attempt.id) <
           std::tie(b.attempt.created_at_unix_ms, b.attempt.id);
  });
  out.resize(std::min(out.size(), static_cast<size_t>(std::max(limit, 0))));
  return out;
}

absl::Status MemoryStorage::QueueLtiChange(const LtiAttemptChange& change,
                                           std::vector<LtiOutboxItem> items) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lti_attempts_.find(change.attempt.id);
  if (it == lti_attempts_.end()) return storage_rules::NoLtiAttempt();
  LtiAttempt& stored = it->second;
  if (stored.reported_seq != change.attempt.reported_seq ||
      stored.reported_state != change.attempt.reported_state ||
      stored.reported_verdict != change.attempt.reported_verdict) {
    return storage_rules::StaleLtiChange(stored.id);
  }
  // Check every insert before changing anything: all or nothing.
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].attempt_id = stored.id;
    items[i].seq = stored.reported_seq + 1 + static_cast<int64_t>(i);
    if (lti_outbox_.count({stored.id, items[i].seq}) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("LTI outbox item ", items[i].seq, " of attempt ", stored.id, " exists"));
    }
  }
  stored.reported_state = static_cast<int32_t>(change.state);
  stored.reported_verdict = static_cast<int32_t>(change.verdict);
  stored.reported_seq += static_cast<int64_t>(items.size());
  for (LtiOutboxItem& item : items) {
    std::pair<std::string, int64_t> key(item.attempt_id, item.seq);
    lti_outbox_.emplace(std::move(key), std::move(item));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LtiOutboxItem>> MemoryStorage::ClaimLtiOutbox(
    int64_t now_unix_ms, int64_t lease_until_unix_ms, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  // The lowest pending seq of each attempt and lane (reads of the LMS's grade, kind "result",
  // apart from the messages), if it is due (the map is ordered by attempt, seq).
  std::vector<LtiOutboxItem*> heads;
  std::set<std::pair<std::string, bool>> lanes_with_head;
  for (auto& [key, item] : lti_outbox_) {
    if (item.done_at_unix_ms != 0) continue;
    if (!lanes_with_head.emplace(key.first, item.kind == "result").second) continue;
    if (item.due_at_unix_ms <= now_unix_ms) heads.push_back(&item);
  }
  std::sort(heads.begin(), heads.end(), [](const LtiOutboxItem* a, const LtiOutboxItem* b) {
    return std::tie(a->due_at_unix_ms, a->attempt_id, a->seq) <
           std::tie(b->due_at_unix_ms, b->attempt_id, b->seq);
  });
  heads.resize(std::min(heads.size(), static_cast<size_t>(std::max(limit, 0))));
  std::vector<LtiOutboxItem> claimed;
  for (LtiOutboxItem* item : heads) {
    item->due_at_unix_ms = lease_until_unix_ms;
    ++item->tries;
    claimed.push_back(*item);
  }
  return claimed;
}

absl::Status MemoryStorage::UpdateLtiOutboxItem(const LtiOutboxItem& item) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lti_outbox_.find({item.attempt_id, item.seq});
  if (it == lti_outbox_.end()) return storage_rules::NoLtiOutboxItem(item.attempt_id, item.seq);
  it->second.due_at_unix_ms = item.due_at_unix_ms;
  it->second.last_error = item.last_error;
  it->second.done_at_unix_ms = item.done_at_unix_ms;
  it->second.outcome = item.outcome;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LtiOutboxItem>> MemoryStorage::ListLtiOutbox(
    const std::string& attempt_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LtiOutboxItem> out;
  for (const auto& [key, item] : lti_outbox_) {
    if (attempt_id.empty() || key.first == attempt_id) out.push_back(item);
  }
  return out;
}

absl::Status MemoryStorage::AppendAudit(const AuditEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  audit_.push_back(entry);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditEntry>> MemoryStorage::ListAudit() {
  std::lock_guard<std::mutex> lock(mu_);
  return audit_;
}

}  // namespace proctor::server
