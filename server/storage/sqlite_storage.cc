#include "server/storage/sqlite_storage.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "server/storage/schema_migrations.h"
#include "server/storage/sqlite_connection.h"
#include "server/storage/storage_rules.h"

namespace proctor::server {
namespace {

// ---- Statements. Each is prepared once per connection and cached by its text. ----

constexpr char kInsertAssessment[] =
    "INSERT INTO assessments (id, course, title, kind, created_at_unix_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kSelectAssessment[] =
    "SELECT course, title, kind, created_at_unix_ms FROM assessments WHERE id = ?1";
constexpr char kAssessmentExists[] = "SELECT 1 FROM assessments WHERE id = ?1";

constexpr char kUpsertLearner[] =
    "INSERT INTO learners (id, name) VALUES (?1, ?2) "
    "ON CONFLICT (id) DO UPDATE SET name = excluded.name";
constexpr char kSelectLearner[] =
    "SELECT name, (SELECT count(*) FROM templates WHERE learner_id = ?1) "
    "FROM learners WHERE id = ?1";
constexpr char kLearnerExists[] = "SELECT 1 FROM learners WHERE id = ?1";
constexpr char kDeleteTemplates[] = "DELETE FROM templates WHERE learner_id = ?1";
constexpr char kInsertTemplate[] =
    "INSERT INTO templates (learner_id, position, sealed) VALUES (?1, ?2, ?3)";
constexpr char kSelectTemplates[] =
    "SELECT sealed FROM templates WHERE learner_id = ?1 ORDER BY position";
constexpr char kPurgeEvidence[] =
    "UPDATE events SET evidence = NULL WHERE evidence IS NOT NULL AND session_sid IN "
    "(SELECT sid FROM sessions WHERE learner_id = ?1)";

// A learner's self-enrollment (schema version 7). The columns ReadSelfEnrollment() expects.
#define PROCTOR_SELF_ENROLLMENT_COLUMNS                                        \
  "learner_id, assessment_id, state, photos, created_at_unix_ms, decided_by, " \
  "decided_at_unix_ms, note"
constexpr char kCountTemplates[] = "SELECT count(*) FROM templates WHERE learner_id = ?1";
constexpr char kSelfEnrollmentState[] = "SELECT state FROM self_enrollments WHERE learner_id = ?1";
constexpr char kInsertSelfEnrollment[] =
    "INSERT INTO self_enrollments (" PROCTOR_SELF_ENROLLMENT_COLUMNS
    ", sealed_photo) VALUES (?1, ?2, 1, ?3, ?4, '', 0, '', ?5)";
constexpr char kSelectSelfEnrollment[] = "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS
                                         ", sealed_photo FROM self_enrollments "
                                         "WHERE learner_id = ?1";
constexpr char kListSelfEnrollments[] = "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS
                                        " FROM self_enrollments "
                                        "ORDER BY created_at_unix_ms, learner_id";
// Spelled "state = 1" so that the partial index self_enrollments_pending serves it.
constexpr char kListPendingSelfEnrollments[] = "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS
                                               " FROM self_enrollments WHERE state = 1 "
                                               "ORDER BY created_at_unix_ms, learner_id";
#undef PROCTOR_SELF_ENROLLMENT_COLUMNS
// Only a pending one (state 1); the photo goes with the decision.
constexpr char kDecideSelfEnrollment[] =
    "UPDATE self_enrollments SET state = ?2, decided_by = ?3, decided_at_unix_ms = ?4, "
    "note = ?5, sealed_photo = NULL WHERE learner_id = ?1 AND state = 1";
constexpr char kDeleteSelfEnrollment[] = "DELETE FROM self_enrollments WHERE learner_id = ?1";

constexpr char kPurgeSessionEvidence[] =
    "UPDATE events SET evidence = NULL WHERE evidence IS NOT NULL AND session_sid = "
    "(SELECT sid FROM sessions WHERE id = ?1 AND state = 2 AND verdict IN (2, 4, 5))";
constexpr char kSessionExists[] = "SELECT 1 FROM sessions WHERE id = ?1";

constexpr char kInsertToken[] =
    "INSERT INTO tokens (token_hash, role, label, session_id, created_at_unix_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kSelectToken[] =
    "SELECT role, label, session_id, created_at_unix_ms FROM tokens WHERE token_hash = ?1";
constexpr char kDeleteTokens[] = "DELETE FROM tokens WHERE label = ?1 AND role = ?2";

constexpr char kInsertPass[] =
    "INSERT INTO passes (pass_hash, learner_id, assessment_id, expires_at_unix_ms, used) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kSelectPass[] =
    "SELECT learner_id, assessment_id, expires_at_unix_ms, used FROM passes "
    "WHERE pass_hash = ?1";
constexpr char kMarkPassUsed[] =
    "UPDATE passes SET used = 1, session_id = ?2 WHERE pass_hash = ?1";
constexpr char kSessionOfPass[] = "SELECT session_id FROM passes WHERE pass_hash = ?1";

constexpr char kInsertSession[] =
    "INSERT INTO sessions (id, learner_id, assessment_id, client_public_key, state, "
    "opened_at_unix_ms, closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, "
    "decided_by, last_seq, head_hash, consent_required) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
// The columns ReadSession() expects, in order.
constexpr char kSelectSession[] =
    "SELECT id, learner_id, assessment_id, client_public_key, state, opened_at_unix_ms, "
    "closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, decided_by, last_seq, "
    "head_hash, consent_required FROM sessions WHERE id = ?1";
constexpr char kListSessions[] =
    "SELECT id, learner_id, assessment_id, client_public_key, state, opened_at_unix_ms, "
    "closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, decided_by, last_seq, "
    "head_hash, consent_required FROM sessions ORDER BY risk_score DESC, opened_at_unix_ms DESC, id";
constexpr char kListSessionsWithVerdict[] =
    "SELECT id, learner_id, assessment_id, client_public_key, state, opened_at_unix_ms, "
    "closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, decided_by, last_seq, "
    "head_hash, consent_required FROM sessions WHERE verdict = ?1 "
    "ORDER BY risk_score DESC, opened_at_unix_ms DESC, id";
constexpr char kUpdateOutcome[] =
    "UPDATE sessions SET state = ?2, ended_at_ms = ?3, closed_at_unix_ms = ?4, risk_score = ?5, "
    "verdict = ?6, decision_note = ?7, decided_by = ?8 WHERE id = ?1";
constexpr char kSessionSid[] = "SELECT sid FROM sessions WHERE id = ?1";
constexpr char kSessionForAppend[] = "SELECT sid, last_seq, state FROM sessions WHERE id = ?1";
constexpr char kAdvanceSession[] =
    "UPDATE sessions SET last_seq = ?2, head_hash = ?3 WHERE sid = ?1";

constexpr char kInsertEvent[] =
    "INSERT INTO events (session_sid, seq, kind, phase, at_ms, duration_ms, descriptor, "
    "client_distance, face_count, detail, prev_hash, hash, server_distance, "
    "received_at_unix_ms, has_evidence, evidence) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
// The columns ReadEvent() expects, in order; never the evidence bytes.
constexpr char kListEvents[] =
    "SELECT seq, kind, phase, at_ms, duration_ms, descriptor, client_distance, face_count, "
    "detail, prev_hash, hash, server_distance, received_at_unix_ms, has_evidence "
    "FROM events WHERE session_sid = ?1 ORDER BY seq";
constexpr char kGetEvent[] =
    "SELECT seq, kind, phase, at_ms, duration_ms, descriptor, client_distance, face_count, "
    "detail, prev_hash, hash, server_distance, received_at_unix_ms, has_evidence "
    "FROM events WHERE session_sid = ?1 AND seq = ?2";
constexpr char kInsertSignature[] =
    "INSERT INTO batch_signatures (session_sid, head_seq, signature) VALUES (?1, ?2, ?3)";
constexpr char kListSignatures[] =
    "SELECT head_seq, signature FROM batch_signatures WHERE session_sid = ?1 ORDER BY head_seq";
constexpr char kEventHashes[] =
    "SELECT hash FROM events WHERE session_sid = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq";
constexpr char kSelectEvidence[] =
    "SELECT evidence FROM events WHERE session_sid = ?1 AND seq = ?2";

constexpr char kInsertFinding[] =
    "INSERT INTO findings (session_sid, kind, at_ms, event_seq, distance, detail) "
    "SELECT sid, ?2, ?3, ?4, ?5, ?6 FROM sessions WHERE id = ?1";
constexpr char kListFindings[] =
    "SELECT kind, at_ms, event_seq, distance, detail FROM findings WHERE session_sid = ?1 "
    "ORDER BY id";

constexpr char kUpsertAccommodation[] =
    "INSERT INTO accommodations (learner_id, assessment_id, extra_absence_ms, "
    "looking_away_ignored, identity_ends_only, extra_time_ms, reason, granted_by, "
    "granted_at_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (learner_id, assessment_id) DO UPDATE SET "
    "extra_absence_ms = excluded.extra_absence_ms, "
    "looking_away_ignored = excluded.looking_away_ignored, "
    "identity_ends_only = excluded.identity_ends_only, extra_time_ms = excluded.extra_time_ms, "
    "reason = excluded.reason, granted_by = excluded.granted_by, "
    "granted_at_unix_ms = excluded.granted_at_unix_ms";
constexpr char kSelectAccommodation[] =
    "SELECT extra_absence_ms, looking_away_ignored, identity_ends_only, extra_time_ms, reason, "
    "granted_by, granted_at_unix_ms FROM accommodations "
    "WHERE learner_id = ?1 AND assessment_id = ?2";
constexpr char kInsertConsentNotice[] =
    "INSERT INTO consent_notices (assessment_id, version, text, sha256, created_by, "
    "created_at_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
// Version ?2, or the highest when ?2 is 0.
constexpr char kSelectConsentNotice[] =
    "SELECT version, text, sha256, created_by, created_at_unix_ms FROM consent_notices "
    "WHERE assessment_id = ?1 AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1";
constexpr char kInsertLtiPlatform[] =
    "INSERT INTO lti_platforms (issuer, client_id, deployment_ids, auth_url, token_url, jwks_url, "
    "created_by, created_at_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kListLtiPlatforms[] =
    "SELECT issuer, client_id, deployment_ids, auth_url, token_url, jwks_url, created_by, "
    "created_at_unix_ms FROM lti_platforms ORDER BY issuer, client_id";
constexpr char kDeleteLtiPlatform[] =
    "DELETE FROM lti_platforms WHERE issuer = ?1 AND client_id = ?2";
constexpr char kInsertLtiToolKey[] =
    "INSERT INTO lti_tool_keys (kid, sealed_private, public_jwk, created_at_unix_ms) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr char kListLtiToolKeys[] =
    "SELECT kid, sealed_private, public_jwk, created_at_unix_ms FROM lti_tool_keys "
    "ORDER BY created_at_unix_ms DESC, kid";
constexpr char kDeleteLtiToolKey[] = "DELETE FROM lti_tool_keys WHERE kid = ?1";
constexpr char kDeleteExpiredLtiLogins[] = "DELETE FROM lti_logins WHERE created_at_unix_ms < ?1";
constexpr char kInsertLtiLogin[] =
    "INSERT INTO lti_logins (state, nonce, issuer, client_id, created_at_unix_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kTakeLtiLogin[] =
    "DELETE FROM lti_logins WHERE state = ?1 "
    "RETURNING nonce, issuer, client_id, created_at_unix_ms";
constexpr char kInsertLtiAttempt[] =
    "INSERT INTO lti_attempts (id, learner_id, assessment_id, issuer, client_id, deployment_id, "
    "message_type, resource_link_id, attempt_number, session_data, start_assessment_url, locale, "
    "sealed_pass, pass_expires_at_unix_ms, created_at_unix_ms, pass_hash, services, "
    "reported_state, reported_verdict, reported_seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
    "?20)";
// The columns ReadLtiAttempt() expects, in order, of lti_attempts as "a".
#define PROCTOR_LTI_ATTEMPT_COLUMNS                                                       \
  "a.id, a.learner_id, a.assessment_id, a.issuer, a.client_id, a.deployment_id, "         \
  "a.message_type, a.resource_link_id, a.attempt_number, a.session_data, "                \
  "a.start_assessment_url, a.locale, a.sealed_pass, a.pass_expires_at_unix_ms, "          \
  "a.created_at_unix_ms, a.pass_hash, a.services, a.reported_state, a.reported_verdict, " \
  "a.reported_seq"
constexpr char kSelectLtiAttempt[] =
    "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS " FROM lti_attempts a WHERE a.id = ?1";
constexpr char kListLtiAttempts[] =
    "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS
    " FROM lti_attempts a "
    "WHERE a.learner_id = ?1 AND a.assessment_id = ?2 ORDER BY a.created_at_unix_ms, a.id";
// Attempts whose session is closed (state 2) with an outcome other than the one reported.
constexpr char kListLtiAttemptChanges[] =
    "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS
    ", s.id, s.state, s.verdict FROM lti_attempts a "
    "JOIN passes p ON p.pass_hash = a.pass_hash JOIN sessions s ON s.id = p.session_id "
    "WHERE a.created_at_unix_ms >= ?2 AND s.state = 2 "
    "AND (s.state <> a.reported_state OR s.verdict <> a.reported_verdict) "
    "ORDER BY a.created_at_unix_ms, a.id LIMIT ?1";
#undef PROCTOR_LTI_ATTEMPT_COLUMNS
constexpr char kLtiAttemptExists[] = "SELECT 1 FROM lti_attempts WHERE id = ?1";
// Compare and set: ?5-?7 are the reported seq, state and verdict the change started from.
constexpr char kReportLtiChange[] =
    "UPDATE lti_attempts SET reported_state = ?2, reported_verdict = ?3, "
    "reported_seq = reported_seq + ?4 "
    "WHERE id = ?1 AND reported_seq = ?5 AND reported_state = ?6 AND reported_verdict = ?7";
// The columns ReadLtiOutboxItem() expects, in order.
#define PROCTOR_LTI_OUTBOX_COLUMNS                                                          \
  "attempt_id, seq, kind, payload, created_at_unix_ms, due_at_unix_ms, tries, last_error, " \
  "done_at_unix_ms, outcome"
constexpr char kInsertLtiOutboxItem[] = "INSERT INTO lti_outbox (" PROCTOR_LTI_OUTBOX_COLUMNS
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// Pending items due at ?1 that no pending item of their attempt precedes.
constexpr char kDueLtiOutbox[] =
    "SELECT " PROCTOR_LTI_OUTBOX_COLUMNS
    " FROM lti_outbox o "
    "WHERE o.done_at_unix_ms = 0 AND o.due_at_unix_ms <= ?1 AND NOT EXISTS ("
    "SELECT 1 FROM lti_outbox e WHERE e.attempt_id = o.attempt_id AND e.seq < o.seq "
    "AND e.done_at_unix_ms = 0 AND (e.kind = 'result') = (o.kind = 'result')) "
    "ORDER BY o.due_at_unix_ms, o.attempt_id, o.seq LIMIT ?2";
// Compare and set: ?4 is the due_at read, so an item claimed or updated since is left alone.
constexpr char kClaimLtiOutboxItem[] =
    "UPDATE lti_outbox SET due_at_unix_ms = ?3, tries = tries + 1 "
    "WHERE attempt_id = ?1 AND seq = ?2 AND done_at_unix_ms = 0 AND due_at_unix_ms = ?4 "
    "RETURNING tries";
constexpr char kUpdateLtiOutboxItem[] =
    "UPDATE lti_outbox SET due_at_unix_ms = ?3, last_error = ?4, done_at_unix_ms = ?5, "
    "outcome = ?6 WHERE attempt_id = ?1 AND seq = ?2";
constexpr char kListLtiOutbox[] = "SELECT " PROCTOR_LTI_OUTBOX_COLUMNS
                                  " FROM lti_outbox "
                                  "WHERE ?1 = '' OR attempt_id = ?1 ORDER BY attempt_id, seq";
#undef PROCTOR_LTI_OUTBOX_COLUMNS
constexpr char kUpsertResult[] =
    "INSERT INTO results (session_sid, score, max_score, submitted_at_unix_ms, submitted_by) "
    "SELECT sid, ?2, ?3, ?4, ?5 FROM sessions WHERE id = ?1 "
    "ON CONFLICT (session_sid) DO UPDATE SET score = excluded.score, "
    "max_score = excluded.max_score, submitted_at_unix_ms = excluded.submitted_at_unix_ms, "
    "submitted_by = excluded.submitted_by";
constexpr char kListResults[] =
    "SELECT s.id, s.learner_id, s.assessment_id, r.score, r.max_score, "
    "r.submitted_at_unix_ms, r.submitted_by FROM results r JOIN sessions s ON s.sid = "
    "r.session_sid WHERE ?1 = '' OR s.assessment_id = ?1 "
    "ORDER BY r.submitted_at_unix_ms, s.id";

constexpr char kInsertAudit[] =
    "INSERT INTO audit (at_unix_ms, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kListAudit[] =
    "SELECT at_unix_ms, actor, action, subject, detail FROM audit ORDER BY id";

constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE schema_migrations ("
    "version INTEGER PRIMARY KEY, "
    "applied_at INTEGER NOT NULL)";  // unix milliseconds
constexpr char kAppliedVersions[] = "SELECT version FROM schema_migrations";
constexpr char kRecordMigration[] =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)";

// ---- Value conversions. ----

int64_t ToInt64(uint64_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

// Descriptors are stored as little-endian float32, whatever the host's byte order.
void EncodeFloats(const std::vector<float>& values, std::vector<uint8_t>& out) {
  out.resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
}

std::vector<float> DecodeFloats(const std::vector<uint8_t>& bytes) {
  std::vector<float> values(bytes.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(bytes[i * 4 + b]) << (8 * b);
    std::memcpy(&values[i], &bits, 4);
  }
  return values;
}

void BindBytes(SqliteStatement& s, int index, const std::vector<uint8_t>& bytes) {
  s.BindBlob(index, bytes.data(), bytes.size());
}

void BindBytes(SqliteStatement& s, int index, const std::string& bytes) {
  s.BindBlob(index, bytes.data(), bytes.size());
}

void BindBytesOrNull(SqliteStatement& s, int index, const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) {
    s.BindNull(index);
  } else {
    BindBytes(s, index, bytes);
  }
}

Hash32 ReadHash(const SqliteStatement& s, int column) {
  Hash32 hash{};
  // The schema's CHECK constraints keep every stored hash exactly 32 bytes.
  (void)s.BlobInto(column, hash.data(), hash.size());
  return hash;
}

// A row of kSelectSession / kListSessions*.
SessionRecord ReadSession(const SqliteStatement& s) {
  SessionRecord r;
  r.id = s.Text(0);
  r.learner_id = s.Text(1);
  r.assessment_id = s.Text(2);
  r.client_public_key = s.Blob(3);
  r.state = static_cast<SessionState>(s.Int64(4));
  r.opened_at_unix_ms = s.Int64(5);
  r.closed_at_unix_ms = s.Int64(6);
  r.ended_at_ms = s.Int64(7);
  r.risk_score = s.Double(8);
  r.verdict = static_cast<Verdict>(s.Int64(9));
  r.decision_note = s.Text(10);
  r.decided_by = s.Text(11);
  r.last_seq = static_cast<uint64_t>(s.Int64(12));
  r.head_hash = ReadHash(s, 13);
  r.consent_required = s.Int64(14) != 0;
  return r;
}

// A row of kListEvents.
StoredEvent ReadEvent(const SqliteStatement& s, const std::string& session_id) {
  StoredEvent stored;
  Event& e = stored.event;
  e.session_id = session_id;
  e.seq = static_cast<uint64_t>(s.Int64(0));
  e.kind = static_cast<EventKind>(s.Int64(1));
  e.phase = static_cast<EventPhase>(s.Int64(2));
  e.at_ms = s.Int64(3);
  e.duration_ms = s.Int64(4);
  e.descriptor = DecodeFloats(s.Blob(5));
  e.client_distance = static_cast<float>(s.Double(6));
  e.face_count = static_cast<int32_t>(s.Int64(7));
  e.detail = s.Text(8);
  e.prev_hash = ReadHash(s, 9);
  stored.hash = ReadHash(s, 10);
  stored.server_distance = static_cast<float>(s.Double(11));
  stored.received_at_unix_ms = s.Int64(12);
  stored.has_evidence = s.Int64(13) != 0;
  return stored;
}

// Binds one event to kInsertEvent. `scratch` holds the encoded descriptor until the step.
void BindEvent(SqliteStatement& s, int64_t sid, const StoredEvent& stored,
               std::vector<uint8_t>& scratch) {
  const Event& e = stored.event;
  s.BindInt64(1, sid);
  s.BindInt64(2, ToInt64(e.seq));
  s.BindInt64(3, static_cast<int64_t>(e.kind));
  s.BindInt64(4, static_cast<int64_t>(e.phase));
  s.BindInt64(5, e.at_ms);
  s.BindInt64(6, e.duration_ms);
  if (e.descriptor.empty()) {
    s.BindNull(7);
  } else {
    EncodeFloats(e.descriptor, scratch);
    BindBytes(s, 7, scratch);
  }
  s.BindDouble(8, e.client_distance);
  s.BindInt64(9, e.face_count);
  s.BindText(10, e.detail);
  s.BindBlob(11, e.prev_hash.data(), e.prev_hash.size());
  s.BindBlob(12, stored.hash.data(), stored.hash.size());
  s.BindDouble(13, stored.server_distance);
  s.BindInt64(14, stored.received_at_unix_ms);
  s.BindInt64(15, stored.has_evidence ? 1 : 0);
  BindBytesOrNull(s, 16, stored.sealed_evidence);
}

// Runs a statement that returns no rows.
absl::Status StepDone(SqliteConnection& c, SqliteStatement& s, absl::string_view context) {
  const int rc = s.Step();
  if (rc != SQLITE_DONE) return c.Error(rc, context);
  return absl::OkStatus();
}

// A row of kSelectLtiAttempt / kListLtiAttempts / kListLtiAttemptChanges (columns 0-19).
LtiAttempt ReadLtiAttempt(const SqliteStatement& s) {
  LtiAttempt a;
  a.id = s.Text(0);
  a.learner_id = s.Text(1);
  a.assessment_id = s.Text(2);
  a.issuer = s.Text(3);
  a.client_id = s.Text(4);
  a.deployment_id = s.Text(5);
  a.message_type = s.Text(6);
  a.resource_link_id = s.Text(7);
  a.attempt_number = static_cast<int32_t>(s.Int64(8));
  a.session_data = s.Text(9);
  a.start_assessment_url = s.Text(10);
  a.locale = s.Text(11);
  a.sealed_pass = s.Blob(12);
  a.pass_expires_at_unix_ms = s.Int64(13);
  a.created_at_unix_ms = s.Int64(14);
  const std::vector<uint8_t> hash = s.Blob(15);
  a.pass_hash.assign(hash.begin(), hash.end());
  a.services = s.Text(16);
  a.reported_state = static_cast<int32_t>(s.Int64(17));
  a.reported_verdict = static_cast<int32_t>(s.Int64(18));
  a.reported_seq = s.Int64(19);
  return a;
}

// A row of kDueLtiOutbox / kListLtiOutbox.
LtiOutboxItem ReadLtiOutboxItem(const SqliteStatement& s) {
  LtiOutboxItem item;
  item.attempt_id = s.Text(0);
  item.seq = s.Int64(1);
  item.kind = s.Text(2);
  item.payload = s.Text(3);
  item.created_at_unix_ms = s.Int64(4);
  item.due_at_unix_ms = s.Int64(5);
  item.tries = static_cast<int32_t>(s.Int64(6));
  item.last_error = s.Text(7);
  item.done_at_unix_ms = s.Int64(8);
  item.outcome = s.Text(9);
  return item;
}

// ---- Queries shared by several methods. ----

// The session's row id, NOT_FOUND when there is no such session.
absl::StatusOr<int64_t> SessionSid(SqliteConnection& c, const std::string& id) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSessionSid));
  s.BindText(1, id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return storage_rules::NoSuch("session", id);
  if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("looking up session ", id));
  return s.Int64(0);
}

