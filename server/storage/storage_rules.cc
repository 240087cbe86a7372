#include "server/storage/storage_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace proctor::server::storage_rules {

absl::Status NoSuch(absl::string_view what, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
}

absl::Status UnknownPass() { return absl::NotFoundError("unknown exam pass"); }

absl::Status NoEvent(absl::string_view session_id, uint64_t seq) {
  return absl::NotFoundError(absl::StrCat("session ", session_id, " has no event ", seq));
}

absl::Status NoConsentNotice(absl::string_view assessment_id, int32_t version) {
  if (version == 0) {
    return absl::NotFoundError(
        absl::StrCat("assessment ", assessment_id, " has no consent notice"));
  }
  return absl::NotFoundError(
      absl::StrCat("assessment ", assessment_id, " has no consent notice version ", version));
}

absl::Status NoEvidence(absl::string_view session_id, uint64_t seq) {
  return absl::NotFoundError(absl::StrCat("session ", session_id, " has no evidence for seq ", seq,
                                          " (none was sent, or it was purged)"));
}

absl::Status CheckPassUsable(bool used, int64_t expires_at_unix_ms, int64_t now_unix_ms) {
  if (used) return absl::FailedPreconditionError("this exam pass was already used");
  if (now_unix_ms >= expires_at_unix_ms) {
    return absl::FailedPreconditionError(
        absl::StrCat("this exam pass expired (at unix ms ", expires_at_unix_ms, ")"));
  }
  return absl::OkStatus();
}

void PrepareNewSession(const std::string& learner_id, const std::string& assessment_id,
                       SessionRecord& session) {
  session.learner_id = learner_id;
  session.assessment_id = assessment_id;
  session.last_seq = 0;
  session.head_hash = Hash32{};
}

absl::Status CheckBatch(const AppendBatch& batch, uint64_t stored_last_seq, SessionState state) {
  if (state == SessionState::kClosed) {
    return absl::FailedPreconditionError(
        absl::StrCat("session ", batch.session_id, " is closed; no more events"));
  }
  if (stored_last_seq != batch.expected_last_seq) {
    return absl::AbortedError(absl::StrCat("session ", batch.session_id, ": expected last seq ",
                                           batch.expected_last_seq, ", but the stored one is ",
                                           stored_last_seq, " (another writer got there first)"));
  }
  uint64_t want = batch.expected_last_seq;
  for (const StoredEvent& stored : batch.events) {
    ++want;
    if (stored.event.seq != want) {
      return absl::InvalidArgumentError(absl::StrCat("session ", batch.session_id,
                                                     ": batch holds seq ", stored.event.seq,
                                                     " where seq ", want, " belongs"));
    }
    if (!stored.event.session_id.empty() && stored.event.session_id != batch.session_id) {
      return absl::InvalidArgumentError(absl::StrCat("session ", batch.session_id,
                                                     ": batch holds an event of session ",
                                                     stored.event.session_id));
    }
  }
  return absl::OkStatus();
}

absl::Status LtiPlatformExists(absl::string_view issuer, absl::string_view client_id) {
  return absl::AlreadyExistsError(
      absl::StrCat("LTI platform ", issuer, " (client id ", client_id, ") is registered already"));
}

absl::Status NoLtiPlatform(absl::string_view issuer, absl::string_view client_id) {
  return absl::NotFoundError(
      absl::StrCat("no LTI platform ", issuer, " with client id ", client_id));
}

absl::Status LtiKeyExists(absl::string_view kid) {
  return absl::AlreadyExistsError(absl::StrCat("LTI tool key ", kid, " exists already"));
}

absl::Status NoLtiKey(absl::string_view kid) {
  return absl::NotFoundError(absl::StrCat("no LTI tool key ", kid));
}

absl::Status NoLtiAttempt() { return absl::NotFoundError("unknown LTI attempt"); }

absl::Status LtiAttemptExists() { return absl::AlreadyExistsError("this LTI attempt id exists"); }

absl::Status StaleLtiChange(absl::string_view attempt_id) {
  return absl::AbortedError(absl::StrCat("LTI attempt ", attempt_id,
                                         ": its reported outcome is no longer the one this change "
                                         "started from (another replica queued it first)"));
}

absl::Status NoLtiOutboxItem(absl::string_view attempt_id, int64_t seq) {
  return absl::NotFoundError(absl::StrCat("no LTI outbox item ", seq, " of attempt ", attempt_id));
}

absl::Status NoLtiLogin() { return absl::NotFoundError("unknown or already used LTI login state"); }

std::string JoinDeployments(const std::vector<std::string>& ids) {
  return absl::StrJoin(ids, "\n");
}

std::vector<std::string> SplitDeployments(absl::string_view stored) {
  return absl::StrSplit(stored, '\n', absl::SkipEmpty());
}

absl::Status CheckSelfEnrollable(absl::string_view learner_id, int64_t template_count,
                                 std::optional<SelfEnrollmentState> existing) {
  if (template_count != 0 || (existing && *existing != SelfEnrollmentState::kRejected)) {
    return absl::FailedPreconditionError(
        absl::StrCat("learner ", learner_id, " is already enrolled"));
  }
  if (existing) {
    return absl::FailedPreconditionError(absl::StrCat(
        "learner ", learner_id,
        ": self-enrollment already rejected (only an administrator enrolls this learner now)"));
  }
  return absl::OkStatus();
}

absl::Status CheckDecision(SelfEnrollmentState decision) {
  if (decision == SelfEnrollmentState::kConfirmed || decision == SelfEnrollmentState::kRejected) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("a self-enrollment is decided confirmed or rejected, not ",
                   SelfEnrollmentStateName(decision)));
}

absl::Status AlreadyDecided(absl::string_view learner_id, SelfEnrollmentState state) {
  return absl::FailedPreconditionError(absl::StrCat("the self-enrollment of learner ", learner_id,
                                                    " is already decided (",
                                                    SelfEnrollmentStateName(state), ")"));
}

}  // namespace proctor::server::storage_rules
