// /metrics in the Prometheus text exposition format (version 0.0.4). Pure; thread-safe.
#ifndef PROCTOR_SERVER_HTTP_METRICS_TEXT_H_
#define PROCTOR_SERVER_HTTP_METRICS_TEXT_H_

#include <cstdint>
#include <string>

#include "server/core/group_committer.h"
#include "server/core/session_ledger.h"

namespace proctor::server::http {

struct MetricsInput {
  uint64_t sessions_open = 0;
  uint64_t sessions_pending_review = 0;
  LedgerStats ledger;
  GroupCommitStats commits;
};

std::string RenderMetrics(const MetricsInput& input);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_METRICS_TEXT_H_