// OK when the learner exists, NOT_FOUND when not.
absl::Status LearnerExists(SqliteConnection& c, const std::string& id) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kLearnerExists));
  s.BindText(1, id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return storage_rules::NoSuch("learner", id);
  if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("looking up learner ", id));
  return absl::OkStatus();
}

// OK when the assessment exists, NOT_FOUND when not.
absl::Status AssessmentExists(SqliteConnection& c, const std::string& id) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kAssessmentExists));
  s.BindText(1, id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return storage_rules::NoSuch("assessment", id);
  if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("looking up assessment ", id));
  return absl::OkStatus();
}

// `sealed` become the learner's templates, in order (the caller deleted the old ones).
absl::Status InsertTemplates(SqliteConnection& c, const std::string& learner_id,
                             const std::vector<std::vector<uint8_t>>& sealed,
                             const std::string& context) {
  ASSIGN_OR_RETURN(SqliteStatement insert, c.Prepare(kInsertTemplate));
  for (size_t i = 0; i < sealed.size(); ++i) {
    insert.Reset();
    insert.BindText(1, learner_id);
    insert.BindInt64(2, static_cast<int64_t>(i));
    BindBytes(insert, 3, sealed[i]);
    RETURN_IF_ERROR(StepDone(c, insert, context));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountTemplates(SqliteConnection& c, const std::string& learner_id) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kCountTemplates));
  s.BindText(1, learner_id);
  const int rc = s.Step();
  if (rc != SQLITE_ROW) {
    return c.Error(rc, absl::StrCat("counting the templates of learner ", learner_id));
  }
  return s.Int64(0);
}

