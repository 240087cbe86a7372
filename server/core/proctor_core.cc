#include "server/core/proctor_core.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/core/session_policy.h"

namespace proctor::server {
namespace {

constexpr int64_t kDefaultPassSeconds = 86'400;
constexpr size_t kMaxPhotos = 10;
constexpr size_t kMaxTextBytes = 200;

absl::Status ValidateText(const std::string& text, const std::string& what, size_t max) {
  if (text.empty() || text.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be 1-", max, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(const std::string& id, const std::string& what) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be 1-64 characters"));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", id, "' may only hold letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

ProctorCore::ProctorCore(Storage* storage, SessionLedger* ledger, const SealedBox* box,
                         EvidenceInspector* inspector, const Clock* clock)
    : storage_(storage),
      ledger_(ledger),
      box_(box),
      inspector_(inspector),
      clock_(clock),
      notices_(storage) {}

absl::StatusOr<Principal> ProctorCore::Authenticate(const std::string& bearer_token) {
  if (bearer_token.empty()) {
    return absl::UnauthenticatedError(
        "no token: send 'authorization: Bearer <token>' (proctorctl --token or PROCTOR_TOKEN)");
  }
  return AuthenticateHash(SecretHash(bearer_token));
}

absl::StatusOr<Principal> ProctorCore::AuthenticateHash(const std::string& hash) {
  const int64_t now = clock_->NowUnixMs();
  uint64_t revocations = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = token_cache_.find(hash);
    // A clock stepped back makes the age negative: read the token again then too.
    const int64_t age = it == token_cache_.end() ? -1 : now - it->second.cached_at_unix_ms;
    if (age >= 0 && age < kTokenCacheMs) return it->second.who;
    revocations = revocations_;
  }
  auto record = storage_->FindToken(hash);
  if (absl::IsNotFound(record.status())) {
    std::lock_guard<std::mutex> lock(mu_);
    token_cache_.erase(hash);
    return absl::UnauthenticatedError("unknown token");
  }
  if (!record.ok()) return record.status();
  Principal who{record->role, record->label, record->session_id};
  std::lock_guard<std::mutex> lock(mu_);
  if (revocations == revocations_) token_cache_[hash] = {who, now};
  return who;
}

absl::StatusOr<int> ProctorCore::RevokeTokens(const Principal& who, const std::string& label,
                                              Role role) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  if (role != Role::kExaminer && role != Role::kLmsConnector) {
    return absl::InvalidArgumentError(
        "only examiner and LMS connector tokens are revoked by label");
  }
  ASSIGN_OR_RETURN(int removed, storage_->RevokeTokens(label, role));
  if (removed == 0) {
    return absl::NotFoundError(
        absl::StrCat("no ", RoleName(role), " token is labelled '", label, "'"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++revocations_;
    for (auto it = token_cache_.begin(); it != token_cache_.end();) {
      it = it->second.who.label == label && it->second.who.role == role ? token_cache_.erase(it)
                                                                        : std::next(it);
    }
  }
  RETURN_IF_ERROR(
      Audit(who, "token.revoke", label, absl::StrCat(removed, " ", RoleName(role), " token(s)")));
  return removed;
}

absl::Status ProctorCore::Require(const Principal& who, std::initializer_list<Role> roles) {
  for (Role r : roles) {
    if (who.role == r) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the ", RoleName(who.role), " role may not do this"));
}

absl::StatusOr<std::string> ProctorCore::BootstrapAdminToken(const std::string& label) {
  const std::string token = RandomToken(20);
  RETURN_IF_ERROR(storage_->PutToken(
      {SecretHash(token), Role::kAdministrator, label, "", clock_->NowUnixMs()}));
  return token;
}

absl::Status ProctorCore::Audit(const Principal& who, std::string action, std::string subject,
                                std::string detail) {
  return storage_->AppendAudit(
      {clock_->NowUnixMs(), who.label, std::move(action), std::move(subject), std::move(detail)});
}

absl::StatusOr<Policy> ProctorCore::CreateAssessment(const Principal& who, Assessment a) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateId(a.id, "assessment id"));
  RETURN_IF_ERROR(ValidateText(a.course, "course", kMaxTextBytes));
  RETURN_IF_ERROR(ValidateText(a.title, "title", kMaxTextBytes));
  a.created_at_unix_ms = clock_->NowUnixMs();
  if (auto s = storage_->CreateAssessment(a); absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("assessment '", a.id, "' already exists"));
  } else if (!s.ok()) {
    return s;
  }
  RETURN_IF_ERROR(Audit(who, "assessment.create", a.id, std::string(AssessmentKindName(a.kind))));
  return PolicyFor(a.kind);
}

