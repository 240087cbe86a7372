// The wire codec both ends share: proctor.v1 messages <-> proctor's own types, for events (the
// client's journal records and the stream), the enrolled templates an opened session carries,
// and gRPC status <-> absl::Status. Nothing above the service and uplink code sees a .pb.h.
#ifndef PROCTOR_PROTOCOL_EVENT_CODEC_H_
#define PROCTOR_PROTOCOL_EVENT_CODEC_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/event.h"
#include "grpcpp/support/status.h"
#include "proctor/v1/session.pb.h"
#include "proctor/v1/types.pb.h"
#include "protocol/identity_rule.h"

namespace proctor::protocol {

// Copies every field. Fails with INVALID_ARGUMENT when prev_hash is not 32 bytes or the kind
// or phase is outside the enum (other range checks belong to the server's ValidateEvent).
absl::StatusOr<Event> EventFromProto(const v1::Event& proto);
void EventToProto(const Event& event, v1::Event* proto);

// The enrolled templates of an opened session: enrolled_templates, or for a server that predates
// them the single reference_descriptor. INVALID_ARGUMENT when a template is malformed.
absl::StatusOr<std::vector<Template>> TemplatesFromProto(const v1::OpenSessionResponse& response);
// Fills enrolled_templates and, for clients that predate them, reference_descriptor (the first).
void TemplatesToProto(const std::vector<Template>& templates, v1::OpenSessionResponse* response);

// A failed call as an absl::Status with the same code; `what` ("opening the session at h:p")
// leads the message. OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view what);
// absl and gRPC share the canonical code numbers.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// Worth another try by a client: the network, the server or its database may come back
// (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN).
bool IsRetryable(absl::StatusCode code);

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_EVENT_CODEC_H_
