#include "server/service/admin_service.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "server/service/call_principal.h"
#include "server/service/proto_convert.h"

namespace proctor::server {

grpc::Status AdminServiceImpl::SetConsentNotice(grpc::ServerContext* context,
                                                const v1::SetConsentNoticeRequest* request,
                                                v1::ConsentNotice* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto notice = core_->SetConsentNotice(who, request->assessment_id(), request->text());
    if (!notice.ok()) return notice.status();
    ConsentNoticeToProto(*notice, response);
    return absl::OkStatus();
  });
}

namespace {

void ToolUrls(const std::string& public_url, v1::LtiToolUrls* out) {
  if (public_url.empty()) return;
  out->set_public_url(public_url);
  out->set_login_url(public_url + "/lti/login");
  out->set_launch_url(public_url + "/lti/launch");
  out->set_jwks_url(public_url + "/lti/jwks");
}

}  // namespace

grpc::Status AdminServiceImpl::AddLtiPlatform(grpc::ServerContext* context,
                                              const v1::LtiPlatform* request,
                                              v1::LtiToolUrls* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    LtiPlatform p;
    p.issuer = request->issuer();
    p.client_id = request->client_id();
    p.deployment_ids.assign(request->deployment_ids().begin(), request->deployment_ids().end());
    p.auth_url = request->auth_url();
    p.token_url = request->token_url();
    p.jwks_url = request->jwks_url();
    RETURN_IF_ERROR(core_->AddLtiPlatform(who, std::move(p)));
    ToolUrls(lti_public_url_, response);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListLtiPlatforms(grpc::ServerContext* context,
                                                const v1::ListLtiPlatformsRequest*,
                                                v1::ListLtiPlatformsResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<LtiPlatform> platforms, core_->ListLtiPlatforms(who));
    for (const LtiPlatform& p : platforms) {
      v1::LtiPlatform* out = response->add_platforms();
      out->set_issuer(p.issuer);
      out->set_client_id(p.client_id);
      for (const std::string& d : p.deployment_ids) out->add_deployment_ids(d);
      out->set_auth_url(p.auth_url);
      out->set_token_url(p.token_url);
      out->set_jwks_url(p.jwks_url);
      out->set_created_by(p.created_by);
      out->set_created_at_unix_ms(p.created_at_unix_ms);
    }
    ToolUrls(lti_public_url_, response->mutable_tool());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RemoveLtiPlatform(grpc::ServerContext* context,
                                                 const v1::RemoveLtiPlatformRequest* request,
                                                 v1::RemoveLtiPlatformResponse*) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    return core_->RemoveLtiPlatform(who, request->issuer(), request->client_id());
  });
}

