// The server's domain records, as the core and every Storage implementation see them.
// Plain values; no proto, SQL or biometric types.
#ifndef PROCTOR_SERVER_CORE_DOMAIN_H_
#define PROCTOR_SERVER_CORE_DOMAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/crypto.h"
#include "common/event.h"

namespace proctor::server {

enum class AssessmentKind : int { kIntermediate = 1, kFinal = 2 };
enum class Role : int { kAdministrator = 1, kExaminer = 2, kLmsConnector = 3, kLearner = 4 };
enum class SessionState : int { kOpen = 1, kClosed = 2 };
// Values equal proctor.v1.Verdict.
enum class Verdict : int {
  kNone = 1,
  kAutoAccepted = 2,
  kPendingReview = 3,
  kAccepted = 4,
  kRejected = 5,
};
// Values equal proctor.v1.ResultStatus.
enum class ResultStatus : int { kOfficial = 1, kPendingReview = 2, kRejected = 3 };

std::string AssessmentKindName(AssessmentKind kind);  // "INTERMEDIATE" | "FINAL"
std::string RoleName(Role role);                      // "ADMINISTRATOR", ...
std::string SessionStateName(SessionState state);     // "OPEN" | "CLOSED"
std::string VerdictName(Verdict verdict);             // "AUTO_ACCEPTED", ...
std::string ResultStatusName(ResultStatus status);    // "OFFICIAL", ...

// A result counts only when the session's verdict allows it.
ResultStatus ResultStatusFor(SessionState state, Verdict verdict);

struct Assessment {
  std::string id;
  std::string course;
  std::string title;
  AssessmentKind kind = AssessmentKind::kIntermediate;
  int64_t created_at_unix_ms = 0;
};

struct Learner {
  std::string id;
  std::string name;
  int template_count = 0;
};

// A bearer credential. Only the SHA-256 of the secret is stored.
struct TokenRecord {
  std::string token_hash;
  Role role = Role::kAdministrator;
  std::string label;       // who holds it, for the audit log
  std::string session_id;  // Role::kLearner only: the one session it opens
  int64_t created_at_unix_ms = 0;
};

// A one-time exam pass. Only the SHA-256 of the pass is stored.
struct PassRecord {
  std::string pass_hash;
  std::string learner_id;
  std::string assessment_id;
  int64_t expires_at_unix_ms = 0;
  bool used = false;
};

struct SessionRecord {
  std::string id;
  std::string learner_id;
  std::string assessment_id;
  std::vector<uint8_t> client_public_key;  // Ed25519, 32 bytes
  SessionState state = SessionState::kOpen;
  int64_t opened_at_unix_ms = 0;
  int64_t closed_at_unix_ms = 0;  // 0 while open
  int64_t ended_at_ms = 0;        // media time of the end, set on close
  double risk_score = 0.0;        // 0-1
  Verdict verdict = Verdict::kNone;
  std::string decision_note;
  std::string decided_by;
  uint64_t last_seq = 0;  // highest stored seq; events 1..last_seq are all stored
  Hash32 head_hash{};     // hash of event last_seq; zeros when none
  // Biometric events need the learner's CONSENT_GIVEN at seq 1; false only for sessions opened
  // before consent existed (schema version 4), which may finish as they began.
  bool consent_required = true;
};

// An event as stored: the client's fields, its hash, what the server computed, and the sealed
// evidence (never the plain JPEG).
struct StoredEvent {
  Event event;  // event.evidence_jpeg is left empty in storage; see sealed_evidence
  Hash32 hash{};
  float server_distance = -1.0f;         // identity events: the server's distance to the template
  std::vector<uint8_t> sealed_evidence;  // SealedBox output; empty when none or purged
  bool has_evidence = false;             // stays true after a purge: evidence existed
  int64_t received_at_unix_ms = 0;
};

// One session's contiguous events to append atomically. Applied only if the session's stored
// last_seq still equals expected_last_seq (ABORTED otherwise: another writer got there first).
struct AppendBatch {
  std::string session_id;
  uint64_t expected_last_seq = 0;
  std::vector<StoredEvent> events;  // seqs expected_last_seq+1 ... in order
  // The client's Ed25519 signature over the hash of the batch's last event, as SessionLedger
  // verified it. Stored with the events (same transaction) as a BatchSignature whose head_seq is
  // the last event's seq; nothing is stored when absent or when the batch holds no events.
  std::optional<Signature> head_signature;
};

// A stored batch signature: the client's Ed25519 signature, with the session's key, over the
// stored hash of event head_seq. Kept so that a report can re-verify what ingest verified.
struct BatchSignature {
  uint64_t head_seq = 0;
  Signature signature{};
};

// Something the server found itself (EVIDENCE_MISMATCH).
struct Finding {
  std::string session_id;
  EventKind kind = EventKind::kEvidenceMismatch;
  int64_t at_ms = 0;
  uint64_t event_seq = 0;  // the client event it concerns
  float distance = -1.0f;
  std::string detail;
};

struct ResultRecord {
  std::string session_id;
  std::string learner_id;     // filled from the session when listing
  std::string assessment_id;  // filled from the session when listing
  double score = 0;
  double max_score = 0;
  int64_t submitted_at_unix_ms = 0;
  std::string submitted_by;
};

// What an administrator grants one learner for one assessment, with the reason. The policy a
// session runs under applies it and says so; examiners see it beside the flags.
struct Accommodation {
  std::string learner_id;
  std::string assessment_id;
  int64_t extra_absence_ms = 0;       // added to the policy's absence tolerance, ms, >= 0
  bool looking_away_ignored = false;  // looking away is reported, never scored
  bool identity_ends_only = false;    // identity is required at the start and the end only
  int64_t extra_time_ms = 0;          // extra exam time the LMS grants, ms, >= 0 (recorded)
  std::string reason;                 // why, 1-1000 characters; never logged
  std::string granted_by;             // token label of the administrator
  int64_t granted_at_unix_ms = 0;
};

// The notice a learner reads and agrees to before the camera opens: what is captured, what leaves
// the machine, who sees it, how long it is kept, how to withdraw. Per assessment, versioned: a
// new text is a new version, old versions stay (a consent names the version it agreed to).
struct ConsentNotice {
  std::string assessment_id;
  int32_t version = 0;     // 1, 2, ... per assessment
  std::string text;        // UTF-8, 1-20000 bytes, shown as written
  std::string sha256_hex;  // SHA-256 of text, 64 lowercase hex digits
  std::string created_by;  // token label of the administrator
  int64_t created_at_unix_ms = 0;
};

// An LMS registered as an LTI 1.3 platform (proctorctl lti platform add). One registration per
// (issuer, client_id): the client id is the one the platform assigned to this tool.
struct LtiPlatform {
  std::string issuer;     // the platform's "iss", an https URL (http only on loopback)
  std::string client_id;  // our "aud" in its id_tokens
  std::vector<std::string> deployment_ids;  // every deployment of this tool on the platform
  std::string auth_url;    // OIDC authorization endpoint (the login's redirect goes there)
  std::string token_url;   // OAuth2 token endpoint (the LTI Advantage services)
  std::string jwks_url;    // the platform's public keys
  std::string created_by;  // token label of the administrator
  int64_t created_at_unix_ms = 0;
};

// A proctored attempt an LTI launch began: the learner's page (/lti/attempts/ID) shows its pass
// and, once the server has verified the learner, lets them continue to the LMS's assessment.
struct LtiAttempt {
  std::string id;  // random; whoever has it sees the page
  std::string learner_id, assessment_id;
  std::string issuer, client_id, deployment_id;
  std::string message_type;  // LtiResourceLinkRequest or LtiStartProctoring
  std::string resource_link_id;
  int32_t attempt_number = 0;
  std::string session_data;          // LtiStartProctoring: echoed in LtiStartAssessment
  std::string start_assessment_url;  // LtiStartProctoring: where the learner continues
  std::string locale;
  std::string pass_hash;  // SecretHash of the pass: its session is the attempt's
  std::vector<uint8_t> sealed_pass;
  int64_t pass_expires_at_unix_ms = 0;
  int64_t created_at_unix_ms = 0;
  // What the launch said of the LMS's services (the user's sub, the AGS endpoint and scopes, the
  // Assessment Control Service): JSON as server/lti writes it, opaque to storage. "{}" if none.
  std::string services = "{}";
  // The session outcome last queued for the LMS (LtiAttemptChange): 0, 0 before the first;
  // reported_seq counts the outbox items queued for this attempt.
  int32_t reported_state = 0;    // SessionState as int
  int32_t reported_verdict = 0;  // Verdict as int
  int64_t reported_seq = 0;
};

// An attempt whose session is closed with an outcome (state, verdict) other than the one last
// queued for the LMS: the verdict changed (closed, decided, appealed, decided again).
struct LtiAttemptChange {
  LtiAttempt attempt;
  std::string session_id;
  SessionState state = SessionState::kClosed;
  Verdict verdict = Verdict::kNone;
};

// One message for an LMS in the durable outbox: queued in the same transaction that records the
// outcome it carries, delivered in seq order per attempt, retried with backoff while the LMS is
// unreachable, and done once: delivered, or given up with the reason.
struct LtiOutboxItem {
  std::string attempt_id;
  int64_t seq = 0;      // 1, 2, ... per attempt, in the order of the changes
  std::string kind;     // "score", "flag", "terminate", "result" (server/lti says what each is)
  std::string payload;  // JSON, as server/lti writes it
  int64_t created_at_unix_ms = 0;
  int64_t due_at_unix_ms = 0;  // not tried before this (a claim moves it forward: a lease)
  int32_t tries = 0;
  std::string last_error;       // of the last failed try, "" if none
  int64_t done_at_unix_ms = 0;  // 0 while pending
  std::string outcome;          // when done: "delivered", or why it was given up
};

// Whether an LMS's URL may be used: an absolute https:// URL (http:// only to a loopback host:
// tests, a local LMS), with a plain host (DNS name, IPv4 or [IPv6]) and port, no userinfo, no
// fragment, and none of the characters that could end a header value or a CSP source.
bool IsAllowedLtiUrl(std::string_view url);
// "scheme://host[:port]" of an allowed URL; "" for any other.
std::string LtiUrlOrigin(std::string_view url);
// An administrator's registration: URLs allowed, ids 1-255 bytes without control characters,
// at least one deployment. INVALID_ARGUMENT naming the proctorctl flag.
absl::Status ValidateLtiPlatform(const LtiPlatform& platform);

// One of the tool's own RSA signing keys; the JWKS at /lti/jwks publishes the public half.
struct LtiToolKey {
  std::string kid;                      // the RFC 7638 thumbprint of the public key
  std::vector<uint8_t> sealed_private;  // the private JWK, sealed (encrypted) like templates
  std::string public_jwk;               // JSON
  int64_t created_at_unix_ms = 0;
};

// An OIDC login the tool started (/lti/login), waiting for its launch (/lti/launch): the launch
// must bring back `state` and an id_token carrying `nonce`, once.
struct LtiLogin {
  std::string state;  // random, also in the browser's cookie
  std::string nonce;  // random, single use
  std::string issuer;
  std::string client_id;
  int64_t created_at_unix_ms = 0;
};

// A learner's own enrollment: the client took the photos (the learner had no template), so
// until an examiner has compared the kept photo with the institution's record (a student ID, the
// admission file) every session of this learner goes to review. The photo is biometric data: kept
// sealed, deleted once the examiner has decided (or the learner is purged).
enum class SelfEnrollmentState : int { kPending = 1, kConfirmed = 2, kRejected = 3 };
std::string SelfEnrollmentStateName(SelfEnrollmentState state);  // "pending", ...

struct SelfEnrollment {
  std::string learner_id;
  std::string assessment_id;  // the assessment of the pass it came with
  SelfEnrollmentState state = SelfEnrollmentState::kPending;
  std::vector<uint8_t> sealed_photo;  // JPEG, sealed; empty once decided (and in lists)
  int photos = 0;                     // how many photos the templates came from
  int64_t created_at_unix_ms = 0;
  std::string decided_by;  // token label; "" while pending
  int64_t decided_at_unix_ms = 0;
  std::string note;  // the examiner's, "" while pending
};

// Append-only record of examiner decisions and administrator actions.
struct AuditEntry {
  int64_t at_unix_ms = 0;
  std::string actor;    // token label
  std::string action;   // "assessment.create", "review.decide", "learner.purge", ...
  std::string subject;  // the id acted on
  std::string detail;   // never biometric data
};

struct PurgeCounts {
  int templates_removed = 0;
  int evidence_removed = 0;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_DOMAIN_H_
