#include "server/lti/lti_provisioning.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "protocol/identity_rule.h"
#include "server/core/policy.h"
#include "server/lti/wire_text.h"

namespace proctor::server::lti {
namespace {

// "lti-" + 20 hex digits of SHA-256 of the parts joined by NUL (80 bits: no collision among
// any realistic number of users or links).
std::string StableId(std::initializer_list<std::string> parts) {
  std::string joined;
  for (const std::string& p : parts) {
    joined += p;
    joined.push_back('\0');
  }
  return "lti-" + SecretHash(joined).substr(0, 20);
}

// Truncated to what the core accepts as a name or title, on a UTF-8 boundary.
std::string Fit(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

std::string RandomId() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  return ToHex(bytes, sizeof(bytes));
}

std::string PassAd(const std::string& attempt_id) { return "lti attempt pass " + attempt_id; }

std::string AllowedUrl(const nlohmann::json& object, const char* name) {
  const std::string url = JsonText(object, name);
  return IsAllowedLtiUrl(url) ? url : "";
}

std::vector<std::string> Strings(const nlohmann::json& object, const char* name) {
  std::vector<std::string> out;
  if (!object.is_object() || !object.contains(name) || !object[name].is_array()) return out;
  for (const nlohmann::json& v : object[name]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const nlohmann::json& Claim(const nlohmann::json& claims, const std::string& name) {
  static const nlohmann::json kNone = nlohmann::json::object();
  auto it = claims.find(name);
  return it != claims.end() && it->is_object() ? *it : kNone;
}

}  // namespace

bool AttemptServices::HasScope(const std::string& scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool AttemptServices::AcsSupports(const std::string& action) const {
  return !acs_url.empty() &&
         std::find(acs_actions.begin(), acs_actions.end(), action) != acs_actions.end();
}

AttemptServices ServicesOf(const LtiLaunch& launch) {
  AttemptServices s;
  s.sub = launch.sub;
  const nlohmann::json& ags =
      Claim(launch.claims, "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint");
  s.lineitems_url = AllowedUrl(ags, "lineitems");
  s.lineitem_url = AllowedUrl(ags, "lineitem");
  s.scopes = Strings(ags, "scope");
  const nlohmann::json& acs = Claim(launch.claims, std::string(kProctoringPrefix) + "acs");
  s.acs_url = AllowedUrl(acs, "assessment_control_url");
  s.acs_actions = Strings(acs, "actions");
  s.return_url =
      AllowedUrl(Claim(launch.claims, std::string(kClaimPrefix) + "launch_presentation"),
                 "return_url");
  return s;
}

std::string ServicesJson(const AttemptServices& s) {
  return nlohmann::json{{"sub", s.sub},
                        {"lineitems", s.lineitems_url},
                        {"lineitem", s.lineitem_url},
                        {"scopes", s.scopes},
                        {"acs_url", s.acs_url},
                        {"acs_actions", s.acs_actions},
                        {"return_url", s.return_url}}
      .dump();
}

AttemptServices ParseServices(const std::string& json) {
  AttemptServices s;
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return s;
  s.sub = JsonText(doc, "sub");
  s.lineitems_url = AllowedUrl(doc, "lineitems");
  s.lineitem_url = AllowedUrl(doc, "lineitem");
  s.scopes = Strings(doc, "scopes");
  s.acs_url = AllowedUrl(doc, "acs_url");
  s.acs_actions = Strings(doc, "acs_actions");
  s.return_url = AllowedUrl(doc, "return_url");
  return s;
}

std::string LtiLearnerId(const LtiLaunch& l) { return StableId({l.platform.issuer, l.sub}); }

std::string LtiAssessmentId(const LtiLaunch& l) {
  return StableId({l.platform.issuer, l.deployment_id, l.context_id, l.resource_link_id});
}

AssessmentKind LtiAssessmentKind(const LtiLaunch& l) {
  auto custom = l.custom.find("proctor_kind");
  if (custom != l.custom.end() && absl::EqualsIgnoreCase(custom->second, "final")) {
    return AssessmentKind::kFinal;
  }
  const std::string settings = std::string(kProctoringPrefix) + "proctoring_settings";
  if (l.claims.contains(settings) && l.claims[settings].is_object() &&
      l.claims[settings].contains("data") && l.claims[settings]["data"].is_string()) {
    const std::string data = absl::AsciiStrToLower(l.claims[settings]["data"].get<std::string>());
    if (absl::StrContains(data, "kind=final")) return AssessmentKind::kFinal;
  }
  return AssessmentKind::kIntermediate;
}

bool IsLearnerLaunch(const LtiLaunch& launch) {
  if (launch.roles.empty()) return true;
  for (const std::string& role : launch.roles) {
    // Full URIs (membership#Learner, institution/person#Student) or the deprecated short forms.
    if (absl::EndsWith(role, "#Learner") || absl::EndsWith(role, "#Student") || role == "Learner" ||
        role == "Student") {
      return true;
    }
  }
  return false;
}

absl::StatusOr<ProvisionedLaunch> Provision(ProctorCore* core, Storage* storage,
                                            const SealedBox* box, const LtiLaunch& launch,
                                            int64_t pass_seconds, int64_t now_unix_ms) {
  const Principal platform{Role::kAdministrator, Fit("lti " + launch.platform.issuer, 200), ""};
  ProvisionedLaunch out;
  const std::string learner_id = LtiLearnerId(launch);
  const std::string name = Fit(launch.name.empty() ? launch.sub : launch.name, 200);
  RETURN_IF_ERROR(storage->UpsertLearner(learner_id, name));
  ASSIGN_OR_RETURN(out.learner, storage->GetLearner(learner_id));

  Assessment wanted;
  wanted.id = LtiAssessmentId(launch);
  wanted.course = Fit(launch.context_title.empty() ? launch.context_id : launch.context_title, 200);
  if (wanted.course.empty()) wanted.course = "LTI";
  wanted.title =
      Fit(launch.resource_link_title.empty() ? launch.resource_link_id : launch.resource_link_title,
          200);
  wanted.kind = LtiAssessmentKind(launch);
  absl::StatusOr<Assessment> existing = storage->GetAssessment(wanted.id);
  if (absl::IsNotFound(existing.status())) {
    absl::Status created = core->CreateAssessment(platform, wanted).status();
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;  // a concurrent launch
    out.assessment_created = created.ok();
    ASSIGN_OR_RETURN(out.assessment, storage->GetAssessment(wanted.id));
  } else {
    RETURN_IF_ERROR(existing.status());
    out.assessment = *existing;
  }
  ASSIGN_OR_RETURN(out.pass,
                   core->IssuePass(platform, learner_id, out.assessment.id, pass_seconds));
  LtiAttempt& a = out.attempt;
  a.id = RandomId();
  a.learner_id = learner_id;
  a.assessment_id = out.assessment.id;
  a.issuer = launch.platform.issuer;
  a.client_id = launch.platform.client_id;
  a.deployment_id = launch.deployment_id;
  a.message_type = launch.message_type;
  a.resource_link_id = launch.resource_link_id;
  a.attempt_number = launch.attempt_number;
  a.session_data = launch.session_data;
  a.start_assessment_url = launch.start_assessment_url;
  if (a.message_type == "LtiResourceLinkRequest") {
    // Moodle and Canvas: where the learner continues is the course's own choice.
    auto next = launch.custom.find("proctor_continue_url");
    if (next != launch.custom.end() && IsAllowedLtiUrl(next->second)) {
      a.start_assessment_url = next->second;
    }
  }
  a.locale = launch.locale;
  a.pass_hash = SecretHash(out.pass.pass);
  a.sealed_pass =
      box->Seal(std::vector<uint8_t>(out.pass.pass.begin(), out.pass.pass.end()), PassAd(a.id));
  a.pass_expires_at_unix_ms = out.pass.expires_at_unix_ms;
  a.created_at_unix_ms = now_unix_ms;
  a.services = ServicesJson(ServicesOf(launch));
  RETURN_IF_ERROR(storage->PutLtiAttempt(a));
  return out;
}

absl::StatusOr<EndedAttempt> EndAttempt(ProctorCore* core, Storage* storage,
                                        const LtiLaunch& launch) {
  ASSIGN_OR_RETURN(std::vector<LtiAttempt> attempts,
                   storage->ListLtiAttempts(LtiLearnerId(launch), LtiAssessmentId(launch)));
  EndedAttempt out;
  bool found = false;
  for (LtiAttempt& a : attempts) {  // oldest first: the last match is the latest
    if (a.issuer == launch.platform.issuer && a.client_id == launch.platform.client_id &&
        (launch.attempt_number == 0 || a.attempt_number == launch.attempt_number)) {
      out.attempt = std::move(a);
      found = true;
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no proctored attempt ", launch.attempt_number,
                                            " of this learner on resource link ",
                                            launch.resource_link_id));
  }
  ASSIGN_OR_RETURN(out.session_id, storage->SessionOfPass(out.attempt.pass_hash));
  if (out.session_id.empty()) return out;
  ASSIGN_OR_RETURN(SessionRecord session, storage->GetSession(out.session_id));
  if (session.state == SessionState::kClosed) return out;
  const Principal platform{Role::kAdministrator, Fit("lti " + launch.platform.issuer, 200), ""};
  RETURN_IF_ERROR(core->EndSession(platform, out.session_id).status());
  out.closed_now = true;
  return out;
}

absl::StatusOr<std::string> AttemptPass(const SealedBox* box, const LtiAttempt& attempt) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> pass, box->Open(attempt.sealed_pass, PassAd(attempt.id)));
  return std::string(pass.begin(), pass.end());
}

absl::StatusOr<AttemptStatus> StatusOf(Storage* storage, const LtiAttempt& attempt) {
  AttemptStatus out;
  ASSIGN_OR_RETURN(Assessment assessment, storage->GetAssessment(attempt.assessment_id));
  const Policy policy = PolicyFor(assessment.kind);
  out.threshold = policy.match_threshold;
  out.liveness_required = policy.liveness_required;
  // The session this attempt's own pass opened, and no other.
  ASSIGN_OR_RETURN(std::string session_id, storage->SessionOfPass(attempt.pass_hash));
  if (session_id.empty()) return out;
  absl::StatusOr<SessionRecord> session = storage->GetSession(session_id);
  RETURN_IF_ERROR(session.status());
  out.session_id = session->id;
  out.session_closed = session->state == SessionState::kClosed;
  ASSIGN_OR_RETURN(std::vector<StoredEvent> events, storage->ListEvents(session->id));
  for (const StoredEvent& e : events) {
    if (e.event.kind != EventKind::kIdentityVerified || !e.has_evidence || e.server_distance < 0 ||
        !protocol::SamePerson(e.server_distance, policy.match_threshold)) {
      continue;
    }
    out.identity_verified = true;
    if (out.distance < 0 || e.server_distance < out.distance) out.distance = e.server_distance;
  }
  ASSIGN_OR_RETURN(std::vector<Finding> findings, storage->ListFindings(session->id));
  for (const Finding& f : findings) {
    out.evidence_mismatch |= f.kind == EventKind::kEvidenceMismatch;
    out.liveness_passed |= f.kind == EventKind::kLivenessPassed;
  }
  return out;
}

nlohmann::json StartAssessmentClaims(const LtiAttempt& a, const Learner& learner,
                                     const AttemptStatus& status, int64_t now_unix_ms) {
  const std::string lti = kClaimPrefix;
  const std::string ap = kProctoringPrefix;
  const int64_t now = now_unix_ms / 1000;
  nlohmann::json verified = {{"name", learner.name}};
  return {{"iss", a.client_id},
          {"aud", a.issuer},
          {"iat", now},
          {"exp", now + 300},
          {"nonce", RandomId()},
          {lti + "message_type", "LtiStartAssessment"},
          {lti + "version", "1.3.0"},
          {lti + "deployment_id", a.deployment_id},
          {lti + "resource_link", {{"id", a.resource_link_id}}},
          {ap + "session_data", a.session_data},
          {ap + "attempt_number", a.attempt_number},
          {ap + "verified_user", verified},
          {ap + "end_assessment_return", false},
          // What the server measured, for the platform's records (an extension claim).
          {"https://proctor.example/claim/identity",
           {{"session_id", status.session_id},
            {"distance", status.distance},
            {"threshold", status.threshold},
            {"liveness_passed", status.liveness_passed}}}};
}

}  // namespace proctor::server::lti
