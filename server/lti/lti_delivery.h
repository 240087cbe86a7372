// What goes back to the LMS when an LTI attempt's session gets a verdict, through a durable
// outbox (Storage: lti_outbox) so that an LMS that is down loses nothing:
//
// - Each round, attempts whose session closed or whose verdict changed since the last round
//   (closed, decided by an examiner, appealed, decided again) are found in the database and their
//   messages queued in the same transaction that records the outcome as reported: a crash between
//   the verdict and the queueing only delays it, and two replicas cannot queue the same change
//   twice (the second is ABORTED and drops its copy).
// - Due messages are claimed (a lease, so no other replica sends them meanwhile) and sent in order
//   per attempt: an AGS score on the "proctoring" line item (1 accepted, 0 rejected, none while
//   pending review: PendingManual), with a comment linking to the examiner's report; Assessment
//   Control Service "flag" when the session goes to review and "terminate" when it is REJECTED
//   with a server-measured identity mismatch under a policy that says so; and a read of the LMS's
//   own grade of the assessment (its line item's result for the learner), recorded as the
//   session's result, gated by the verdict as every result is.
// - An LMS that is down (no answer, 5xx, 429), or a grade not there yet, is tried again with
//   backoff (first_retry_ms doubling to max_retry_ms) until give_up_after_ms; an LMS that refuses
//   (4xx) is not asked again. Either way the item is done with its outcome, and the audit log says
//   so ("lti.deliver", "lti.undeliverable").
//
// Exactly once per change: one outbox row per message, marked done once. A server that dies
// after sending and before marking sends it again when the lease ends; the score carries the
// timestamp it was queued with, so the platform recognises it (409: it holds that score) and the
// item is done without a second score.
#ifndef PROCTOR_SERVER_LTI_LTI_DELIVERY_H_
#define PROCTOR_SERVER_LTI_LTI_DELIVERY_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "server/core/proctor_core.h"
#include "server/core/storage.h"
#include "server/lti/ags_client.h"
#include "server/lti/lti_provisioning.h"
#include "server/lti/lti_tool.h"

namespace proctor::server::lti {

struct LtiDeliveryOptions {
  int64_t poll_ms = 2'000;         // between rounds
  int64_t lease_ms = 60'000;       // a claimed item is not claimed again before this
  int64_t first_retry_ms = 5'000;  // after the first failure; doubled each time
  int64_t max_retry_ms = 600'000;
  int64_t give_up_after_ms = 7LL * 24 * 3600 * 1000;  // since the item was queued
  int batch = 20;                                     // items per round
  // Each round looks for changed outcomes among the attempts of the last recent_window_ms (an
  // index keeps that cheap however many attempts the years add up); every full_scan_every-th
  // round (about every 10 minutes) looks at all of them (a late appeal's new verdict).
  int64_t recent_window_ms = 14LL * 24 * 3600 * 1000;
  int full_scan_every = 300;
};

// The line item the verdict goes to.
inline constexpr char kProctoringTag[] = "proctoring";

// The messages one change of an attempt's outcome makes (nothing for a platform that offers
// none of the services). Pure: the caller stores them.
struct ChangeFacts {
  AssessmentKind kind = AssessmentKind::kIntermediate;
  bool terminate_on_confirmed_mismatch = false;  // the assessment's policy
  bool server_saw_mismatch = false;              // an IDENTITY_MISMATCH the server itself measured
  std::string report_url;                        // the examiner's page of the session
};
std::vector<LtiOutboxItem> PlanDelivery(const LtiAttemptChange& change, const ChangeFacts& facts,
                                        int64_t now_unix_ms);

struct DeliveryRound {
  int queued = 0;     // changes queued this round
  int delivered = 0;  // items done as delivered
  int retrying = 0;   // items that failed and wait for another try
  int given_up = 0;   // items refused or out of time
};

class LtiDelivery {
 public:
  // Everything must outlive the delivery.
  LtiDelivery(LtiDeliveryOptions options, Storage* storage, ProctorCore* core, LtiTool* tool,
              AgsClient* ags, const Clock* clock);
  ~LtiDelivery();

  // One round: queue the changes, deliver what is due. Safe on several replicas at once.
  absl::StatusOr<DeliveryRound> RunOnce();

  // Rounds every poll_ms on a thread of its own, until Stop (or destruction).
  void Start();
  void Stop();

 private:
  absl::StatusOr<int> QueueChanges();
  // Sends one claimed item; OK when it is done as delivered (`outcome` says how).
  absl::Status Send(const LtiOutboxItem& item, std::string& outcome);
  absl::StatusOr<ChangeFacts> FactsOf(const LtiAttemptChange& change);

  const LtiDeliveryOptions options_;
  Storage* const storage_;
  ProctorCore* const core_;
  LtiTool* const tool_;
  AgsClient* const ags_;
  const Clock* const clock_;
  std::mutex line_item_mu_;  // one line item creation at a time (per process)
  std::atomic<uint64_t> rounds_{0};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_LTI_DELIVERY_H_