absl::StatusOr<int> ProctorCore::EnrollLearner(const Principal& who, const std::string& learner_id,
                                               const std::string& name,
                                               const std::vector<std::vector<uint8_t>>& photos,
                                               const EnrollmentConsent& consent) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  if (consent.ref.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the consent reference must be at most ", kMaxTextBytes, " bytes"));
  }
  RETURN_IF_ERROR(ValidateId(learner_id, "learner id"));
  RETURN_IF_ERROR(ValidateText(name, "name", kMaxTextBytes));
  if (photos.size() > kMaxPhotos) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxPhotos, " photos"));
  }
  std::vector<std::vector<uint8_t>> sealed;
  for (size_t i = 0; i < photos.size(); ++i) {
    auto descriptor = inspector_->EmbedEnrollmentPhoto(photos[i]);
    if (!descriptor.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("photo ", i + 1, ": ", descriptor.status().message()));
    }
    sealed.push_back(box_->Seal(DescriptorBytes(*descriptor), TemplateAd(learner_id)));
  }
  RETURN_IF_ERROR(storage_->UpsertLearner(learner_id, name));
  if (!sealed.empty()) RETURN_IF_ERROR(storage_->ReplaceTemplates(learner_id, sealed));
  const std::string basis =
      consent.ref.empty()
          ? std::string("no consent reference given")
          : absl::StrCat("consent: ", consent.ref, consent.by_guardian ? " (by a guardian)" : "");
  RETURN_IF_ERROR(
      Audit(who, "learner.enroll", learner_id, absl::StrCat(photos.size(), " photo(s); ", basis)));
  ASSIGN_OR_RETURN(Learner learner, storage_->GetLearner(learner_id));
  return learner.template_count;
}

absl::StatusOr<IssuedPass> ProctorCore::IssuePass(const Principal& who,
                                                  const std::string& learner_id,
                                                  const std::string& assessment_id,
                                                  int64_t valid_seconds) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  if (valid_seconds == 0) valid_seconds = kDefaultPassSeconds;
  if (valid_seconds < 60 || valid_seconds > 7 * kDefaultPassSeconds) {
    return absl::InvalidArgumentError("valid_seconds must be within 60-604800");
  }
  RETURN_IF_ERROR(storage_->GetLearner(learner_id).status());
  RETURN_IF_ERROR(storage_->GetAssessment(assessment_id).status());
  IssuedPass out{absl::StrCat("pass-", RandomToken(20)),
                 clock_->NowUnixMs() + valid_seconds * 1000};
  RETURN_IF_ERROR(storage_->PutPass(
      {SecretHash(out.pass), learner_id, assessment_id, out.expires_at_unix_ms, false}));
  RETURN_IF_ERROR(Audit(who, "pass.issue", learner_id, assessment_id));
  return out;
}

ProctorCore::SelfEnrollSlot::SelfEnrollSlot(ProctorCore* core, std::string learner_id)
    : core_(core), learner_id_(std::move(learner_id)) {
  std::lock_guard<std::mutex> lock(core_->mu_);
  held_ = core_->self_enrolling_.size() < kMaxSelfEnrollmentsInFlight &&
          core_->self_enrolling_.insert(learner_id_).second;
}

ProctorCore::SelfEnrollSlot::~SelfEnrollSlot() {
  if (!held_) return;
  std::lock_guard<std::mutex> lock(core_->mu_);
  core_->self_enrolling_.erase(learner_id_);
}

absl::StatusOr<bool> ProctorCore::SelfEnrollmentNeeded(const std::string& pass) {
  ASSIGN_OR_RETURN(PassRecord record, UsablePass(pass));
  ASSIGN_OR_RETURN(Learner learner, storage_->GetLearner(record.learner_id));
  if (learner.template_count > 0) return false;
  // A rejected self-enrollment: only the institution enrolls this learner now, so no photo is
  // taken (the session, if any, has no template and goes to review).
  auto enrollment = storage_->GetSelfEnrollment(record.learner_id);
  if (absl::IsNotFound(enrollment.status())) return true;
  if (!enrollment.ok()) return enrollment.status();
  return false;
}