// The state of the learner's self-enrollment; nullopt when it has none.
absl::StatusOr<std::optional<SelfEnrollmentState>> SelfEnrollmentStateOf(
    SqliteConnection& c, const std::string& learner_id) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelfEnrollmentState));
  s.BindText(1, learner_id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<SelfEnrollmentState>();
  if (rc != SQLITE_ROW) {
    return c.Error(rc, absl::StrCat("reading the self-enrollment of learner ", learner_id));
  }
  return std::optional(static_cast<SelfEnrollmentState>(s.Int64(0)));
}

absl::Status DeleteSelfEnrollment(SqliteConnection& c, const std::string& learner_id,
                                  const std::string& context) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDeleteSelfEnrollment));
  s.BindText(1, learner_id);
  return StepDone(c, s, context);
}

// A row of kSelectSelfEnrollment / kList*SelfEnrollments (columns 0-7; the photo is not read).
SelfEnrollment ReadSelfEnrollment(const SqliteStatement& s) {
  SelfEnrollment e;
  e.learner_id = s.Text(0);
  e.assessment_id = s.Text(1);
  e.state = static_cast<SelfEnrollmentState>(s.Int64(2));
  e.photos = static_cast<int>(s.Int64(3));
  e.created_at_unix_ms = s.Int64(4);
  e.decided_by = s.Text(5);
  e.decided_at_unix_ms = s.Int64(6);
  e.note = s.Text(7);
  return e;
}

