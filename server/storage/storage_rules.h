// The checks and messages every Storage engine applies identically, so that MemoryStorage and
// SqliteStorage answer the same calls with the same status codes and messages.
#ifndef PROCTOR_SERVER_STORAGE_STORAGE_RULES_H_
#define PROCTOR_SERVER_STORAGE_STORAGE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/core/domain.h"

namespace proctor::server::storage_rules {

// NOT_FOUND "<what> <id> not found".
absl::Status NoSuch(absl::string_view what, absl::string_view id);
// NOT_FOUND "unknown exam pass".
absl::Status UnknownPass();
// NOT_FOUND "session S has no evidence for seq N (none was sent, or it was purged)".
absl::Status NoEvidence(absl::string_view session_id, uint64_t seq);
// NOT_FOUND "session S has no event N".
absl::Status NoEvent(absl::string_view session_id, uint64_t seq);
// NOT_FOUND "assessment A has no consent notice[ version N]" (version 0: the latest).
absl::Status NoConsentNotice(absl::string_view assessment_id, int32_t version);

// The LTI messages every engine gives: ALREADY_EXISTS "LTI platform ISSUER (client id C) is
// registered already", NOT_FOUND "no LTI platform ISSUER with client id C",
// ALREADY_EXISTS/NOT_FOUND for a tool key, NOT_FOUND "unknown or already used LTI login state".
absl::Status LtiPlatformExists(absl::string_view issuer, absl::string_view client_id);
absl::Status NoLtiPlatform(absl::string_view issuer, absl::string_view client_id);
absl::Status LtiKeyExists(absl::string_view kid);
absl::Status NoLtiKey(absl::string_view kid);
absl::Status NoLtiLogin();
absl::Status NoLtiAttempt();
absl::Status LtiAttemptExists();
// ABORTED "LTI attempt A: its reported outcome is no longer the one this change started from
// (another replica queued it first)": QueueLtiChange's compare-and-set failed.
absl::Status StaleLtiChange(absl::string_view attempt_id);
// NOT_FOUND "no LTI outbox item SEQ of attempt A".
absl::Status NoLtiOutboxItem(absl::string_view attempt_id, int64_t seq);
// Deployment ids as stored (one per line) and back.
std::string JoinDeployments(const std::vector<std::string>& ids);
std::vector<std::string> SplitDeployments(absl::string_view stored);

// OK when a pass may be redeemed at now_unix_ms: FAILED_PRECONDITION "... already used" when
// used, "... expired ..." when now_unix_ms >= expires_at_unix_ms.
absl::Status CheckPassUsable(bool used, int64_t expires_at_unix_ms, int64_t now_unix_ms);

// Makes `session` what RedeemPass stores: learner and assessment from the pass, and no events
// yet (last_seq 0, zero head hash), whatever the caller filled in.
void PrepareNewSession(const std::string& learner_id, const std::string& assessment_id,
                       SessionRecord& session);

// Whether `batch` may be appended to a session whose stored last_seq is `stored_last_seq`:
// ABORTED when expected_last_seq differs; INVALID_ARGUMENT when the events' seqs are not
// expected_last_seq+1, +2, ... or an event names another session. An empty batch is OK.
// FAILED_PRECONDITION when the session is closed: nothing is appended after it was scored, even
// by another replica whose cache still thinks it open.
absl::Status CheckBatch(const AppendBatch& batch, uint64_t stored_last_seq, SessionState state);

// Self-enrollment. PutSelfEnrollment: FAILED_PRECONDITION "learner L is already enrolled" when
// the learner has templates or a pending/confirmed row (`existing`: its state, if any), "...
// self-enrollment already rejected ..." for a rejected one.
absl::Status CheckSelfEnrollable(absl::string_view learner_id, int64_t template_count,
                                 std::optional<SelfEnrollmentState> existing);
// DecideSelfEnrollment: INVALID_ARGUMENT unless the decision is kConfirmed or kRejected.
absl::Status CheckDecision(SelfEnrollmentState decision);
// FAILED_PRECONDITION "the self-enrollment of learner L is already decided (STATE)".
absl::Status AlreadyDecided(absl::string_view learner_id, SelfEnrollmentState state);

}  // namespace proctor::server::storage_rules

#endif  // PROCTOR_SERVER_STORAGE_STORAGE_RULES_H_
