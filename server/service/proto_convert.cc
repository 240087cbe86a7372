#include "server/service/proto_convert.h"

namespace proctor::server {

v1::Verdict VerdictToProto(Verdict verdict) { return static_cast<v1::Verdict>(verdict); }
v1::ResultStatus ResultStatusToProto(ResultStatus status) {
  return static_cast<v1::ResultStatus>(status);
}
v1::AssessmentKind AssessmentKindToProto(AssessmentKind kind) {
  return static_cast<v1::AssessmentKind>(kind);
}
v1::SessionState SessionStateToProto(SessionState state) {
  return static_cast<v1::SessionState>(state);
}

void ConsentNoticeToProto(const ConsentNotice& notice, v1::ConsentNotice* out) {
  out->set_version(notice.version);
  out->set_text(notice.text);
  out->set_sha256(notice.sha256_hex);
  out->set_assessment_id(notice.assessment_id);
}

}  // namespace proctor::server