absl::StatusOr<int> ProctorCore::SelfEnroll(const std::string& pass,
                                            const std::vector<std::vector<uint8_t>>& photos,
                                            const std::string& consented_sha256) {
  ASSIGN_OR_RETURN(PassRecord record, UsablePass(pass));
  ASSIGN_OR_RETURN(ConsentNotice current, notices_.InForce(record.assessment_id));
  RETURN_IF_ERROR(CheckConsented(current, consented_sha256));
  if (photos.empty() || photos.size() > kMaxSelfEnrollmentPhotos) {
    return absl::InvalidArgumentError(
        absl::StrCat("give 1-", kMaxSelfEnrollmentPhotos, " photos, got ", photos.size()));
  }
  ASSIGN_OR_RETURN(Learner learner, storage_->GetLearner(record.learner_id));
  if (learner.template_count > 0) {
    return absl::FailedPreconditionError(
        "the learner is enrolled already: no photos are needed, start the session");
  }
  // Embedding photos is the dearest thing a pass alone can ask for: one call per learner at a
  // time, and at most kMaxSelfEnrollmentsInFlight on this replica (the evidence re-checks share
  // the analyzers). A busy answer is retried by the client.
  SelfEnrollSlot slot(this, record.learner_id);
  if (!slot.held()) {
    return absl::ResourceExhaustedError(
        "the server is taking other learners' photos: the client tries again in a moment");
  }
  std::vector<std::vector<uint8_t>> sealed;
  for (size_t i = 0; i < photos.size(); ++i) {
    auto descriptor = inspector_->EmbedEnrollmentPhoto(photos[i]);
    if (!descriptor.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("photo ", i + 1, ": ", descriptor.status().message()));
    }
    sealed.push_back(box_->Seal(DescriptorBytes(*descriptor), TemplateAd(record.learner_id)));
  }
  SelfEnrollment enrollment;
  enrollment.learner_id = record.learner_id;
  enrollment.assessment_id = record.assessment_id;
  enrollment.state = SelfEnrollmentState::kPending;
  enrollment.sealed_photo = box_->Seal(photos[0], SelfEnrollmentPhotoAd(record.learner_id));
  enrollment.photos = static_cast<int>(photos.size());
  enrollment.created_at_unix_ms = clock_->NowUnixMs();
  auto stored = storage_->PutSelfEnrollment(enrollment, sealed);
  if (absl::IsFailedPrecondition(stored)) {
    auto earlier = storage_->GetSelfEnrollment(record.learner_id);
    if (earlier.ok() && earlier->state == SelfEnrollmentState::kRejected) {
      return absl::FailedPreconditionError(
          "an examiner did not confirm this learner's earlier photo: the institution has to "
          "enroll the learner (the pass is still valid)");
    }
  }
  RETURN_IF_ERROR(stored);
  Principal learner_principal;
  learner_principal.role = Role::kLearner;
  learner_principal.label = "learner";
  RETURN_IF_ERROR(
      Audit(learner_principal, "learner.self_enroll", record.learner_id,
            absl::StrCat(photos.size(),
                         " photo(s) taken by the client with the pass "
                         "for ",
                         record.assessment_id, "; consent: notice version ", current.version,
                         ", sha256 ", current.sha256_hex, "; awaits an examiner's check")));
  return static_cast<int>(sealed.size());
}