absl::Status InsertToken(SqliteConnection& c, const TokenRecord& token) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertToken));
  BindBytes(s, 1, token.token_hash);
  s.BindInt64(2, static_cast<int64_t>(token.role));
  s.BindText(3, token.label);
  if (token.session_id.empty()) {
    s.BindNull(4);
  } else {
    s.BindText(4, token.session_id);
  }
  s.BindInt64(5, token.created_at_unix_ms);
  return StepDone(c, s, absl::StrCat("storing a token for ", token.label));
}

absl::Status InsertSession(SqliteConnection& c, const SessionRecord& r) {
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertSession));
  s.BindText(1, r.id);
  s.BindText(2, r.learner_id);
  s.BindText(3, r.assessment_id);
  BindBytes(s, 4, r.client_public_key);
  s.BindInt64(5, static_cast<int64_t>(r.state));
  s.BindInt64(6, r.opened_at_unix_ms);
  s.BindInt64(7, r.closed_at_unix_ms);
  s.BindInt64(8, r.ended_at_ms);
  s.BindDouble(9, r.risk_score);
  s.BindInt64(10, static_cast<int64_t>(r.verdict));
  s.BindText(11, r.decision_note);
  s.BindText(12, r.decided_by);
  s.BindInt64(13, ToInt64(r.last_seq));
  s.BindBlob(14, r.head_hash.data(), r.head_hash.size());
  s.BindInt64(15, r.consent_required ? 1 : 0);
  return StepDone(c, s, absl::StrCat("creating session ", r.id));
}

absl::StatusOr<std::vector<SessionRecord>> QuerySessions(SqliteConnection& c,
                                                         bool pending_review_only) {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   c.Prepare(pending_review_only ? kListSessionsWithVerdict : kListSessions));
  if (pending_review_only) s.BindInt64(1, static_cast<int64_t>(Verdict::kPendingReview));
  std::vector<SessionRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadSession(s));
  if (rc != SQLITE_DONE) return c.Error(rc, "listing sessions");
  return out;
}

// The statements of one AppendBatches call, prepared once for all its batches.
struct AppendStatements {
  SqliteStatement find;
  SqliteStatement insert;
  SqliteStatement advance;
  SqliteStatement sign;
};

// Stores the batch's head signature (when it has one) for event `head_seq`.
absl::Status InsertSignature(SqliteConnection& c, const AppendBatch& batch, int64_t sid,
                             uint64_t head_seq, SqliteStatement& sign) {
  if (!batch.head_signature) return absl::OkStatus();
  sign.Reset();
  sign.BindInt64(1, sid);
  sign.BindInt64(2, ToInt64(head_seq));
  sign.BindBlob(3, batch.head_signature->data(), batch.head_signature->size());
  const int rc = sign.Step();
  if (rc != SQLITE_DONE) {
    return c.Error(rc, absl::StrCat("storing the batch signature of session ", batch.session_id));
  }
  return absl::OkStatus();
}

// Appends one batch inside the caller's transaction. The returned status is a database failure
// (the whole transaction must be abandoned); `outcome` is the batch's own result (OK, or why it
// was skipped without writing anything).
absl::Status AppendOne(SqliteConnection& c, const AppendBatch& batch, AppendStatements& statements,
                       std::vector<uint8_t>& scratch, absl::Status& outcome) {
  SqliteStatement& find = statements.find;
  SqliteStatement& insert = statements.insert;
  SqliteStatement& advance = statements.advance;
  find.Reset();
  find.BindText(1, batch.session_id);
  int rc = find.Step();
  if (rc == SQLITE_DONE) {
    outcome = storage_rules::NoSuch("session", batch.session_id);
    return absl::OkStatus();
  }
  if (rc != SQLITE_ROW) {
    return c.Error(rc, absl::StrCat("looking up session ", batch.session_id));
  }
  const int64_t sid = find.Int64(0);
  const auto stored_last_seq = static_cast<uint64_t>(find.Int64(1));
  const auto state = static_cast<SessionState>(find.Int64(2));
  find.Reset();
  outcome = storage_rules::CheckBatch(batch, stored_last_seq, state);
  if (!outcome.ok() || batch.events.empty()) return absl::OkStatus();
  for (const StoredEvent& stored : batch.events) {
    insert.Reset();
    BindEvent(insert, sid, stored, scratch);
    rc = insert.Step();
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("inserting events for session ", batch.session_id));
    }
  }
  const StoredEvent& last = batch.events.back();
  advance.Reset();
  advance.BindInt64(1, sid);
  advance.BindInt64(2, ToInt64(last.event.seq));
  advance.BindBlob(3, last.hash.data(), last.hash.size());
  rc = advance.Step();
  if (rc != SQLITE_DONE) {
    return c.Error(rc, absl::StrCat("advancing session ", batch.session_id));
  }
  return InsertSignature(c, batch, sid, last.event.seq, statements.sign);
}

// ---- Opening and migrating. ----

absl::Status ConfigureWriter(SqliteConnection& c) {
  const std::string context = absl::StrCat("opening ", c.path());
  ASSIGN_OR_RETURN(std::string mode, c.QueryText("PRAGMA journal_mode = WAL", context));
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: ", context, ": cannot use write-ahead logging (journal mode stays '",
                     mode, "'); put the database on a local file system"));
  }
  // synchronous=FULL: a commit returns only after the WAL is fsynced, so acknowledged events
  // survive a power cut. secure_delete: purged evidence and replaced templates are overwritten
  // in the file, not left in free pages (they are sealed, but a purge should really remove
  // them); it costs nothing on the append path, which deletes nothing. journal_size_limit:
  // the WAL shrinks back to 64 MiB after a checkpoint that followed a large burst.
  return c.Exec(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; "
      "PRAGMA journal_size_limit = 67108864",
      context);
}

absl::Status ConfigureReader(SqliteConnection& c) {
  return c.Exec("PRAGMA query_only = ON", absl::StrCat("opening ", c.path(), " for reading"));
}

absl::StatusOr<std::set<int64_t>> AppliedVersions(SqliteConnection& c, const std::string& context) {
  ASSIGN_OR_RETURN(std::string has_table,
                   c.QueryText("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                               "name = 'schema_migrations'",
                               context));
  if (has_table == "0") {
    ASSIGN_OR_RETURN(std::string objects,
                     c.QueryText("SELECT count(*) FROM sqlite_schema", context));
    if (objects != "0") {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite: ", context,
                       ": the file is a SQLite database, but not proctor's (it has "
                       "tables and no schema_migrations table); refusing to change it"));
    }
    RETURN_IF_ERROR(c.Exec(kCreateMigrationsTable, context));
  }
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kAppliedVersions));
  std::set<int64_t> versions;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) versions.insert(s.Int64(0));
  if (rc != SQLITE_DONE) return c.Error(rc, context);
  return versions;
}

absl::Status ApplyMigration(SqliteConnection& c, const SqlMigration& migration) {
  const std::string context =
      absl::StrCat("applying schema migration ", migration.name, " to ", c.path());
  RETURN_IF_ERROR(c.Exec(migration.sql, context));
  ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kRecordMigration));
  s.BindInt64(1, migration.version);
  s.BindInt64(2, NowUnixMs());
  return StepDone(c, s, context);
}

// Brings the schema up to date in one transaction: all missing migrations or none.
absl::Status Migrate(SqliteConnection& c) {
  const std::string context = absl::StrCat("checking the schema version of ", c.path());
  SqliteTransaction transaction(&c);
  RETURN_IF_ERROR(transaction.Begin(context));
  ASSIGN_OR_RETURN(std::set<int64_t> applied, AppliedVersions(c, context));
  const int latest = SqliteStorage::LatestSchemaVersion();
  if (!applied.empty() && *applied.rbegin() > latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite: ", c.path(), " has schema version ", *applied.rbegin(),
        ", but this build of proctor knows versions up to ", latest,
        ": the database was written by a newer proctor-server; run that version (or a newer "
        "one), or restore a backup made for this version"));
  }
  for (const SqlMigration& migration : SqliteMigrations()) {
    if (applied.count(migration.version) != 0) continue;
    RETURN_IF_ERROR(ApplyMigration(c, migration));
  }
  return transaction.Commit(context);
}

}  // namespace

// ---- Connection handling. ----

absl::Status ValidateSqliteStorageOptions(const SqliteStorageOptions& options) {
  if (options.read_connections < 1 || options.read_connections > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStorageOptions.read_connections must be 1-64, got ", options.read_connections));
  }
  if (options.busy_timeout_ms < 0 || options.busy_timeout_ms > 600000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SqliteStorageOptions.busy_timeout_ms must be 0-600000, got ", options.busy_timeout_ms));
  }
  return absl::OkStatus();
}

int SqliteStorage::LatestSchemaVersion() { return SqliteMigrations().back().version; }

SqliteStorage::SqliteStorage(std::unique_ptr<SqliteConnection> writer)
    : writer_(std::move(writer)) {}

SqliteStorage::~SqliteStorage() = default;

