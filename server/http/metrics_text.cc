#include "server/http/metrics_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/event.h"

namespace proctor::server::http {
namespace {

// Kinds that can be flagged (states and instants the policy counts, and the server's own
// findings): listed even at zero so that a dashboard sees every series from the start.
constexpr EventKind kFlagKinds[] = {
    EventKind::kIdentityMismatch, EventKind::kFaceAbsent,        EventKind::kMultipleFaces,
    EventKind::kLookingAway,      EventKind::kCameraUnavailable, EventKind::kLivenessFailed,
    EventKind::kEvidenceMismatch,
};

void Family(std::string& out, const char* name, const char* type, const char* help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Sample(std::string& out, const std::string& name, uint64_t value) {
  absl::StrAppend(&out, name, " ", value, "\n");
}

// A label value in the exposition format: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Number(double v) { return absl::StrFormat("%.9g", v); }

void Histogram(std::string& out, const char* name, const HistogramSnapshot& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    cumulative += i < h.counts.size() ? h.counts[i] : 0;
    absl::StrAppend(&out, name, "_bucket{le=\"", Number(h.upper_bounds[i]), "\"} ", cumulative,
                    "\n");
  }
  absl::StrAppend(&out, name, "_bucket{le=\"+Inf\"} ", h.count, "\n");
  absl::StrAppend(&out, name, "_sum ", Number(h.sum), "\n");
  absl::StrAppend(&out, name, "_count ", h.count, "\n");
}

}  // namespace

std::string RenderMetrics(const MetricsInput& in) {
  const LedgerStats& l = in.ledger;
  std::string out;
  Family(out, "proctor_database_up", "gauge",
         "1 when the database answered this scrape's query, else 0.");
  Sample(out, "proctor_database_up", in.database_up ? 1 : 0);
  Family(out, "proctor_database_writer_info", "gauge",
         "The storage backend and the cluster member this server writes to (host:port; empty "
         "for the embedded backends and before the first connection).");
  absl::StrAppend(&out, "proctor_database_writer_info{backend=\"", LabelValue(in.writer.backend),
                  "\",member=\"", LabelValue(in.writer.member), "\"} 1\n");
  Family(out, "proctor_database_failovers_total", "counter",
         "Times a new database connection reached another cluster member than the one before.");
  Sample(out, "proctor_database_failovers_total", in.writer.failovers);
  Family(out, "proctor_sessions_open", "gauge", "Proctored sessions open now (ingesting events).");
  if (in.database_up) Sample(out, "proctor_sessions_open", in.sessions_open);
  Family(out, "proctor_sessions_pending_review", "gauge",
         "Closed sessions waiting for an examiner's verdict.");
  if (in.database_up) Sample(out, "proctor_sessions_pending_review", in.sessions_pending_review);
  Family(out, "proctor_events_ingested_total", "counter",
         "Events stored durably since the server started (resends not counted).");
  Sample(out, "proctor_events_ingested_total", l.events_stored);
  Family(out, "proctor_events_duplicate_total", "counter",
         "Resent events acknowledged again without storing them twice.");
  Sample(out, "proctor_events_duplicate_total", l.events_duplicate);
  Family(out, "proctor_batches_accepted_total", "counter", "Event batches acknowledged.");
  Sample(out, "proctor_batches_accepted_total", l.batches_accepted);
  Family(out, "proctor_batches_rejected_total", "counter",
         "Event batches refused (any reason, including storage errors).");
  Sample(out, "proctor_batches_rejected_total", l.batches_rejected);
  Family(out, "proctor_ingest_latency_seconds", "histogram",
         "From receiving a batch to acknowledging it after its group commit.");
  Histogram(out, "proctor_ingest_latency_seconds", l.ingest_latency);
  Family(out, "proctor_flags_total", "counter",
         "Flags raised in sessions closed since the server started, by kind.");
  for (EventKind kind : kFlagKinds) {
    const int k = static_cast<int>(kind);
    absl::StrAppend(&out, "proctor_flags_total{kind=\"", EventKindName(kind), "\"} ",
                    l.flags_by_kind[k], "\n");
  }
  Family(out, "proctor_verification_failures_total", "counter",
         "Batches refused by a verification, and evidence chips the server's re-check "
         "contradicted, by check.");
  const std::pair<const char*, uint64_t> checks[] = {
      {"signature", l.bad_signatures},
      {"hash_chain", l.broken_chains},
      {"fork", l.forks},
      {"evidence_unreadable", l.unreadable_evidence},
      {"evidence_mismatch", l.evidence_mismatches},
  };
  for (const auto& [check, value] : checks) {
    absl::StrAppend(&out, "proctor_verification_failures_total{check=\"", check, "\"} ", value,
                    "\n");
  }
  Family(out, "proctor_evidence_rechecks_total", "counter",
         "Evidence chips re-embedded by the server.");
  Sample(out, "proctor_evidence_rechecks_total", l.chips_rechecked);
  Family(out, "proctor_liveness_judgements_total", "counter",
         "Liveness challenges this process judged from their step frames, by outcome.");
  absl::StrAppend(&out, "proctor_liveness_judgements_total{outcome=\"passed\"} ",
                  l.liveness_passed, "\n");
  absl::StrAppend(&out, "proctor_liveness_judgements_total{outcome=\"failed\"} ",
                  l.liveness_failed, "\n");
  Family(out, "proctor_evidence_recheck_skipped_total", "counter",
         "Evidence chips stored but not re-embedded because the re-check queue was full.");
  Sample(out, "proctor_evidence_recheck_skipped_total", l.chips_skipped);
  Family(out, "proctor_group_commits_total", "counter", "Durable storage transactions of events.");
  Sample(out, "proctor_group_commits_total", in.commits.commits);
  Family(out, "proctor_group_commit_batches_total", "counter",
         "Event batches written by group commits.");
  Sample(out, "proctor_group_commit_batches_total", in.commits.batches);
  return out;
}

}  // namespace proctor::server::http
