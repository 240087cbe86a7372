// Conversions between proctor.v1 messages and the server's domain enums. Only service/, ctl/ and
// loadgen/ include this; the core never sees a .pb.h. What both ends share (events, templates,
// status codes) is protocol/event_codec.h.
#ifndef PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_
#define PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_

#include "proctor/v1/types.pb.h"
#include "server/core/domain.h"

namespace proctor::server {

v1::Verdict VerdictToProto(Verdict verdict);
v1::ResultStatus ResultStatusToProto(ResultStatus status);
v1::AssessmentKind AssessmentKindToProto(AssessmentKind kind);
v1::SessionState SessionStateToProto(SessionState state);
void ConsentNoticeToProto(const ConsentNotice& notice, v1::ConsentNotice* out);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_