absl::StatusOr<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(
    const std::string& path, const SqliteStorageOptions& options) {
  RETURN_IF_ERROR(ValidateSqliteStorageOptions(options));
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite: '", path,
                     "' is not a database file path (for a database in memory use "
                     "MemoryStorage, --db memory:)"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer,
                   SqliteConnection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                          options.busy_timeout_ms));
  RETURN_IF_ERROR(ConfigureWriter(*writer));
  RETURN_IF_ERROR(Migrate(*writer));
  std::unique_ptr<SqliteStorage> storage(new SqliteStorage(std::move(writer)));
  for (int i = 0; i < options.read_connections; ++i) {
    auto reader = std::make_unique<Reader>();
    ASSIGN_OR_RETURN(reader->connection,
                     SqliteConnection::Open(path, SQLITE_OPEN_READWRITE, options.busy_timeout_ms));
    RETURN_IF_ERROR(ConfigureReader(*reader->connection));
    storage->readers_.push_back(std::move(reader));
  }
  return storage;
}

template <typename Fn>
auto SqliteStorage::WithWriter(Fn&& fn) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return fn(*writer_);
}

template <typename Fn>
auto SqliteStorage::InTransaction(const char* context, Fn&& fn) {
  using Result = decltype(fn(*writer_));
  std::lock_guard<std::mutex> lock(writer_mu_);
  SqliteTransaction transaction(writer_.get());
  if (absl::Status begun = transaction.Begin(context); !begun.ok()) return Result(begun);
  Result result = fn(*writer_);
  if (!result.ok()) return result;
  if (absl::Status committed = transaction.Commit(context); !committed.ok()) {
    return Result(committed);
  }
  return result;
}

template <typename Fn>
auto SqliteStorage::WithReader(Fn&& fn) {
  // Prefer an idle connection; block on one only when every connection is busy.
  const size_t n = readers_.size();
  const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed) % n;
  for (size_t i = 0; i < n; ++i) {
    Reader& reader = *readers_[(start + i) % n];
    std::unique_lock<std::mutex> lock(reader.mu, std::try_to_lock);
    if (lock.owns_lock()) return fn(*reader.connection);
  }
  Reader& reader = *readers_[start];
  std::lock_guard<std::mutex> lock(reader.mu);
  return fn(*reader.connection);
}

// ---- Assessments and learners. ----

absl::Status SqliteStorage::CreateAssessment(const Assessment& a) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertAssessment));
    s.BindText(1, a.id);
    s.BindText(2, a.course);
    s.BindText(3, a.title);
    s.BindInt64(4, static_cast<int64_t>(a.kind));
    s.BindInt64(5, a.created_at_unix_ms);
    return StepDone(c, s, absl::StrCat("creating assessment ", a.id));
  });
}

absl::Status SqliteStorage::BackupTo(const std::string& path) {
  absl::Status status =
      WithReader([&](SqliteConnection& c) -> absl::Status { return c.BackupInto(path); });
  // A failed copy leaves no half-written file that could pass for a backup.
  if (!status.ok() && !absl::IsAlreadyExists(status)) ::unlink(path.c_str());
  return status;
}

absl::StatusOr<Assessment> SqliteStorage::GetAssessment(const std::string& id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<Assessment> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectAssessment));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoSuch("assessment", id);
    if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("reading assessment ", id));
    return Assessment{id, s.Text(0), s.Text(1), static_cast<AssessmentKind>(s.Int64(2)),
                      s.Int64(3)};
  });
}

absl::Status SqliteStorage::UpsertLearner(const std::string& id, const std::string& name) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kUpsertLearner));
    s.BindText(1, id);
    s.BindText(2, name);
    return StepDone(c, s, absl::StrCat("storing learner ", id));
  });
}

absl::StatusOr<Learner> SqliteStorage::GetLearner(const std::string& id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<Learner> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectLearner));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoSuch("learner", id);
    if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("reading learner ", id));
    return Learner{id, s.Text(0), static_cast<int>(s.Int64(1))};
  });
}

absl::Status SqliteStorage::ReplaceTemplates(const std::string& learner_id,
                                             const std::vector<std::vector<uint8_t>>& sealed) {
  return InTransaction("replacing templates", [&](SqliteConnection& c) -> absl::Status {
    RETURN_IF_ERROR(LearnerExists(c, learner_id));
    const std::string context = absl::StrCat("replacing the templates of learner ", learner_id);
    ASSIGN_OR_RETURN(SqliteStatement remove, c.Prepare(kDeleteTemplates));
    remove.BindText(1, learner_id);
    RETURN_IF_ERROR(StepDone(c, remove, context));
    RETURN_IF_ERROR(InsertTemplates(c, learner_id, sealed, context));
    // An administrator's enrollment supersedes a self-enrollment, its photo with it.
    return DeleteSelfEnrollment(c, learner_id, context);
  });
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> SqliteStorage::GetTemplates(
    const std::string& learner_id) {
  using Templates = std::vector<std::vector<uint8_t>>;
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<Templates> {
    RETURN_IF_ERROR(LearnerExists(c, learner_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectTemplates));
    s.BindText(1, learner_id);
    Templates out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.Blob(0));
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("reading the templates of learner ", learner_id));
    }
    return out;
  });
}

absl::StatusOr<PurgeCounts> SqliteStorage::PurgeBiometrics(const std::string& learner_id) {
  return InTransaction(
      "purging biometrics", [&](SqliteConnection& c) -> absl::StatusOr<PurgeCounts> {
        RETURN_IF_ERROR(LearnerExists(c, learner_id));
        const std::string context = absl::StrCat("purging the biometrics of learner ", learner_id);
        PurgeCounts counts;
        ASSIGN_OR_RETURN(SqliteStatement templates, c.Prepare(kDeleteTemplates));
        templates.BindText(1, learner_id);
        RETURN_IF_ERROR(StepDone(c, templates, context));
        counts.templates_removed = static_cast<int>(c.Changes());
        RETURN_IF_ERROR(DeleteSelfEnrollment(c, learner_id, context));
        ASSIGN_OR_RETURN(SqliteStatement evidence, c.Prepare(kPurgeEvidence));
        evidence.BindText(1, learner_id);
        RETURN_IF_ERROR(StepDone(c, evidence, context));
        counts.evidence_removed = static_cast<int>(c.Changes());
        return counts;
      });
}

absl::StatusOr<int> SqliteStorage::PurgeSessionEvidence(const std::string& session_id) {
  return InTransaction("purging evidence", [&](SqliteConnection& c) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(SqliteStatement exists, c.Prepare(kSessionExists));
    exists.BindText(1, session_id);
    const int rc = exists.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoSuch("session", session_id);
    if (rc != SQLITE_ROW) return c.Error(rc, "looking up a session");
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kPurgeSessionEvidence));
    s.BindText(1, session_id);
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("purging the evidence of session ", session_id)));
    return static_cast<int>(c.Changes());
  });
}

// ---- Self-enrollment. ----

absl::Status SqliteStorage::PutSelfEnrollment(
    const SelfEnrollment& e, const std::vector<std::vector<uint8_t>>& sealed_templates) {
  return InTransaction("storing a self-enrollment", [&](SqliteConnection& c) -> absl::Status {
    RETURN_IF_ERROR(LearnerExists(c, e.learner_id));
    ASSIGN_OR_RETURN(int64_t template_count, CountTemplates(c, e.learner_id));
    ASSIGN_OR_RETURN(std::optional<SelfEnrollmentState> existing,
                     SelfEnrollmentStateOf(c, e.learner_id));
    RETURN_IF_ERROR(storage_rules::CheckSelfEnrollable(e.learner_id, template_count, existing));
    const std::string context =
        absl::StrCat("storing the self-enrollment of learner ", e.learner_id);
    RETURN_IF_ERROR(InsertTemplates(c, e.learner_id, sealed_templates, context));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertSelfEnrollment));
    s.BindText(1, e.learner_id);
    s.BindText(2, e.assessment_id);
    s.BindInt64(3, e.photos);
    s.BindInt64(4, e.created_at_unix_ms);
    BindBytesOrNull(s, 5, e.sealed_photo);
    return StepDone(c, s, context);
  });
}

absl::StatusOr<SelfEnrollment> SqliteStorage::GetSelfEnrollment(const std::string& learner_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<SelfEnrollment> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectSelfEnrollment));
    s.BindText(1, learner_id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoSuch("self-enrollment of learner", learner_id);
    if (rc != SQLITE_ROW) {
      return c.Error(rc, absl::StrCat("reading the self-enrollment of learner ", learner_id));
    }
    SelfEnrollment e = ReadSelfEnrollment(s);
    e.sealed_photo = s.Blob(8);
    return e;
  });
}

absl::StatusOr<std::vector<SelfEnrollment>> SqliteStorage::ListSelfEnrollments(bool pending_only) {
  using Enrollments = std::vector<SelfEnrollment>;
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<Enrollments> {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     c.Prepare(pending_only ? kListPendingSelfEnrollments : kListSelfEnrollments));
    Enrollments out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadSelfEnrollment(s));
    if (rc != SQLITE_DONE) return c.Error(rc, "listing self-enrollments");
    return out;
  });
}

