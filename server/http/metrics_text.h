// /metrics in the Prometheus text exposition format (version 0.0.4). Pure; thread-safe.
#ifndef PROCTOR_SERVER_HTTP_METRICS_TEXT_H_
#define PROCTOR_SERVER_HTTP_METRICS_TEXT_H_

#include <cstdint>
#include <string>

#include "server/core/group_committer.h"
#include "server/core/session_ledger.h"
#include "server/core/storage.h"

namespace proctor::server::http {

struct MetricsInput {
  // Whether the database answered the scrape's query; without it the session gauges are left out
  // (a 0 would read as "no sessions") and everything else is still served.
  bool database_up = true;
  StorageWriter writer;
  uint64_t sessions_open = 0;
  uint64_t sessions_pending_review = 0;
  LedgerStats ledger;
  GroupCommitStats commits;
};

std::string RenderMetrics(const MetricsInput& input);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_METRICS_TEXT_H_