absl::StatusOr<std::vector<ProctorCore::SelfEnrollmentView>> ProctorCore::ListSelfEnrollments(
    const Principal& who, bool pending_only) {
  RETURN_IF_ERROR(Require(who, {Role::kExaminer, Role::kAdministrator}));
  ASSIGN_OR_RETURN(std::vector<SelfEnrollment> list, storage_->ListSelfEnrollments(pending_only));
  std::vector<SelfEnrollmentView> out;
  for (SelfEnrollment& e : list) {
    auto learner = storage_->GetLearner(e.learner_id);
    if (!learner.ok() && !absl::IsNotFound(learner.status())) return learner.status();
    out.push_back({std::move(e), learner.ok() ? learner->name : std::string()});
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ProctorCore::SelfEnrollmentPhoto(
    const Principal& who, const std::string& learner_id) {
  RETURN_IF_ERROR(Require(who, {Role::kExaminer, Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateId(learner_id, "learner id"));
  ASSIGN_OR_RETURN(SelfEnrollment enrollment, storage_->GetSelfEnrollment(learner_id));
  if (enrollment.sealed_photo.empty()) {
    return absl::NotFoundError(absl::StrCat("no photo is kept for ", learner_id,
                                            ": the "
                                            "self-enrollment was ",
                                            SelfEnrollmentStateName(enrollment.state)));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> photo,
                   box_->Open(enrollment.sealed_photo, SelfEnrollmentPhotoAd(learner_id)));
  RETURN_IF_ERROR(Audit(who, "enrollment.photo.view", learner_id, "self-enrollment photo"));
  return photo;
}

absl::StatusOr<SelfEnrollmentState> ProctorCore::DecideSelfEnrollment(const Principal& who,
                                                                      const std::string& learner_id,
                                                                      bool confirmed,
                                                                      const std::string& note) {
  RETURN_IF_ERROR(Require(who, {Role::kExaminer, Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateId(learner_id, "learner id"));
  RETURN_IF_ERROR(ValidateText(note, "note", 2000));
  const SelfEnrollmentState decision =
      confirmed ? SelfEnrollmentState::kConfirmed : SelfEnrollmentState::kRejected;
  RETURN_IF_ERROR(
      storage_->DecideSelfEnrollment(learner_id, decision, who.label, clock_->NowUnixMs(), note));
  ledger_->ForgetLearner(learner_id);
  RETURN_IF_ERROR(Audit(who,
                        confirmed ? "learner.self_enroll.confirm" : "learner.self_enroll.reject",
                        learner_id, note));
  return decision;
}

absl::StatusOr<std::string> ProctorCore::IssueToken(const Principal& who, Role role,
                                                    const std::string& label) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  if (role == Role::kLearner) {
    return absl::InvalidArgumentError("learners get exam passes, not tokens");
  }
  RETURN_IF_ERROR(ValidateText(label, "label", kMaxTextBytes));
  const std::string token = RandomToken(20);
  RETURN_IF_ERROR(storage_->PutToken({SecretHash(token), role, label, "", clock_->NowUnixMs()}));
  RETURN_IF_ERROR(Audit(who, "token.issue", label, std::string(RoleName(role))));
  return token;
}

absl::StatusOr<PurgeCounts> ProctorCore::PurgeLearner(const Principal& who,
                                                      const std::string& learner_id,
                                                      bool consent_withdrawn) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  ASSIGN_OR_RETURN(PurgeCounts counts, storage_->PurgeBiometrics(learner_id));
  ledger_->ForgetLearner(learner_id);
  if (consent_withdrawn) {
    // Nothing more is captured: the learner's open sessions end where their events end.
    ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions, storage_->ListSessions(false));
    int closed = 0;
    for (const SessionRecord& s : sessions) {
      if (s.learner_id != learner_id || s.state != SessionState::kOpen) continue;
      int64_t ended_at_ms = 0;
      if (s.last_seq > 0) {
        ASSIGN_OR_RETURN(StoredEvent last, storage_->GetEvent(s.id, s.last_seq));
        ended_at_ms = last.event.at_ms;
      }
      RETURN_IF_ERROR(ledger_->Close(s.id, ended_at_ms, 0).status());
      ++closed;
    }
    RETURN_IF_ERROR(Audit(who, "consent.withdrawn", learner_id,
                          absl::StrCat("biometric data purged; open session(s) closed: ", closed)));
  }
  RETURN_IF_ERROR(Audit(who, "learner.purge", learner_id,
                        absl::StrCat(counts.templates_removed, " template(s), ",
                                     counts.evidence_removed, " evidence image(s)")));
  return counts;
}

absl::Status ProctorCore::BackupDatabase(const Principal& who, const std::string& path) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  // Audited first: a backup that fails halfway still read the data.
  RETURN_IF_ERROR(Audit(who, "database.backup", storage_->Writer().backend, ""));
  return storage_->BackupTo(path);
}

absl::StatusOr<PassRecord> ProctorCore::UsablePass(const std::string& pass) {
  auto found = storage_->FindPass(SecretHash(pass));
  if (absl::IsNotFound(found.status())) return absl::UnauthenticatedError("unknown exam pass");
  if (!found.ok()) return found.status();
  if (found->used) return absl::UnauthenticatedError("exam pass refused: already used");
  if (found->expires_at_unix_ms <= clock_->NowUnixMs()) {
    return absl::UnauthenticatedError("exam pass refused: expired");
  }
  return found;
}

absl::StatusOr<ConsentNotice> ProctorCore::NoticeForPass(const std::string& pass) {
  ASSIGN_OR_RETURN(PassRecord found, UsablePass(pass));
  return notices_.InForce(found.assessment_id);
}

absl::Status ProctorCore::CheckConsented(const ConsentNotice& current,
                                         const std::string& consented_sha256) {
  if (current.sha256_hex == consented_sha256) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the consent notice changed since it was shown (now version ", current.version,
                   "): show the new notice and ask again; the pass is still valid"));
}

absl::StatusOr<ConsentNotice> ProctorCore::SetConsentNotice(const Principal& who,
                                                            const std::string& assessment_id,
                                                            const std::string& text) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  ASSIGN_OR_RETURN(ConsentNotice notice,
                   notices_.Add(assessment_id, text, who.label, clock_->NowUnixMs()));
  RETURN_IF_ERROR(Audit(who, "consent.notice", assessment_id,
                        absl::StrCat("version ", notice.version, ", sha256 ", notice.sha256_hex)));
  return notice;
}

absl::Status ProctorCore::AddLtiPlatform(const Principal& who, LtiPlatform platform) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateLtiPlatform(platform));
  platform.created_by = who.label;
  platform.created_at_unix_ms = clock_->NowUnixMs();
  RETURN_IF_ERROR(storage_->PutLtiPlatform(platform));
  return Audit(who, "lti.platform.add", platform.issuer,
               absl::StrCat("client id ", platform.client_id, ", deployments ",
                            absl::StrJoin(platform.deployment_ids, ", ")));
}

absl::StatusOr<std::vector<LtiPlatform>> ProctorCore::ListLtiPlatforms(const Principal& who) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  return storage_->ListLtiPlatforms();
}