grpc::Status AdminServiceImpl::GetAssessmentNotice(grpc::ServerContext* context,
                                                   const v1::GetAssessmentNoticeRequest* request,
                                                   v1::ConsentNotice* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto notice = core_->GetConsentNotice(who, request->assessment_id(), request->version());
    if (!notice.ok()) return notice.status();
    ConsentNoticeToProto(*notice, response);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RevokeTokens(grpc::ServerContext* context,
                                            const v1::RevokeTokensRequest* request,
                                            v1::RevokeTokensResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    if (request->role() != v1::EXAMINER && request->role() != v1::LMS_CONNECTOR) {
      return absl::InvalidArgumentError("role must be EXAMINER or LMS_CONNECTOR");
    }
    auto revoked =
        core_->RevokeTokens(who, request->label(), static_cast<Role>(request->role()));
    if (!revoked.ok()) return revoked.status();
    response->set_revoked(*revoked);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RunRetention(grpc::ServerContext* context,
                                            const v1::RunRetentionRequest* request,
                                            v1::RunRetentionResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto report = core_->RunRetention(who, request->dry_run());
    if (!report.ok()) return report.status();
    response->set_dry_run(report->dry_run);
    for (const auto& s : report->sessions) {
      auto* p = response->add_sessions();
      p->set_session_id(s.session_id);
      p->set_learner_id(s.learner_id);
      p->set_kept_until_unix_ms(s.kept_until_unix_ms);
      p->set_evidence_removed(s.evidence_removed);
    }
    for (const auto& l : report->learners) {
      auto* p = response->add_learners();
      p->set_learner_id(l.learner_id);
      p->set_kept_until_unix_ms(l.kept_until_unix_ms);
      p->set_templates_removed(l.templates_removed);
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::SetAccommodation(grpc::ServerContext* context,
                                                const v1::SetAccommodationRequest* request,
                                                v1::SetAccommodationResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    Accommodation a;
    a.learner_id = request->learner_id();
    a.assessment_id = request->assessment_id();
    a.extra_absence_ms = request->extra_absence_seconds() * 1000;
    a.looking_away_ignored = request->looking_away_ignored();
    a.identity_ends_only = request->identity_ends_only();
    a.extra_time_ms = request->extra_time_minutes() * 60'000;
    a.reason = request->reason();
    auto summary = core_->SetAccommodation(who, a);
    if (!summary.ok()) return summary.status();
    response->set_policy_summary(*summary);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::CreateAssessment(grpc::ServerContext* context,
                                                const v1::CreateAssessmentRequest* request,
                                                v1::CreateAssessmentResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    if (request->kind() != v1::INTERMEDIATE && request->kind() != v1::FINAL) {
      return absl::InvalidArgumentError("kind must be INTERMEDIATE or FINAL");
    }
    Assessment a{request->assessment_id(), request->course(), request->title(),
                 static_cast<AssessmentKind>(request->kind()), 0};
    auto policy = core_->CreateAssessment(who, a);
    if (!policy.ok()) return policy.status();
    response->set_policy_summary(
        DescribePolicy(a.kind, *policy, i18n::Translator::For(who.language)));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::EnrollLearner(grpc::ServerContext* context,
                                             const v1::EnrollLearnerRequest* request,
                                             v1::EnrollLearnerResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    std::vector<std::vector<uint8_t>> photos;
    for (const std::string& p : request->photos()) photos.emplace_back(p.begin(), p.end());
    auto templates =
        core_->EnrollLearner(who, request->learner_id(), request->name(), photos,
                             {request->consent_ref(), request->consent_by_guardian()});
    if (!templates.ok()) return templates.status();
    response->set_templates(*templates);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::IssuePass(grpc::ServerContext* context,
                                         const v1::IssuePassRequest* request,
                                         v1::IssuePassResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto pass = core_->IssuePass(who, request->learner_id(), request->assessment_id(),
                                 request->valid_seconds());
    if (!pass.ok()) return pass.status();
    response->set_pass(pass->pass);
    response->set_expires_at_unix_ms(pass->expires_at_unix_ms);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::IssueToken(grpc::ServerContext* context,
                                          const v1::IssueTokenRequest* request,
                                          v1::IssueTokenResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    if (request->role() < v1::ADMINISTRATOR || request->role() > v1::LMS_CONNECTOR) {
      return absl::InvalidArgumentError("role must be ADMINISTRATOR, EXAMINER or LMS_CONNECTOR");
    }
    auto token = core_->IssueToken(who, static_cast<Role>(request->role()), request->label());
    if (!token.ok()) return token.status();
    response->set_token(*token);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::PurgeLearner(grpc::ServerContext* context,
                                            const v1::PurgeLearnerRequest* request,
                                            v1::PurgeLearnerResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto counts =
        core_->PurgeLearner(who, request->learner_id(), request->consent_withdrawn());
    if (!counts.ok()) return counts.status();
    response->set_templates_removed(counts->templates_removed);
    response->set_evidence_removed(counts->evidence_removed);
    return absl::OkStatus();
  });
}

namespace {

constexpr size_t kBackupChunkBytes = 1 << 20;

// Streams the file at `path` in chunks, the SHA-256 of the whole in the last.
absl::Status StreamFile(const std::string& path, grpc::ServerWriter<v1::BackupChunk>* writer) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::InternalError(absl::StrCat("reading the backup copy ", path));
  const auto total = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  Sha256Stream sha;
  std::string buffer(kBackupChunkBytes, '\0');
  uint64_t sent = 0;
  do {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kBackupChunkBytes, total - sent));
    if (!in.read(buffer.data(), static_cast<std::streamsize>(want))) {
      return absl::InternalError(absl::StrCat("reading the backup copy ", path));
    }
    sha.Update(reinterpret_cast<const uint8_t*>(buffer.data()), want);
    sent += want;
    v1::BackupChunk chunk;
    chunk.set_data(buffer.data(), want);
    chunk.set_total_bytes(total);
    if (sent == total) {
      const auto digest = sha.Finish();
      chunk.set_sha256(digest.data(), digest.size());
    }
    if (!writer->Write(chunk)) return absl::CancelledError("the backup's reader went away");
  } while (sent < total);
  return absl::OkStatus();
}

}  // namespace

grpc::Status AdminServiceImpl::BackupDatabase(grpc::ServerContext* context,
                                              const v1::BackupDatabaseRequest* /*request*/,
                                              grpc::ServerWriter<v1::BackupChunk>* writer) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    const std::string path = absl::StrCat(data_dir_, "/backup-", RandomToken(8), ".db.partial");
    struct RemoveAtEnd {
      const std::string& path;
      ~RemoveAtEnd() { ::unlink(path.c_str()); }
    } remove{path};
    if (absl::Status copied = core_->BackupDatabase(who, path); !copied.ok()) return copied;
    return StreamFile(path, writer);
  });
}

grpc::Status AdminServiceImpl::VerifyIntegrity(grpc::ServerContext* context,
                                               const v1::VerifyIntegrityRequest* /*request*/,
                                               v1::VerifyIntegrityResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto checked = desk_->CheckIntegrity(who);
    if (!checked.ok()) return checked.status();
    for (const http::SessionIntegrity& c : *checked) {
      v1::SessionIntegrity* out = response->add_sessions();
      out->set_session_id(c.session.id);
      out->set_learner_id(c.session.learner_id);
      out->set_assessment_id(c.session.assessment_id);
      out->set_state(SessionStateToProto(c.session.state));
      out->set_events(c.chain.events);
      out->set_recomputed(c.chain.recomputed);
      out->set_linked(c.chain.linked);
      out->set_unverifiable(c.chain.unverifiable);
      out->set_head_matches(c.chain.head_matches);
      out->set_signatures(c.signatures.signatures);
      out->set_signatures_verified(c.signatures.verified);
      out->set_unsigned_events(c.signatures.unsigned_events);
      for (const std::string& p : c.chain.problems) out->add_problems(p);
      for (const std::string& p : c.signatures.problems) out->add_problems(p);
      if (c.signatures.unsigned_events > 0) {
        out->add_problems(absl::StrCat(c.signatures.unsigned_events,
                                       " event(s) after the last signed batch head"));
      }
      out->set_ok(c.ok());
    }
    return absl::OkStatus();
  });
}

}  // namespace proctor::server