absl::Status SqliteStorage::DecideSelfEnrollment(const std::string& learner_id,
                                                 SelfEnrollmentState decision,
                                                 const std::string& decided_by,
                                                 int64_t decided_at_unix_ms,
                                                 const std::string& note) {
  RETURN_IF_ERROR(storage_rules::CheckDecision(decision));
  return InTransaction("deciding a self-enrollment", [&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<SelfEnrollmentState> state,
                     SelfEnrollmentStateOf(c, learner_id));
    if (!state) return storage_rules::NoSuch("self-enrollment of learner", learner_id);
    if (*state != SelfEnrollmentState::kPending) {
      return storage_rules::AlreadyDecided(learner_id, *state);
    }
    const std::string context =
        absl::StrCat("deciding the self-enrollment of learner ", learner_id);
    {
      ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDecideSelfEnrollment));
      s.BindText(1, learner_id);
      s.BindInt64(2, static_cast<int64_t>(decision));
      s.BindText(3, decided_by);
      s.BindInt64(4, decided_at_unix_ms);
      s.BindText(5, note);
      RETURN_IF_ERROR(StepDone(c, s, context));
    }
    if (decision != SelfEnrollmentState::kRejected) return absl::OkStatus();
    ASSIGN_OR_RETURN(SqliteStatement templates, c.Prepare(kDeleteTemplates));
    templates.BindText(1, learner_id);
    return StepDone(c, templates, context);
  });
}

// ---- Tokens and passes. ----

absl::Status SqliteStorage::PutToken(const TokenRecord& token) {
  return WithWriter([&](SqliteConnection& c) { return InsertToken(c, token); });
}

absl::StatusOr<TokenRecord> SqliteStorage::FindToken(const std::string& token_hash) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<TokenRecord> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectToken));
    BindBytes(s, 1, token_hash);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError("unknown token");
    if (rc != SQLITE_ROW) return c.Error(rc, "looking up a token");
    return TokenRecord{token_hash, static_cast<Role>(s.Int64(0)), s.Text(1), s.Text(2), s.Int64(3)};
  });
}

absl::StatusOr<int> SqliteStorage::RevokeTokens(const std::string& label, Role role) {
  return InTransaction("revoking tokens", [&](SqliteConnection& c) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDeleteTokens));
    s.BindText(1, label);
    s.BindInt64(2, static_cast<int>(role));
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("revoking the tokens labelled ", label)));
    return static_cast<int>(c.Changes());
  });
}

absl::Status SqliteStorage::PutPass(const PassRecord& pass) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertPass));
    BindBytes(s, 1, pass.pass_hash);
    s.BindText(2, pass.learner_id);
    s.BindText(3, pass.assessment_id);
    s.BindInt64(4, pass.expires_at_unix_ms);
    s.BindInt64(5, pass.used ? 1 : 0);
    return StepDone(c, s,
                    absl::StrCat("storing a pass for learner ", pass.learner_id, " and assessment ",
                                 pass.assessment_id));
  });
}

absl::StatusOr<PassRecord> SqliteStorage::FindPass(const std::string& pass_hash) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<PassRecord> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectPass));
    BindBytes(s, 1, pass_hash);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::UnknownPass();
    if (rc != SQLITE_ROW) return c.Error(rc, "looking up an exam pass");
    return PassRecord{pass_hash, s.Text(0), s.Text(1), s.Int64(2), s.Int64(3) != 0};
  });
}

absl::StatusOr<SessionRecord> SqliteStorage::RedeemPass(const std::string& pass_hash,
                                                        int64_t now_unix_ms, SessionRecord session,
                                                        const TokenRecord& session_token) {
  return InTransaction(
      "redeeming a pass", [&](SqliteConnection& c) -> absl::StatusOr<SessionRecord> {
        {
          ASSIGN_OR_RETURN(SqliteStatement pass, c.Prepare(kSelectPass));
          BindBytes(pass, 1, pass_hash);
          const int rc = pass.Step();
          if (rc == SQLITE_DONE) return storage_rules::UnknownPass();
          if (rc != SQLITE_ROW) return c.Error(rc, "looking up an exam pass");
          RETURN_IF_ERROR(
              storage_rules::CheckPassUsable(pass.Int64(3) != 0, pass.Int64(2), now_unix_ms));
          storage_rules::PrepareNewSession(pass.Text(0), pass.Text(1), session);
        }
        ASSIGN_OR_RETURN(SqliteStatement mark, c.Prepare(kMarkPassUsed));
        BindBytes(mark, 1, pass_hash);
        mark.BindText(2, session.id);
        RETURN_IF_ERROR(StepDone(c, mark, "marking an exam pass used"));
        RETURN_IF_ERROR(InsertSession(c, session));
        RETURN_IF_ERROR(InsertToken(c, session_token));
        return session;
      });
}

// ---- Sessions. ----

absl::StatusOr<SessionRecord> SqliteStorage::GetSession(const std::string& id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<SessionRecord> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectSession));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoSuch("session", id);
    if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("reading session ", id));
    return ReadSession(s);
  });
}

absl::StatusOr<std::vector<SessionRecord>> SqliteStorage::ListSessions(bool pending_review_only) {
  return WithReader([&](SqliteConnection& c) { return QuerySessions(c, pending_review_only); });
}

absl::Status SqliteStorage::UpdateSessionOutcome(const SessionRecord& r) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kUpdateOutcome));
    s.BindText(1, r.id);
    s.BindInt64(2, static_cast<int64_t>(r.state));
    s.BindInt64(3, r.ended_at_ms);
    s.BindInt64(4, r.closed_at_unix_ms);
    s.BindDouble(5, r.risk_score);
    s.BindInt64(6, static_cast<int64_t>(r.verdict));
    s.BindText(7, r.decision_note);
    s.BindText(8, r.decided_by);
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("updating the outcome of session ", r.id)));
    if (c.Changes() == 0) return storage_rules::NoSuch("session", r.id);
    return absl::OkStatus();
  });
}

// ---- Events. ----

absl::StatusOr<std::vector<absl::Status>> SqliteStorage::AppendBatches(
    const std::vector<AppendBatch>& batches) {
  using Statuses = std::vector<absl::Status>;
  return InTransaction("appending events", [&](SqliteConnection& c) -> absl::StatusOr<Statuses> {
    ASSIGN_OR_RETURN(SqliteStatement find, c.Prepare(kSessionForAppend));
    ASSIGN_OR_RETURN(SqliteStatement insert, c.Prepare(kInsertEvent));
    ASSIGN_OR_RETURN(SqliteStatement advance, c.Prepare(kAdvanceSession));
    ASSIGN_OR_RETURN(SqliteStatement sign, c.Prepare(kInsertSignature));
    AppendStatements statements{std::move(find), std::move(insert), std::move(advance),
                                std::move(sign)};
    std::vector<uint8_t> scratch;
    Statuses statuses(batches.size());
    for (size_t i = 0; i < batches.size(); ++i) {
      RETURN_IF_ERROR(AppendOne(c, batches[i], statements, scratch, statuses[i]));
    }
    return statuses;
  });
}

absl::StatusOr<StoredEvent> SqliteStorage::GetEvent(const std::string& session_id,
                                                   uint64_t seq) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<StoredEvent> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kGetEvent));
    s.BindInt64(1, sid);
    s.BindInt64(2, static_cast<int64_t>(seq));
    const int rc = s.Step();
    if (rc == SQLITE_DONE) {
      return storage_rules::NoEvent(session_id, seq);
    }
    if (rc != SQLITE_ROW) return c.Error(rc, absl::StrCat("reading event ", seq));
    return ReadEvent(s, session_id);
  });
}

absl::StatusOr<std::vector<StoredEvent>> SqliteStorage::ListEvents(const std::string& session_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<StoredEvent>> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListEvents));
    s.BindInt64(1, sid);
    std::vector<StoredEvent> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadEvent(s, session_id));
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("listing the events of session ", session_id));
    }
    return out;
  });
}

absl::StatusOr<std::vector<BatchSignature>> SqliteStorage::ListBatchSignatures(
    const std::string& session_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<BatchSignature>> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListSignatures));
    s.BindInt64(1, sid);
    std::vector<BatchSignature> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      BatchSignature& signature = out.emplace_back();
      signature.head_seq = static_cast<uint64_t>(s.Int64(0));
      // The schema's CHECK constraint keeps every stored signature exactly 64 bytes.
      (void)s.BlobInto(1, signature.signature.data(), signature.signature.size());
    }
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("listing the batch signatures of session ", session_id));
    }
    return out;
  });
}

absl::StatusOr<std::vector<Hash32>> SqliteStorage::EventHashes(const std::string& session_id,
                                                               uint64_t from_seq, uint64_t to_seq) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<Hash32>> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kEventHashes));
    s.BindInt64(1, sid);
    s.BindInt64(2, ToInt64(from_seq));
    s.BindInt64(3, ToInt64(to_seq));
    std::vector<Hash32> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadHash(s, 0));
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("reading event hashes of session ", session_id));
    }
    return out;
  });
}

absl::StatusOr<std::vector<uint8_t>> SqliteStorage::GetEvidence(const std::string& session_id,
                                                                uint64_t seq) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<uint8_t>> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectEvidence));
    s.BindInt64(1, sid);
    s.BindInt64(2, ToInt64(seq));
    const int rc = s.Step();
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && s.IsNull(0))) {
      return storage_rules::NoEvidence(session_id, seq);
    }
    if (rc != SQLITE_ROW) {
      return c.Error(rc, absl::StrCat("reading evidence of session ", session_id, " seq ", seq));
    }
    return s.Blob(0);
  });
}