absl::Status ProctorCore::RemoveLtiPlatform(const Principal& who, const std::string& issuer,
                                            const std::string& client_id) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  RETURN_IF_ERROR(storage_->RemoveLtiPlatform(issuer, client_id));
  return Audit(who, "lti.platform.remove", issuer, absl::StrCat("client id ", client_id));
}

absl::StatusOr<ConsentNotice> ProctorCore::GetConsentNotice(const Principal& who,
                                                            const std::string& assessment_id,
                                                            int32_t version) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator, Role::kExaminer}));
  RETURN_IF_ERROR(storage_->GetAssessment(assessment_id).status());
  return version == 0 ? notices_.InForce(assessment_id) : notices_.Version(assessment_id, version);
}

absl::StatusOr<OpenedSession> ProctorCore::OpenSession(const std::string& pass,
                                                       const std::vector<uint8_t>& key,
                                                       const std::string& consented_sha256) {
  if (key.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_public_key must be a 32-byte Ed25519 key, got ", key.size()));
  }
  {
    ASSIGN_OR_RETURN(ConsentNotice current, NoticeForPass(pass));
    if (consented_sha256.empty()) {
      return absl::FailedPreconditionError(
          "this client does not show the learner the consent notice: update proctor-client "
          "(the pass is still valid)");
    }
    RETURN_IF_ERROR(CheckConsented(current, consented_sha256));
  }
  OpenedSession out;
  out.session_token = RandomToken(20);
  SessionRecord session;
  session.id = absl::StrCat("s-", RandomToken(10));
  session.client_public_key = key;
  session.opened_at_unix_ms = clock_->NowUnixMs();
  TokenRecord token{SecretHash(out.session_token), Role::kLearner, "learner", session.id,
                    clock_->NowUnixMs()};
  auto opened = storage_->RedeemPass(SecretHash(pass), clock_->NowUnixMs(), session, token);
  if (absl::IsNotFound(opened.status())) return absl::UnauthenticatedError("unknown exam pass");
  if (absl::IsFailedPrecondition(opened.status())) {
    return absl::UnauthenticatedError(
        absl::StrCat("exam pass refused: ", opened.status().message()));
  }
  if (!opened.ok()) return opened.status();
  out.session = *opened;
  ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(out.session.assessment_id));
  out.policy = PolicyFor(assessment.kind);
  ASSIGN_OR_RETURN(out.notice, notices_.InForce(out.session.assessment_id));
  ASSIGN_OR_RETURN(auto templates, storage_->GetTemplates(out.session.learner_id));
  // All of them: the client applies the same identity rule as the server (nearest template).
  for (const auto& sealed : templates) {
    ASSIGN_OR_RETURN(auto plain, box_->Open(sealed, TemplateAd(out.session.learner_id)));
    ASSIGN_OR_RETURN(out.templates.emplace_back(), DescriptorFromBytes(plain));
  }
  out.liveness = LivenessChallengeFor(*box_, out.session.id);
  return out;
}

absl::StatusOr<Scorecard> ProctorCore::CloseSession(const Principal& who, int64_t ended_at_ms) {
  RETURN_IF_ERROR(Require(who, {Role::kLearner}));
  if (ended_at_ms < 0) return absl::InvalidArgumentError("ended_at_ms must be >= 0");
  return ledger_->Close(who.session_id, ended_at_ms);
}

absl::StatusOr<Scorecard> ProctorCore::EndSession(const Principal& who,
                                                  const std::string& session_id) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  ASSIGN_OR_RETURN(SessionRecord session, storage_->GetSession(session_id));
  const bool was_open = session.state == SessionState::kOpen;
  int64_t ended_at_ms = session.ended_at_ms;
  if (was_open) {
    ASSIGN_OR_RETURN(std::vector<StoredEvent> events, storage_->ListEvents(session_id));
    ended_at_ms = events.empty() ? 0 : events.back().event.at_ms;
  }
  ASSIGN_OR_RETURN(Scorecard card, ledger_->Close(session_id, ended_at_ms));
  if (was_open) RETURN_IF_ERROR(Audit(who, "session.end", session_id, "ended by the LMS"));
  return card;
}

absl::StatusOr<SessionRecord> ProctorCore::SessionHead(const Principal& who) {
  RETURN_IF_ERROR(Require(who, {Role::kLearner}));
  return storage_->GetSession(who.session_id);
}

absl::StatusOr<std::vector<SessionRecord>> ProctorCore::ListSessions(const Principal& who,
                                                                     bool flagged_only) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator, Role::kExaminer}));
  return storage_->ListSessions(flagged_only);
}

