// ServerConnection over gRPC (proctor.v1.SessionService): the only client code that sees the
// generated stubs. Channels keep alive (a dead connection is noticed within ~15 s while idle)
// and reconnect with the uplink's backoff; TLS when UplinkOptions::tls_ca_file is set.
#ifndef PROCTOR_CLIENT_UPLINK_GRPC_SERVER_CONNECTION_H_
#define PROCTOR_CLIENT_UPLINK_GRPC_SERVER_CONNECTION_H_

#include "client/uplink/server_connection.h"
#include "client/uplink/uplink.h"

namespace proctor::client {

// Connections to the real servers; `options` is copied.
ConnectionFactory GrpcConnections(const UplinkOptions& options);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_UPLINK_GRPC_SERVER_CONNECTION_H_