// ---- Findings, results, audit. ----

absl::Status SqliteStorage::AddFinding(const Finding& f) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertFinding));
    s.BindText(1, f.session_id);
    s.BindInt64(2, static_cast<int64_t>(f.kind));
    s.BindInt64(3, f.at_ms);
    s.BindInt64(4, ToInt64(f.event_seq));
    s.BindDouble(5, f.distance);
    s.BindText(6, f.detail);
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("adding a finding to session ", f.session_id)));
    if (c.Changes() == 0) return storage_rules::NoSuch("session", f.session_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Finding>> SqliteStorage::ListFindings(const std::string& session_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<Finding>> {
    ASSIGN_OR_RETURN(int64_t sid, SessionSid(c, session_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListFindings));
    s.BindInt64(1, sid);
    std::vector<Finding> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(Finding{session_id, static_cast<EventKind>(s.Int64(0)), s.Int64(1),
                            static_cast<uint64_t>(s.Int64(2)), static_cast<float>(s.Double(3)),
                            s.Text(4)});
    }
    if (rc != SQLITE_DONE) {
      return c.Error(rc, absl::StrCat("listing the findings of session ", session_id));
    }
    return out;
  });
}

absl::Status SqliteStorage::PutAccommodation(const Accommodation& a) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kUpsertAccommodation));
    s.BindText(1, a.learner_id);
    s.BindText(2, a.assessment_id);
    s.BindInt64(3, a.extra_absence_ms);
    s.BindInt64(4, a.looking_away_ignored ? 1 : 0);
    s.BindInt64(5, a.identity_ends_only ? 1 : 0);
    s.BindInt64(6, a.extra_time_ms);
    s.BindText(7, a.reason);
    s.BindText(8, a.granted_by);
    s.BindInt64(9, a.granted_at_unix_ms);
    return StepDone(c, s, absl::StrCat("storing the accommodation of learner ", a.learner_id));
  });
}

absl::StatusOr<Accommodation> SqliteStorage::GetAccommodation(const std::string& learner_id,
                                                              const std::string& assessment_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<Accommodation> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectAccommodation));
    s.BindText(1, learner_id);
    s.BindText(2, assessment_id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) {
      return absl::NotFoundError(absl::StrCat("no accommodation for learner ", learner_id,
                                              " in assessment ", assessment_id));
    }
    if (rc != SQLITE_ROW) return c.Error(rc, "reading an accommodation");
    return Accommodation{learner_id, assessment_id, s.Int64(0), s.Int64(1) != 0, s.Int64(2) != 0,
                         s.Int64(3), s.Text(4), s.Text(5), s.Int64(6)};
  });
}

absl::Status SqliteStorage::PutConsentNotice(const ConsentNotice& n) {
  return InTransaction("storing a consent notice", [&](SqliteConnection& c) -> absl::Status {
    RETURN_IF_ERROR(AssessmentExists(c, n.assessment_id));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertConsentNotice));
    s.BindText(1, n.assessment_id);
    s.BindInt64(2, n.version);
    s.BindText(3, n.text);
    s.BindText(4, n.sha256_hex);
    s.BindText(5, n.created_by);
    s.BindInt64(6, n.created_at_unix_ms);
    return StepDone(c, s,
                    absl::StrCat("storing consent notice version ", n.version, " of assessment ",
                                 n.assessment_id));
  });
}

absl::StatusOr<ConsentNotice> SqliteStorage::GetConsentNotice(const std::string& assessment_id,
                                                              int32_t version) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<ConsentNotice> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectConsentNotice));
    s.BindText(1, assessment_id);
    s.BindInt64(2, version);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoConsentNotice(assessment_id, version);
    if (rc != SQLITE_ROW) return c.Error(rc, "reading a consent notice");
    ConsentNotice notice;
    notice.assessment_id = assessment_id;
    notice.version = static_cast<int32_t>(s.Int64(0));
    notice.text = s.Text(1);
    notice.sha256_hex = s.Text(2);
    notice.created_by = s.Text(3);
    notice.created_at_unix_ms = s.Int64(4);
    return notice;
  });
}

// ---- LTI 1.3. ----

absl::Status SqliteStorage::PutLtiPlatform(const LtiPlatform& p) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertLtiPlatform));
    // Bound text is not copied: it must outlive the step.
    const std::string deployments = storage_rules::JoinDeployments(p.deployment_ids);
    s.BindText(1, p.issuer);
    s.BindText(2, p.client_id);
    s.BindText(3, deployments);
    s.BindText(4, p.auth_url);
    s.BindText(5, p.token_url);
    s.BindText(6, p.jwks_url);
    s.BindText(7, p.created_by);
    s.BindInt64(8, p.created_at_unix_ms);
    absl::Status done = StepDone(c, s, absl::StrCat("registering LTI platform ", p.issuer));
    if (absl::IsAlreadyExists(done)) return storage_rules::LtiPlatformExists(p.issuer, p.client_id);
    return done;
  });
}

absl::StatusOr<std::vector<LtiPlatform>> SqliteStorage::ListLtiPlatforms() {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<LtiPlatform>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListLtiPlatforms));
    std::vector<LtiPlatform> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(LtiPlatform{s.Text(0), s.Text(1), storage_rules::SplitDeployments(s.Text(2)),
                                s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Int64(7)});
    }
    if (rc != SQLITE_DONE) return c.Error(rc, "listing LTI platforms");
    return out;
  });
}

absl::Status SqliteStorage::RemoveLtiPlatform(const std::string& issuer,
                                              const std::string& client_id) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDeleteLtiPlatform));
    s.BindText(1, issuer);
    s.BindText(2, client_id);
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("removing LTI platform ", issuer)));
    if (c.Changes() == 0) return storage_rules::NoLtiPlatform(issuer, client_id);
    return absl::OkStatus();
  });
}

absl::Status SqliteStorage::PutLtiToolKey(const LtiToolKey& key) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertLtiToolKey));
    s.BindText(1, key.kid);
    BindBytes(s, 2, key.sealed_private);
    s.BindText(3, key.public_jwk);
    s.BindInt64(4, key.created_at_unix_ms);
    absl::Status done = StepDone(c, s, "storing an LTI tool key");
    if (absl::IsAlreadyExists(done)) return storage_rules::LtiKeyExists(key.kid);
    return done;
  });
}

absl::StatusOr<std::vector<LtiToolKey>> SqliteStorage::ListLtiToolKeys() {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<LtiToolKey>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListLtiToolKeys));
    std::vector<LtiToolKey> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(LtiToolKey{s.Text(0), s.Blob(1), s.Text(2), s.Int64(3)});
    }
    if (rc != SQLITE_DONE) return c.Error(rc, "listing LTI tool keys");
    return out;
  });
}

absl::Status SqliteStorage::DeleteLtiToolKey(const std::string& kid) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDeleteLtiToolKey));
    s.BindText(1, kid);
    RETURN_IF_ERROR(StepDone(c, s, "deleting an LTI tool key"));
    if (c.Changes() == 0) return storage_rules::NoLtiKey(kid);
    return absl::OkStatus();
  });
}

absl::Status SqliteStorage::PutLtiLogin(const LtiLogin& login, int64_t expired_before_unix_ms) {
  return InTransaction("storing an LTI login", [&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement expired, c.Prepare(kDeleteExpiredLtiLogins));
    expired.BindInt64(1, expired_before_unix_ms);
    RETURN_IF_ERROR(StepDone(c, expired, "deleting expired LTI logins"));
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertLtiLogin));
    s.BindText(1, login.state);
    s.BindText(2, login.nonce);
    s.BindText(3, login.issuer);
    s.BindText(4, login.client_id);
    s.BindInt64(5, login.created_at_unix_ms);
    return StepDone(c, s, "storing an LTI login");
  });
}

absl::StatusOr<LtiLogin> SqliteStorage::TakeLtiLogin(const std::string& state) {
  return WithWriter([&](SqliteConnection& c) -> absl::StatusOr<LtiLogin> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kTakeLtiLogin));
    s.BindText(1, state);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoLtiLogin();
    if (rc != SQLITE_ROW) return c.Error(rc, "taking an LTI login");
    LtiLogin login{state, s.Text(0), s.Text(1), s.Text(2), s.Int64(3)};
    RETURN_IF_ERROR(StepDone(c, s, "taking an LTI login"));
    return login;
  });
}

absl::Status SqliteStorage::PutLtiAttempt(const LtiAttempt& a) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertLtiAttempt));
    s.BindText(1, a.id);
    s.BindText(2, a.learner_id);
    s.BindText(3, a.assessment_id);
    s.BindText(4, a.issuer);
    s.BindText(5, a.client_id);
    s.BindText(6, a.deployment_id);
    s.BindText(7, a.message_type);
    s.BindText(8, a.resource_link_id);
    s.BindInt64(9, a.attempt_number);
    s.BindText(10, a.session_data);
    s.BindText(11, a.start_assessment_url);
    s.BindText(12, a.locale);
    BindBytes(s, 13, a.sealed_pass);
    s.BindInt64(14, a.pass_expires_at_unix_ms);
    s.BindInt64(15, a.created_at_unix_ms);
    BindBytes(s, 16, a.pass_hash);
    s.BindText(17, a.services);
    s.BindInt64(18, a.reported_state);
    s.BindInt64(19, a.reported_verdict);
    s.BindInt64(20, a.reported_seq);
    absl::Status done = StepDone(c, s, "storing an LTI attempt");
    if (absl::IsAlreadyExists(done)) return storage_rules::LtiAttemptExists();
    return done;
  });
}