absl::StatusOr<SessionView> ProctorCore::GetSession(const Principal& who,
                                                    const std::string& session_id) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator, Role::kExaminer}));
  SessionView view;
  ASSIGN_OR_RETURN(view.session, storage_->GetSession(session_id));
  ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(view.session.assessment_id));
  ASSIGN_OR_RETURN(view.policy, SessionPolicy(*storage_, view.session.learner_id, assessment));
  ASSIGN_OR_RETURN(view.events, storage_->ListEvents(session_id));
  ASSIGN_OR_RETURN(view.findings, storage_->ListFindings(session_id));
  int64_t end = view.session.ended_at_ms;
  if (view.session.state == SessionState::kOpen && !view.events.empty()) {
    end = view.events.back().event.at_ms;
  }
  const i18n::Translator& t = i18n::Translator::For(who.language);
  view.scorecard = ScoreSession(view.events, view.findings, view.policy, end, t);
  if (view.session.state == SessionState::kClosed &&
      view.session.verdict == Verdict::kPendingReview &&
      view.scorecard.verdict == Verdict::kAutoAccepted) {
    ASSIGN_OR_RETURN(ReviewHistory history, SessionReviewHistory(session_id));
    if (history.sampled) {
      view.scorecard.reasons.push_back(
          t.Tr("sampled for quality control: the policy would have accepted it automatically"));
    }
    if (history.self_enrolled) {
      view.scorecard.reasons.push_back(
          t.Tr("the learner enrolled themselves and, when the session closed, no examiner had "
               "confirmed their photo against the institution's record (see Self-enrollments)"));
    }
    if (history.no_template) {
      view.scorecard.reasons.push_back(
          t.Tr("the learner had no enrolled face template: the server could not check who took "
               "the assessment, only the client said so"));
    }
  }
  if (view.session.state == SessionState::kClosed) {
    view.scorecard.verdict = view.session.verdict;
    view.scorecard.risk_score = view.session.risk_score;
  }
  return view;
}

absl::StatusOr<Verdict> ProctorCore::Decide(const Principal& who, const std::string& session_id,
                                            Verdict verdict, const std::string& note) {
  RETURN_IF_ERROR(Require(who, {Role::kExaminer, Role::kAdministrator}));
  if (verdict != Verdict::kAccepted && verdict != Verdict::kRejected) {
    return absl::InvalidArgumentError("an examiner's verdict is ACCEPTED or REJECTED");
  }
  RETURN_IF_ERROR(ValidateText(note, "note", 2000));
  ASSIGN_OR_RETURN(SessionRecord session, storage_->GetSession(session_id));
  if (session.state != SessionState::kClosed) {
    return absl::FailedPreconditionError("the session is still open; decide after it closes");
  }
  ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(session.assessment_id));
  ASSIGN_OR_RETURN(ReviewHistory history, SessionReviewHistory(session_id));
  if (history.open_appeal &&
      std::find(history.barred.begin(), history.barred.end(), who.label) != history.barred.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the learner appealed: the appeal is reviewed by an examiner who did not decide this "
        "session before (not ",
        absl::StrJoin(history.barred, ", "), ")"));
  }
  std::string detail = absl::StrCat(VerdictName(verdict), ": ", note);
  std::string decided_by = who.label;
  if (history.open_proposal) {
    const std::string& proposer = history.open_proposal->actor;
    if (verdict == Verdict::kRejected && proposer == who.label) {
      return absl::FailedPreconditionError(
          "you proposed this rejection; a FINAL session is rejected only when a second examiner "
          "agrees");
    }
    if (verdict == Verdict::kRejected) {
      decided_by = absl::StrCat(proposer, ", ", who.label);
      detail = absl::StrCat("REJECTED (agreeing with ", proposer, "'s proposal): ", note);
    } else if (proposer != who.label) {
      detail = absl::StrCat("ACCEPTED (overruling ", proposer, "'s proposed rejection): ", note);
    }
  } else if (verdict == Verdict::kRejected && assessment.kind == AssessmentKind::kFinal) {
    // The first examiner's rejection is a proposal until a second one agrees; meanwhile the
    // result is not official either way.
    session.verdict = Verdict::kPendingReview;
    RETURN_IF_ERROR(storage_->UpdateSessionOutcome(session));
    RETURN_IF_ERROR(Audit(who, "review.reject_proposed", session_id, note));
    return Verdict::kPendingReview;
  }
  session.verdict = verdict;
  session.decision_note = note;
  session.decided_by = decided_by;
  RETURN_IF_ERROR(storage_->UpdateSessionOutcome(session));
  RETURN_IF_ERROR(Audit(who, "review.decide", session_id, detail));
  return verdict;
}

