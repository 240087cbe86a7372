// Conversions between proctor.v1 messages and proctor's own types. Only service/, ctl/,
// loadgen/ and the client uplink include this; the core never sees a .pb.h.
#ifndef PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_
#define PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/event.h"
#include "proctor/v1/types.pb.h"
#include "server/core/domain.h"

namespace proctor::server {

// Copies every field. Fails with INVALID_ARGUMENT when prev_hash is not 32 bytes or the kind
// or phase is outside the enum (other range checks belong to ValidateEvent).
absl::StatusOr<Event> EventFromProto(const v1::Event& proto);
void EventToProto(const Event& event, v1::Event* proto);

v1::Verdict VerdictToProto(Verdict verdict);
v1::ResultStatus ResultStatusToProto(ResultStatus status);
v1::AssessmentKind AssessmentKindToProto(AssessmentKind kind);
v1::SessionState SessionStateToProto(SessionState state);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_PROTO_CONVERT_H_