absl::StatusOr<LtiAttempt> SqliteStorage::GetLtiAttempt(const std::string& id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<LtiAttempt> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSelectLtiAttempt));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::NoLtiAttempt();
    if (rc != SQLITE_ROW) return c.Error(rc, "reading an LTI attempt");
    return ReadLtiAttempt(s);
  });
}

absl::StatusOr<std::string> SqliteStorage::SessionOfPass(const std::string& pass_hash) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kSessionOfPass));
    BindBytes(s, 1, pass_hash);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return storage_rules::UnknownPass();
    if (rc != SQLITE_ROW) return c.Error(rc, "finding the session of a pass");
    return s.Text(0);  // "" for NULL
  });
}

absl::StatusOr<std::vector<LtiAttempt>> SqliteStorage::ListLtiAttempts(
    const std::string& learner_id, const std::string& assessment_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<LtiAttempt>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListLtiAttempts));
    s.BindText(1, learner_id);
    s.BindText(2, assessment_id);
    std::vector<LtiAttempt> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadLtiAttempt(s));
    if (rc != SQLITE_DONE) return c.Error(rc, "listing LTI attempts");
    return out;
  });
}

absl::StatusOr<std::vector<LtiAttemptChange>> SqliteStorage::ListLtiAttemptChanges(
    int limit, int64_t created_after_unix_ms) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<LtiAttemptChange>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListLtiAttemptChanges));
    s.BindInt64(1, std::max(limit, 0));  // SQLite reads a negative LIMIT as none
    s.BindInt64(2, created_after_unix_ms);
    std::vector<LtiAttemptChange> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(LtiAttemptChange{ReadLtiAttempt(s), s.Text(20),
                                     static_cast<SessionState>(s.Int64(21)),
                                     static_cast<Verdict>(s.Int64(22))});
    }
    if (rc != SQLITE_DONE) return c.Error(rc, "listing changed LTI attempts");
    return out;
  });
}

absl::Status SqliteStorage::QueueLtiChange(const LtiAttemptChange& change,
                                           std::vector<LtiOutboxItem> items) {
  const LtiAttempt& from = change.attempt;
  return InTransaction("queuing an LTI change", [&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement report, c.Prepare(kReportLtiChange));
    report.BindText(1, from.id);
    report.BindInt64(2, static_cast<int64_t>(change.state));
    report.BindInt64(3, static_cast<int64_t>(change.verdict));
    report.BindInt64(4, static_cast<int64_t>(items.size()));
    report.BindInt64(5, from.reported_seq);
    report.BindInt64(6, from.reported_state);
    report.BindInt64(7, from.reported_verdict);
    RETURN_IF_ERROR(StepDone(c, report, "recording the outcome reported for an LTI attempt"));
    if (c.Changes() == 0) {
      ASSIGN_OR_RETURN(SqliteStatement exists, c.Prepare(kLtiAttemptExists));
      exists.BindText(1, from.id);
      const int rc = exists.Step();
      if (rc == SQLITE_DONE) return storage_rules::NoLtiAttempt();
      if (rc != SQLITE_ROW) return c.Error(rc, "looking up an LTI attempt");
      return storage_rules::StaleLtiChange(from.id);
    }
    ASSIGN_OR_RETURN(SqliteStatement insert, c.Prepare(kInsertLtiOutboxItem));
    for (size_t i = 0; i < items.size(); ++i) {
      const LtiOutboxItem& item = items[i];
      insert.Reset();
      insert.BindText(1, from.id);
      insert.BindInt64(2, from.reported_seq + 1 + static_cast<int64_t>(i));
      insert.BindText(3, item.kind);
      insert.BindText(4, item.payload);
      insert.BindInt64(5, item.created_at_unix_ms);
      insert.BindInt64(6, item.due_at_unix_ms);
      insert.BindInt64(7, item.tries);
      insert.BindText(8, item.last_error);
      insert.BindInt64(9, item.done_at_unix_ms);
      insert.BindText(10, item.outcome);
      RETURN_IF_ERROR(StepDone(c, insert, "queuing an LTI outbox item"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<LtiOutboxItem>> SqliteStorage::ClaimLtiOutbox(
    int64_t now_unix_ms, int64_t lease_until_unix_ms, int limit) {
  using Items = std::vector<LtiOutboxItem>;
  return InTransaction("claiming LTI outbox items",
                       [&](SqliteConnection& c) -> absl::StatusOr<Items> {
                         Items due;
                         {
                           // Read every row before the first update: a table is not changed under
                           // an open cursor.
                           ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kDueLtiOutbox));
                           s.BindInt64(1, now_unix_ms);
                           s.BindInt64(2, std::max(limit, 0));
                           int rc;
                           while ((rc = s.Step()) == SQLITE_ROW)
                             due.push_back(ReadLtiOutboxItem(s));
                           if (rc != SQLITE_DONE)
                             return c.Error(rc, "reading due LTI outbox items");
                         }
                         ASSIGN_OR_RETURN(SqliteStatement claim, c.Prepare(kClaimLtiOutboxItem));
                         Items claimed;
                         for (LtiOutboxItem& item : due) {
                           claim.Reset();
                           claim.BindText(1, item.attempt_id);
                           claim.BindInt64(2, item.seq);
                           claim.BindInt64(3, lease_until_unix_ms);
                           claim.BindInt64(4, item.due_at_unix_ms);
                           const int rc = claim.Step();
                           if (rc == SQLITE_DONE) continue;  // claimed or updated meanwhile
                           if (rc != SQLITE_ROW) return c.Error(rc, "claiming an LTI outbox item");
                           item.tries = static_cast<int32_t>(claim.Int64(0));
                           item.due_at_unix_ms = lease_until_unix_ms;
                           RETURN_IF_ERROR(StepDone(c, claim, "claiming an LTI outbox item"));
                           claimed.push_back(item);
                         }
                         return claimed;
                       });
}

absl::Status SqliteStorage::UpdateLtiOutboxItem(const LtiOutboxItem& item) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kUpdateLtiOutboxItem));
    s.BindText(1, item.attempt_id);
    s.BindInt64(2, item.seq);
    s.BindInt64(3, item.due_at_unix_ms);
    s.BindText(4, item.last_error);
    s.BindInt64(5, item.done_at_unix_ms);
    s.BindText(6, item.outcome);
    RETURN_IF_ERROR(StepDone(c, s, "updating an LTI outbox item"));
    if (c.Changes() == 0) return storage_rules::NoLtiOutboxItem(item.attempt_id, item.seq);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<LtiOutboxItem>> SqliteStorage::ListLtiOutbox(
    const std::string& attempt_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<LtiOutboxItem>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListLtiOutbox));
    s.BindText(1, attempt_id);
    std::vector<LtiOutboxItem> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadLtiOutboxItem(s));
    if (rc != SQLITE_DONE) return c.Error(rc, "listing the LTI outbox");
    return out;
  });
}

absl::Status SqliteStorage::PutResult(const ResultRecord& r) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kUpsertResult));
    s.BindText(1, r.session_id);
    s.BindDouble(2, r.score);
    s.BindDouble(3, r.max_score);
    s.BindInt64(4, r.submitted_at_unix_ms);
    s.BindText(5, r.submitted_by);
    RETURN_IF_ERROR(StepDone(c, s, absl::StrCat("storing the result of session ", r.session_id)));
    if (c.Changes() == 0) return storage_rules::NoSuch("session", r.session_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ResultRecord>> SqliteStorage::ListResults(
    const std::string& assessment_id) {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<ResultRecord>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListResults));
    s.BindText(1, assessment_id);
    std::vector<ResultRecord> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(ResultRecord{s.Text(0), s.Text(1), s.Text(2), s.Double(3), s.Double(4),
                                 s.Int64(5), s.Text(6)});
    }
    if (rc != SQLITE_DONE) return c.Error(rc, "listing results");
    return out;
  });
}

absl::Status SqliteStorage::AppendAudit(const AuditEntry& entry) {
  return WithWriter([&](SqliteConnection& c) -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kInsertAudit));
    s.BindInt64(1, entry.at_unix_ms);
    s.BindText(2, entry.actor);
    s.BindText(3, entry.action);
    s.BindText(4, entry.subject);
    s.BindText(5, entry.detail);
    return StepDone(c, s, absl::StrCat("recording audit entry ", entry.action));
  });
}

absl::StatusOr<std::vector<AuditEntry>> SqliteStorage::ListAudit() {
  return WithReader([&](SqliteConnection& c) -> absl::StatusOr<std::vector<AuditEntry>> {
    ASSIGN_OR_RETURN(SqliteStatement s, c.Prepare(kListAudit));
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(AuditEntry{s.Int64(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)});
    }
    if (rc != SQLITE_DONE) return c.Error(rc, "listing the audit log");
    return out;
  });
}

}  // namespace proctor::server