absl::StatusOr<std::string> ProctorCore::SetAccommodation(const Principal& who, Accommodation a) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateId(a.learner_id, "learner id"));
  RETURN_IF_ERROR(ValidateId(a.assessment_id, "assessment id"));
  RETURN_IF_ERROR(ValidateText(a.reason, "reason", 1000));
  if (a.reason.empty()) return absl::InvalidArgumentError("an accommodation needs a reason");
  if (a.extra_absence_ms < 0 || a.extra_absence_ms > 3'600'000) {
    return absl::InvalidArgumentError("extra absence tolerance must be within 0-3600 s");
  }
  if (a.extra_time_ms < 0 || a.extra_time_ms > 600 * 60'000) {
    return absl::InvalidArgumentError("extra time must be within 0-600 min");
  }
  RETURN_IF_ERROR(storage_->GetLearner(a.learner_id).status());
  ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(a.assessment_id));
  a.granted_by = who.label;
  a.granted_at_unix_ms = clock_->NowUnixMs();
  RETURN_IF_ERROR(storage_->PutAccommodation(a));
  // The reason may concern the learner's health: the audit log keeps the adjustments only.
  RETURN_IF_ERROR(Audit(who, "accommodation.set", a.learner_id,
                        absl::StrFormat("assessment %s: extra absence %d s, looking away %s, "
                                        "identity %s, extra time %d min",
                                        a.assessment_id, a.extra_absence_ms / 1000,
                                        a.looking_away_ignored ? "not scored" : "scored",
                                        a.identity_ends_only ? "start and end only" : "throughout",
                                        a.extra_time_ms / 60000)));
  return DescribePolicy(assessment.kind, Accommodate(PolicyFor(assessment.kind), a),
                        i18n::Translator::For(who.language));
}

std::optional<int64_t> ProctorCore::EvidenceKeptUntil(const SessionRecord& s, AssessmentKind kind,
                                                      int64_t decided_at_unix_ms) const {
  const bool final_verdict = s.verdict == Verdict::kAutoAccepted ||
                             s.verdict == Verdict::kAccepted || s.verdict == Verdict::kRejected;
  if (s.state != SessionState::kClosed || !final_verdict) return std::nullopt;
  const int64_t days = kind == AssessmentKind::kFinal ? retention_.final_evidence_days
                                                      : retention_.intermediate_evidence_days;
  return std::max(s.closed_at_unix_ms, decided_at_unix_ms) + days * 86'400'000;
}

absl::StatusOr<RetentionReport> ProctorCore::RunRetention(const Principal& who, bool dry_run) {
  RETURN_IF_ERROR(Require(who, {Role::kAdministrator}));
  const int64_t now = clock_->NowUnixMs();
  ASSIGN_OR_RETURN(std::vector<SessionRecord> sessions, storage_->ListSessions(false));
  ASSIGN_OR_RETURN(std::vector<AuditEntry> audit, storage_->ListAudit());
  std::set<std::string> done;              // sessions and learners already purged under retention
  std::map<std::string, int64_t> decided;  // session -> its last examiner decision
  for (const AuditEntry& e : audit) {
    if (absl::StartsWith(e.action, "retention.")) done.insert(e.action + "/" + e.subject);
    if (e.action == "review.decide") decided[e.subject] = e.at_unix_ms;
  }
  std::map<std::string, AssessmentKind> kinds;
  std::map<std::string, int64_t> last_use;  // learner -> newest session opened or enrollment
  for (const AuditEntry& e : audit) {
    if (e.action == "learner.enroll" || e.action == "learner.self_enroll")
      last_use[e.subject] = std::max(last_use[e.subject], e.at_unix_ms);
  }
  RetentionReport report;
  report.dry_run = dry_run;
  for (const SessionRecord& s : sessions) {
    last_use[s.learner_id] = std::max(last_use[s.learner_id], s.opened_at_unix_ms);
    if (!kinds.count(s.assessment_id)) {
      ASSIGN_OR_RETURN(Assessment a, storage_->GetAssessment(s.assessment_id));
      kinds[s.assessment_id] = a.kind;
    }
    const auto until = EvidenceKeptUntil(s, kinds[s.assessment_id], decided[s.id]);
    if (!until || *until > now || done.count("retention.evidence/" + s.id)) continue;
    RetentionReport::Session item{s.id, s.learner_id, *until, 0};
    if (!dry_run) {
      ASSIGN_OR_RETURN(item.evidence_removed, storage_->PurgeSessionEvidence(s.id));
      RETURN_IF_ERROR(Audit(
          who, "retention.evidence", s.id,
          absl::StrFormat("%d evidence image(s) deleted under retention", item.evidence_removed)));
    }
    report.sessions.push_back(std::move(item));
  }
  for (const auto& [learner, used] : last_use) {
    const int64_t until = used + retention_.template_days * 86'400'000;
    if (until > now) continue;
    auto l = storage_->GetLearner(learner);
    if (absl::IsNotFound(l.status())) continue;
    if (!l.ok()) return l.status();
    if (l->template_count == 0) continue;
    RetentionReport::LearnerTemplates item{learner, until, 0};
    if (!dry_run) {
      // Templates only: the evidence of the learner's sessions follows its own periods (a
      // session still in review or appeal keeps it).
      RETURN_IF_ERROR(storage_->ReplaceTemplates(learner, {}));
      item.templates_removed = l->template_count;
      ledger_->ForgetLearner(learner);
      RETURN_IF_ERROR(
          Audit(who, "retention.templates", learner,
                absl::StrFormat("%d template(s) deleted under retention", item.templates_removed)));
    }
    report.learners.push_back(std::move(item));
  }
  return report;
}

absl::StatusOr<Verdict> ProctorCore::FileAppeal(const Principal& who, const std::string& session_id,
                                                const std::string& reason) {
  RETURN_IF_ERROR(Require(who, {Role::kLmsConnector, Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateText(reason, "reason", 4000));
  if (reason.empty()) return absl::InvalidArgumentError("an appeal needs a reason");
  ASSIGN_OR_RETURN(SessionRecord session, storage_->GetSession(session_id));
  if (session.state != SessionState::kClosed) {
    return absl::FailedPreconditionError("the session is still open: nothing to appeal yet");
  }
  if (session.verdict == Verdict::kPendingReview) {
    return absl::FailedPreconditionError(
        "the session waits for an examiner's verdict: nothing to appeal yet");
  }
  session.verdict = Verdict::kPendingReview;
  RETURN_IF_ERROR(storage_->UpdateSessionOutcome(session));
  RETURN_IF_ERROR(Audit(who, "appeal.filed", session_id, reason));
  return Verdict::kPendingReview;
}

absl::StatusOr<ProctorCore::ReviewHistory> ProctorCore::SessionReviewHistory(
    const std::string& session_id) {
  ASSIGN_OR_RETURN(std::vector<AuditEntry> audit, storage_->ListAudit());
  ReviewHistory h;
  std::vector<std::string> deciders;  // everyone who decided or proposed so far
  auto remember = [&deciders](const std::string& label) {
    if (std::find(deciders.begin(), deciders.end(), label) == deciders.end()) {
      deciders.push_back(label);
    }
  };
  for (AuditEntry& e : audit) {
    if (e.subject != session_id) continue;
    if (e.action == "review.reject_proposed") {
      h.open_proposal = e;
      remember(e.actor);
    } else if (e.action == "review.decide") {
      h.open_proposal.reset();
      h.open_appeal.reset();
      remember(e.actor);
    } else if (e.action == "review.sampled") {
      h.sampled = true;
    } else if (e.action == "review.self_enrolled") {
      h.self_enrolled = true;
    } else if (e.action == "review.no_template") {
      h.no_template = true;
    } else if (e.action == "appeal.filed") {
      h.open_proposal.reset();
      h.open_appeal = e;
      h.barred = deciders;
    } else {
      continue;
    }
    h.entries.push_back(std::move(e));
  }
  return h;
}

absl::Status ProctorCore::RecordEvidenceView(const Principal& who, const std::string& session_id,
                                             const std::string& what) {
  RETURN_IF_ERROR(Require(who, {Role::kExaminer, Role::kAdministrator}));
  RETURN_IF_ERROR(ValidateId(session_id, "session id"));
  return Audit(who, "evidence.view", session_id, what);
}

absl::StatusOr<ResultStatus> ProctorCore::SubmitResult(const Principal& who,
                                                       const std::string& session_id, double score,
                                                       double max_score) {
  RETURN_IF_ERROR(Require(who, {Role::kLmsConnector, Role::kAdministrator}));
  if (!std::isfinite(score) || !std::isfinite(max_score) || max_score <= 0 || max_score > 1e6 ||
      score < 0 || score > max_score) {
    return absl::InvalidArgumentError("need 0 <= score <= max_score, 0 < max_score <= 1e6");
  }
  ASSIGN_OR_RETURN(SessionRecord session, storage_->GetSession(session_id));
  RETURN_IF_ERROR(storage_->PutResult({session_id, session.learner_id, session.assessment_id, score,
                                       max_score, clock_->NowUnixMs(), who.label}));
  RETURN_IF_ERROR(
      Audit(who, "result.submit", session_id, absl::StrFormat("%g / %g", score, max_score)));
  return ResultStatusFor(session.state, session.verdict);
}

absl::StatusOr<std::vector<ResultView>> ProctorCore::ListResults(const Principal& who,
                                                                 const std::string& assessment_id) {
  RETURN_IF_ERROR(Require(who, {Role::kLmsConnector, Role::kAdministrator, Role::kExaminer}));
  ASSIGN_OR_RETURN(auto results, storage_->ListResults(assessment_id));
  std::vector<ResultView> out;
  for (ResultRecord& r : results) {
    ASSIGN_OR_RETURN(SessionRecord session, storage_->GetSession(r.session_id));
    ASSIGN_OR_RETURN(Assessment assessment, storage_->GetAssessment(session.assessment_id));
    ResultView view{std::move(r), assessment.kind, session.verdict,
                    ResultStatusFor(session.state, session.verdict)};
    out.push_back(std::move(view));
  }
  return out;
}

}  // namespace proctor::server
