#include "server/storage/postgres_storage.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "server/storage/postgres_connection_pool.h"
#include "server/storage/schema_migrations.h"
#include "server/storage/storage_rules.h"

namespace proctor::server {
namespace {

// ---- Statements, prepared (lazily, by libpqxx) on every connection under these names. ----

struct Statement {
  const char* name;
  const char* sql;
};

// The columns ReadSession() expects, in order.
#define PROCTOR_SESSION_COLUMNS                                                                \
  "id, learner_id, assessment_id, client_public_key, state, opened_at_unix_ms, "               \
  "closed_at_unix_ms, ended_at_ms, risk_score, verdict, decision_note, decided_by, last_seq, " \
  "head_hash, consent_required"

// The columns ReadLtiAttempt() expects, in order, of lti_attempts as "a".
#define PROCTOR_LTI_ATTEMPT_COLUMNS                                                       \
  "a.id, a.learner_id, a.assessment_id, a.issuer, a.client_id, a.deployment_id, "         \
  "a.message_type, a.resource_link_id, a.attempt_number, a.session_data, "                \
  "a.start_assessment_url, a.locale, a.sealed_pass, a.pass_expires_at_unix_ms, "          \
  "a.created_at_unix_ms, a.pass_hash, a.services, a.reported_state, a.reported_verdict, " \
  "a.reported_seq"

// The columns ReadSelfEnrollment() expects, in order.
#define PROCTOR_SELF_ENROLLMENT_COLUMNS                                        \
  "learner_id, assessment_id, state, photos, created_at_unix_ms, decided_by, " \
  "decided_at_unix_ms, note"

// The columns ReadLtiOutboxItem() expects, in order.
#define PROCTOR_LTI_OUTBOX_COLUMNS                                                          \
  "attempt_id, seq, kind, payload, created_at_unix_ms, due_at_unix_ms, tries, last_error, " \
  "done_at_unix_ms, outcome"

constexpr Statement kStatements[] = {
    {"insert_assessment",
     "INSERT INTO assessments (id, course, title, kind, created_at_unix_ms) "
     "VALUES ($1, $2, $3, $4, $5)"},
    {"select_assessment",
     "SELECT course, title, kind, created_at_unix_ms FROM assessments WHERE id = $1"},
    {"assessment_exists", "SELECT 1 FROM assessments WHERE id = $1"},
    {"upsert_learner",
     "INSERT INTO learners (id, name) VALUES ($1, $2) "
     "ON CONFLICT (id) DO UPDATE SET name = excluded.name"},
    {"select_learner",
     "SELECT name, (SELECT count(*) FROM templates WHERE learner_id = $1) "
     "FROM learners WHERE id = $1"},
    // Serializes template replacements, purges and self-enrollments of one learner.
    {"lock_learner", "SELECT 1 FROM learners WHERE id = $1 FOR UPDATE"},
    {"delete_templates", "DELETE FROM templates WHERE learner_id = $1"},
    {"insert_template", "INSERT INTO templates (learner_id, position, sealed) VALUES ($1, $2, $3)"},
    // One row with a NULL template when the learner has none; no row when no such learner.
    {"select_templates",
     "SELECT t.sealed FROM learners l LEFT JOIN templates t ON t.learner_id = l.id "
     "WHERE l.id = $1 ORDER BY t.position"},
    {"purge_evidence",
     "UPDATE events SET evidence = NULL WHERE evidence IS NOT NULL AND session_sid IN "
     "(SELECT sid FROM sessions WHERE learner_id = $1)"},

    {"count_templates", "SELECT count(*) FROM templates WHERE learner_id = $1"},
    {"self_enrollment_state", "SELECT state FROM self_enrollments WHERE learner_id = $1"},
    {"insert_self_enrollment",
     "INSERT INTO self_enrollments (" PROCTOR_SELF_ENROLLMENT_COLUMNS
     ", sealed_photo) VALUES ($1, $2, 1, $3, $4, '', 0, '', NULLIF($5::bytea, ''::bytea))"},
    {"select_self_enrollment", "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS
                               ", sealed_photo FROM self_enrollments WHERE learner_id = $1"},
    {"list_self_enrollments", "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS " FROM self_enrollments "
                              "ORDER BY created_at_unix_ms, learner_id COLLATE \"C\""},
    // Spelled "state = 1" so that the partial index self_enrollments_pending serves it.
    {"list_pending_self_enrollments",
     "SELECT " PROCTOR_SELF_ENROLLMENT_COLUMNS " FROM self_enrollments WHERE state = 1 "
     "ORDER BY created_at_unix_ms, learner_id COLLATE \"C\""},
    // Only a pending one (state 1); the photo goes with the decision.
    {"decide_self_enrollment",
     "UPDATE self_enrollments SET state = $2, decided_by = $3, decided_at_unix_ms = $4, "
     "note = $5, sealed_photo = NULL WHERE learner_id = $1 AND state = 1"},
    {"delete_self_enrollment", "DELETE FROM self_enrollments WHERE learner_id = $1"},

    {"purge_session_evidence",
     "UPDATE events SET evidence = NULL WHERE evidence IS NOT NULL AND session_sid = "
     "(SELECT sid FROM sessions WHERE id = $1 AND state = 2 AND verdict IN (2, 4, 5))"},
    {"session_exists", "SELECT 1 FROM sessions WHERE id = $1"},
    {"insert_token",
     "INSERT INTO tokens (token_hash, role, label, session_id, created_at_unix_ms) "
     "VALUES ($1, $2, $3, NULLIF($4, ''), $5)"},
    {"delete_tokens", "DELETE FROM tokens WHERE label = $1 AND role = $2"},
    {"select_token",
     "SELECT role, label, coalesce(session_id, ''), created_at_unix_ms FROM tokens "
     "WHERE token_hash = $1"},
    {"insert_pass",
     "INSERT INTO passes (pass_hash, learner_id, assessment_id, expires_at_unix_ms, used) "
     "VALUES ($1, $2, $3, $4, $5)"},
    // Locked: of two replicas redeeming one pass, the second sees it used.
    {"lock_pass",
     "SELECT learner_id, assessment_id, expires_at_unix_ms, used FROM passes "
     "WHERE pass_hash = $1 FOR UPDATE"},
    {"mark_pass_used", "UPDATE passes SET used = true, session_id = $2 WHERE pass_hash = $1"},
    {"session_of_pass", "SELECT session_id FROM passes WHERE pass_hash = $1"},
    {"select_pass",
     "SELECT learner_id, assessment_id, expires_at_unix_ms, used FROM passes "
     "WHERE pass_hash = $1"},

    {"insert_session", "INSERT INTO sessions (" PROCTOR_SESSION_COLUMNS
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                       "$15)"},
    {"select_session", "SELECT " PROCTOR_SESSION_COLUMNS " FROM sessions WHERE id = $1"},
    {"list_sessions", "SELECT " PROCTOR_SESSION_COLUMNS
                      " FROM sessions ORDER BY risk_score DESC, opened_at_unix_ms DESC, "
                      "id COLLATE \"C\""},
    {"list_sessions_with_verdict",
     "SELECT " PROCTOR_SESSION_COLUMNS " FROM sessions WHERE verdict = $1 "
     "ORDER BY risk_score DESC, opened_at_unix_ms DESC, id COLLATE \"C\""},
    {"update_outcome",
     "UPDATE sessions SET state = $2, ended_at_ms = $3, closed_at_unix_ms = $4, risk_score = $5, "
     "verdict = $6, decision_note = $7, decided_by = $8 WHERE id = $1"},

    // The group commit. Locks the sessions' rows in sid order (replicas never deadlock), then
    // inserts every event and every batch signature and advances every session in one
    // statement.
    {"lock_sessions",
     "SELECT id, sid, last_seq, state FROM sessions WHERE id = ANY ($1::text[]) "
     "ORDER BY sid FOR UPDATE"},
    {"append_events",
     "WITH appended AS (INSERT INTO events (session_sid, seq, kind, phase, at_ms, duration_ms, "
     "descriptor, client_distance, face_count, detail, prev_hash, hash, server_distance, "
     "received_at_unix_ms, has_evidence, evidence) "
     "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::integer[], "
     "$5::bigint[], $6::bigint[], $7::bytea[], $8::real[], $9::integer[], $10::bytea[], "
     "$11::bytea[], $12::bytea[], $13::real[], $14::bigint[], $15::boolean[], $16::bytea[])), "
     "signed AS (INSERT INTO batch_signatures (session_sid, head_seq, signature) "
     "SELECT * FROM unnest($20::bigint[], $21::bigint[], $22::bytea[])) "
     "UPDATE sessions s SET last_seq = a.last_seq, head_hash = a.head_hash "
     "FROM unnest($17::bigint[], $18::bigint[], $19::bytea[]) AS a (sid, last_seq, head_hash) "
     "WHERE s.sid = a.sid"},
    // The columns ReadEvent() expects, from column 1 on (column 0 says whether the session
    // exists); never the evidence bytes.
    {"list_events",
     "SELECT s.sid, e.seq, e.kind, e.phase, e.at_ms, e.duration_ms, e.descriptor, "
     "e.client_distance, e.face_count, e.detail, e.prev_hash, e.hash, e.server_distance, "
     "e.received_at_unix_ms, e.has_evidence "
     "FROM sessions s LEFT JOIN events e ON e.session_sid = s.sid WHERE s.id = $1 "
     "ORDER BY e.seq"},
    {"get_event",
     "SELECT s.sid, e.seq, e.kind, e.phase, e.at_ms, e.duration_ms, e.descriptor, "
     "e.client_distance, e.face_count, e.detail, e.prev_hash, e.hash, e.server_distance, "
     "e.received_at_unix_ms, e.has_evidence "
     "FROM sessions s LEFT JOIN events e ON e.session_sid = s.sid AND e.seq = $2 "
     "WHERE s.id = $1"},
    {"event_hashes",
     "SELECT s.sid, e.hash FROM sessions s LEFT JOIN events e ON e.session_sid = s.sid "
     "AND e.seq BETWEEN $2 AND $3 WHERE s.id = $1 ORDER BY e.seq"},
    {"list_signatures",
     "SELECT s.sid, b.head_seq, b.signature FROM sessions s LEFT JOIN batch_signatures b "
     "ON b.session_sid = s.sid WHERE s.id = $1 ORDER BY b.head_seq"},
    {"select_evidence",
     "SELECT s.sid, e.evidence FROM sessions s LEFT JOIN events e ON e.session_sid = s.sid "
     "AND e.seq = $2 WHERE s.id = $1"},

    {"insert_finding",
     "INSERT INTO findings (session_sid, kind, at_ms, event_seq, distance, detail) "
     "SELECT sid, $2::integer, $3::bigint, $4::bigint, $5::real, $6::text FROM sessions "
     "WHERE id = $1"},
    {"list_findings",
     "SELECT s.sid, f.kind, f.at_ms, f.event_seq, f.distance, f.detail FROM sessions s "
     "LEFT JOIN findings f ON f.session_sid = s.sid WHERE s.id = $1 ORDER BY f.id"},
    {"upsert_accommodation",
     "INSERT INTO accommodations (learner_id, assessment_id, extra_absence_ms, "
     "looking_away_ignored, identity_ends_only, extra_time_ms, reason, granted_by, "
     "granted_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
     "ON CONFLICT (learner_id, assessment_id) DO UPDATE SET "
     "extra_absence_ms = excluded.extra_absence_ms, "
     "looking_away_ignored = excluded.looking_away_ignored, "
     "identity_ends_only = excluded.identity_ends_only, extra_time_ms = excluded.extra_time_ms, "
     "reason = excluded.reason, granted_by = excluded.granted_by, "
     "granted_at_unix_ms = excluded.granted_at_unix_ms"},
    {"select_accommodation",
     "SELECT extra_absence_ms, looking_away_ignored, identity_ends_only, extra_time_ms, reason, "
     "granted_by, granted_at_unix_ms FROM accommodations "
     "WHERE learner_id = $1 AND assessment_id = $2"},
    {"insert_consent_notice",
     "INSERT INTO consent_notices (assessment_id, version, text, sha256, created_by, "
     "created_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6)"},
    // Version $2, or the highest when $2 is 0.
    {"select_consent_notice",
     "SELECT version, text, sha256, created_by, created_at_unix_ms FROM consent_notices "
     "WHERE assessment_id = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1"},
    {"insert_lti_platform",
     "INSERT INTO lti_platforms (issuer, client_id, deployment_ids, auth_url, token_url, "
     "jwks_url, created_by, created_at_unix_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"},
    {"list_lti_platforms",
     "SELECT issuer, client_id, deployment_ids, auth_url, token_url, jwks_url, created_by, "
     "created_at_unix_ms FROM lti_platforms ORDER BY issuer, client_id"},
    {"delete_lti_platform", "DELETE FROM lti_platforms WHERE issuer = $1 AND client_id = $2"},
    {"insert_lti_tool_key",
     "INSERT INTO lti_tool_keys (kid, sealed_private, public_jwk, created_at_unix_ms) "
     "VALUES ($1, $2, $3, $4)"},
    {"list_lti_tool_keys",
     "SELECT kid, sealed_private, public_jwk, created_at_unix_ms FROM lti_tool_keys "
     "ORDER BY created_at_unix_ms DESC, kid"},
    {"delete_lti_tool_key", "DELETE FROM lti_tool_keys WHERE kid = $1"},
    {"delete_expired_lti_logins", "DELETE FROM lti_logins WHERE created_at_unix_ms < $1"},
    {"insert_lti_login",
     "INSERT INTO lti_logins (state, nonce, issuer, client_id, created_at_unix_ms) "
     "VALUES ($1, $2, $3, $4, $5)"},
    {"take_lti_login",
     "DELETE FROM lti_logins WHERE state = $1 "
     "RETURNING nonce, issuer, client_id, created_at_unix_ms"},
    {"insert_lti_attempt",
     "INSERT INTO lti_attempts (id, learner_id, assessment_id, issuer, client_id, deployment_id, "
     "message_type, resource_link_id, attempt_number, session_data, start_assessment_url, "
     "locale, sealed_pass, pass_expires_at_unix_ms, created_at_unix_ms, pass_hash, services, "
     "reported_state, reported_verdict, reported_seq) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
     "$19, $20)"},
    {"select_lti_attempt",
     "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS " FROM lti_attempts a WHERE a.id = $1"},
    {"list_lti_attempts", "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS " FROM lti_attempts a "
                          "WHERE a.learner_id = $1 AND a.assessment_id = $2 "
                          "ORDER BY a.created_at_unix_ms, a.id COLLATE \"C\""},
    // Attempts whose session is closed (state 2) with an outcome other than the one reported.
    {"list_lti_attempt_changes",
     "SELECT " PROCTOR_LTI_ATTEMPT_COLUMNS ", s.id, s.state, s.verdict FROM lti_attempts a "
     "JOIN passes p ON p.pass_hash = a.pass_hash JOIN sessions s ON s.id = p.session_id "
     "WHERE a.created_at_unix_ms >= $2 AND s.state = 2 "
     "AND (s.state <> a.reported_state OR s.verdict <> a.reported_verdict) "
     "ORDER BY a.created_at_unix_ms, a.id COLLATE \"C\" LIMIT $1"},
    {"lti_attempt_exists", "SELECT 1 FROM lti_attempts WHERE id = $1"},
    // Compare and set: $5-$7 are the reported seq, state and verdict the change started from.
    {"report_lti_change",
     "UPDATE lti_attempts SET reported_state = $2, reported_verdict = $3, "
     "reported_seq = reported_seq + $4 "
     "WHERE id = $1 AND reported_seq = $5 AND reported_state = $6 AND reported_verdict = $7"},
    {"insert_lti_outbox_item", "INSERT INTO lti_outbox (" PROCTOR_LTI_OUTBOX_COLUMNS
                               ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
    // Pending items due at $1 that no pending item of their attempt precedes.
    {"due_lti_outbox",
     "SELECT " PROCTOR_LTI_OUTBOX_COLUMNS " FROM lti_outbox o "
     "WHERE o.done_at_unix_ms = 0 AND o.due_at_unix_ms <= $1 AND NOT EXISTS ("
     "SELECT 1 FROM lti_outbox e WHERE e.attempt_id = o.attempt_id AND e.seq < o.seq "
     "AND e.done_at_unix_ms = 0 AND (e.kind = 'result') = (o.kind = 'result')) "
     "ORDER BY o.due_at_unix_ms, o.attempt_id COLLATE \"C\", o.seq LIMIT $2"},
    // Compare and set: $4 is the due_at read, so an item claimed or updated since is left alone
    // (read committed re-checks the condition on the row another transaction changed).
    {"claim_lti_outbox_item",
     "UPDATE lti_outbox SET due_at_unix_ms = $3, tries = tries + 1 "
     "WHERE attempt_id = $1 AND seq = $2 AND done_at_unix_ms = 0 AND due_at_unix_ms = $4 "
     "RETURNING tries"},
    {"update_lti_outbox_item",
     "UPDATE lti_outbox SET due_at_unix_ms = $3, last_error = $4, done_at_unix_ms = $5, "
     "outcome = $6 WHERE attempt_id = $1 AND seq = $2"},
    {"list_lti_outbox",
     "SELECT " PROCTOR_LTI_OUTBOX_COLUMNS " FROM lti_outbox "
     "WHERE $1::text = '' OR attempt_id = $1::text ORDER BY attempt_id COLLATE \"C\", seq"},
    {"upsert_result",
     "INSERT INTO results (session_sid, score, max_score, submitted_at_unix_ms, submitted_by) "
     "SELECT sid, $2::double precision, $3::double precision, $4::bigint, $5::text "
     "FROM sessions WHERE id = $1 "
     "ON CONFLICT (session_sid) DO UPDATE SET score = excluded.score, "
     "max_score = excluded.max_score, submitted_at_unix_ms = excluded.submitted_at_unix_ms, "
     "submitted_by = excluded.submitted_by"},
    {"list_results",
     "SELECT s.id, s.learner_id, s.assessment_id, r.score, r.max_score, "
     "r.submitted_at_unix_ms, r.submitted_by FROM results r JOIN sessions s ON s.sid = "
     "r.session_sid WHERE $1::text = '' OR s.assessment_id = $1::text "
     "ORDER BY r.submitted_at_unix_ms, s.id COLLATE \"C\""},
    {"insert_audit",
     "INSERT INTO audit (at_unix_ms, actor, action, subject, detail) "
     "VALUES ($1, $2, $3, $4, $5)"},
    {"list_audit", "SELECT at_unix_ms, actor, action, subject, detail FROM audit ORDER BY id"},
};

#undef PROCTOR_SESSION_COLUMNS
#undef PROCTOR_LTI_ATTEMPT_COLUMNS
#undef PROCTOR_LTI_OUTBOX_COLUMNS
#undef PROCTOR_SELF_ENROLLMENT_COLUMNS

// Any number that locks schema changes of proctor in one database ("proctor" in ASCII).
constexpr int64_t kMigrationLockKey = 0x70726f63746f72;

// ---- Value conversions. ----

int64_t ToInt64(uint64_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

// Exact text for a double (17 significant digits round-trip), in PostgreSQL's spelling of the
// special values.
std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Descriptors are stored as little-endian float32, whatever the host's byte order (as in
// SqliteStorage: a database moves between engines byte for byte).
std::vector<uint8_t> EncodeFloats(const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return out;
}

std::vector<float> DecodeFloats(const pqxx::binarystring& bytes) {
  std::vector<float> values(bytes.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(bytes.data()[i * 4 + b]) << (8 * b);
    std::memcpy(&values[i], &bits, 4);
  }
  return values;
}

pqxx::binarystring Bytes(const std::vector<uint8_t>& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

pqxx::binarystring Bytes(const std::string& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

pqxx::binarystring Bytes(const Hash32& hash) {
  return pqxx::binarystring(hash.data(), hash.size());
}

std::vector<uint8_t> ReadBytes(const pqxx::field& field) {
  if (field.is_null()) return {};
  pqxx::binarystring bytes(field);
  return std::vector<uint8_t>(bytes.data(), bytes.data() + bytes.size());
}

Hash32 ReadHash(const pqxx::field& field) {
  Hash32 hash{};
  pqxx::binarystring bytes(field);
  // The schema's CHECK constraints keep every stored hash exactly 32 bytes.
  std::memcpy(hash.data(), bytes.data(), std::min(bytes.size(), hash.size()));
  return hash;
}

// The text of a PostgreSQL array literal ("{1,2,NULL}"), built element by element: the events of
// a group commit travel as one array per column, so one statement inserts them all.
class ArrayLiteral {
 public:
  ArrayLiteral() : text_("{") {}

  void Int(int64_t value) {
    Separate();
    absl::StrAppend(&text_, value);
  }
  void Real(float value) {
    Separate();
    if (std::isnan(value)) {
      text_ += "NaN";
    } else if (std::isinf(value)) {
      text_ += value > 0 ? "Infinity" : "-Infinity";
    } else {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value));  // exact for float
      text_ += buffer;
    }
  }
  void Bool(bool value) {
    Separate();
    text_ += value ? 't' : 'f';
  }
  void Null() {
    Separate();
    text_ += "NULL";
  }
  // A bytea element in hex form: "\\x0a1b" inside the literal is \x0a1b to bytea's input.
  void Bytes(const uint8_t* data, size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    Separate();
    text_.reserve(text_.size() + 6 + 2 * size);
    text_ += "\"\\\\x";
    for (size_t i = 0; i < size; ++i) {
      text_ += kHex[data[i] >> 4];
      text_ += kHex[data[i] & 0x0f];
    }
    text_ += '"';
  }
  void Bytes(const std::vector<uint8_t>& bytes) { Bytes(bytes.data(), bytes.size()); }
  void Bytes(const std::string& bytes) {
    Bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  void BytesOrNull(const std::vector<uint8_t>& bytes) {
    if (bytes.empty()) {
      Null();
    } else {
      Bytes(bytes);
    }
  }
  void Text(const std::string& value) {
    Separate();
    text_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  std::string Finish() && {
    text_ += '}';
    return std::move(text_);
  }

 private:
  void Separate() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_;
};

// The events of one group commit, column by column.
struct EventColumns {
  ArrayLiteral sid, seq, kind, phase, at_ms, duration_ms, descriptor, client_distance, face_count,
      detail, prev_hash, hash, server_distance, received_at, has_evidence, evidence;
  size_t rows = 0;

  void Add(int64_t session_sid, const StoredEvent& stored) {
    const Event& e = stored.event;
    sid.Int(session_sid);
    seq.Int(ToInt64(e.seq));
    kind.Int(static_cast<int64_t>(e.kind));
    phase.Int(static_cast<int64_t>(e.phase));
    at_ms.Int(e.at_ms);
    duration_ms.Int(e.duration_ms);
    if (e.descriptor.empty()) {
      descriptor.Null();
    } else {
      descriptor.Bytes(EncodeFloats(e.descriptor));
    }
    client_distance.Real(e.client_distance);
    face_count.Int(e.face_count);
    detail.Bytes(e.detail);
    prev_hash.Bytes(e.prev_hash.data(), e.prev_hash.size());
    hash.Bytes(stored.hash.data(), stored.hash.size());
    server_distance.Real(stored.server_distance);
    received_at.Int(stored.received_at_unix_ms);
    has_evidence.Bool(stored.has_evidence);
    evidence.BytesOrNull(stored.sealed_evidence);
    ++rows;
  }
};

// The head signatures of one group commit, column by column.
struct SignatureColumns {
  ArrayLiteral sid, head_seq, signature;

  void Add(int64_t session_sid, uint64_t seq, const Signature& bytes) {
    sid.Int(session_sid);
    head_seq.Int(ToInt64(seq));
    signature.Bytes(bytes.data(), bytes.size());
  }
};

// A session as the group commit tracks it while it walks the batches of one call.
struct SessionCursor {
  int64_t sid = 0;
  uint64_t last_seq = 0;
  SessionState state = SessionState::kOpen;
  Hash32 head_hash{};
  bool advanced = false;
};

// A row of select_session / list_sessions*.
SessionRecord ReadSession(const pqxx::row& row) {
  SessionRecord r;
  r.id = row[0].as<std::string>();
  r.learner_id = row[1].as<std::string>();
  r.assessment_id = row[2].as<std::string>();
  r.client_public_key = ReadBytes(row[3]);
  r.state = static_cast<SessionState>(row[4].as<int>());
  r.opened_at_unix_ms = row[5].as<int64_t>();
  r.closed_at_unix_ms = row[6].as<int64_t>();
  r.ended_at_ms = row[7].as<int64_t>();
  r.risk_score = row[8].as<double>();
  r.verdict = static_cast<Verdict>(row[9].as<int>());
  r.decision_note = row[10].as<std::string>();
  r.decided_by = row[11].as<std::string>();
  r.last_seq = static_cast<uint64_t>(row[12].as<int64_t>());
  r.head_hash = ReadHash(row[13]);
  r.consent_required = row[14].as<int>() != 0;
  return r;
}

// A row of list_events (with a stored event: column 1 not NULL).
StoredEvent ReadEvent(const pqxx::row& row, const std::string& session_id) {
  StoredEvent stored;
  Event& e = stored.event;
  e.session_id = session_id;
  e.seq = static_cast<uint64_t>(row[1].as<int64_t>());
  e.kind = static_cast<EventKind>(row[2].as<int>());
  e.phase = static_cast<EventPhase>(row[3].as<int>());
  e.at_ms = row[4].as<int64_t>();
  e.duration_ms = row[5].as<int64_t>();
  if (!row[6].is_null()) e.descriptor = DecodeFloats(pqxx::binarystring(row[6]));
  e.client_distance = row[7].as<float>();
  e.face_count = row[8].as<int32_t>();
  e.detail = pqxx::binarystring(row[9]).str();
  e.prev_hash = ReadHash(row[10]);
  stored.hash = ReadHash(row[11]);
  stored.server_distance = row[12].as<float>();
  stored.received_at_unix_ms = row[13].as<int64_t>();
  stored.has_evidence = row[14].as<bool>();
  return stored;
}

// A row of select_lti_attempt / list_lti_attempts / list_lti_attempt_changes (columns 0-19).
LtiAttempt ReadLtiAttempt(const pqxx::row& row) {
  LtiAttempt a;
  a.id = row[0].as<std::string>();
  a.learner_id = row[1].as<std::string>();
  a.assessment_id = row[2].as<std::string>();
  a.issuer = row[3].as<std::string>();
  a.client_id = row[4].as<std::string>();
  a.deployment_id = row[5].as<std::string>();
  a.message_type = row[6].as<std::string>();
  a.resource_link_id = row[7].as<std::string>();
  a.attempt_number = row[8].as<int32_t>();
  a.session_data = row[9].as<std::string>();
  a.start_assessment_url = row[10].as<std::string>();
  a.locale = row[11].as<std::string>();
  a.sealed_pass = ReadBytes(row[12]);
  a.pass_expires_at_unix_ms = row[13].as<int64_t>();
  a.created_at_unix_ms = row[14].as<int64_t>();
  const std::vector<uint8_t> hash = ReadBytes(row[15]);
  a.pass_hash.assign(hash.begin(), hash.end());
  a.services = row[16].as<std::string>();
  a.reported_state = row[17].as<int32_t>();
  a.reported_verdict = row[18].as<int32_t>();
  a.reported_seq = row[19].as<int64_t>();
  return a;
}

// A row of due_lti_outbox / list_lti_outbox.
LtiOutboxItem ReadLtiOutboxItem(const pqxx::row& row) {
  LtiOutboxItem item;
  item.attempt_id = row[0].as<std::string>();
  item.seq = row[1].as<int64_t>();
  item.kind = row[2].as<std::string>();
  item.payload = row[3].as<std::string>();
  item.created_at_unix_ms = row[4].as<int64_t>();
  item.due_at_unix_ms = row[5].as<int64_t>();
  item.tries = row[6].as<int32_t>();
  item.last_error = row[7].as<std::string>();
  item.done_at_unix_ms = row[8].as<int64_t>();
  item.outcome = row[9].as<std::string>();
  return item;
}

// A row of select_self_enrollment / list_*self_enrollments (columns 0-7; not the photo).
SelfEnrollment ReadSelfEnrollment(const pqxx::row& row) {
  SelfEnrollment e;
  e.learner_id = row[0].as<std::string>();
  e.assessment_id = row[1].as<std::string>();
  e.state = static_cast<SelfEnrollmentState>(row[2].as<int>());
  e.photos = row[3].as<int>();
  e.created_at_unix_ms = row[4].as<int64_t>();
  e.decided_by = row[5].as<std::string>();
  e.decided_at_unix_ms = row[6].as<int64_t>();
  e.note = row[7].as<std::string>();
  return e;
}

// The state of the learner's self-enrollment; nullopt when it has none.
std::optional<SelfEnrollmentState> SelfEnrollmentStateOf(pqxx::transaction_base& t,
                                                         const std::string& learner_id) {
  const pqxx::result r = t.exec_prepared("self_enrollment_state", learner_id);
  if (r.empty()) return std::nullopt;
  return static_cast<SelfEnrollmentState>(r[0][0].as<int>());
}

// `sealed` become the learner's templates, in order (the caller deleted the old ones).
void InsertTemplates(pqxx::transaction_base& t, const std::string& learner_id,
                     const std::vector<std::vector<uint8_t>>& sealed) {
  for (size_t i = 0; i < sealed.size(); ++i) {
    t.exec_prepared("insert_template", learner_id, static_cast<int>(i), Bytes(sealed[i]));
  }
}

absl::Status InsertToken(pqxx::transaction_base& t, const TokenRecord& token) {
  t.exec_prepared("insert_token", Bytes(token.token_hash), static_cast<int>(token.role),
                  token.label, token.session_id, token.created_at_unix_ms);
  return absl::OkStatus();
}

absl::Status InsertSession(pqxx::transaction_base& t, const SessionRecord& r) {
  t.exec_prepared("insert_session", r.id, r.learner_id, r.assessment_id, Bytes(r.client_public_key),
                  static_cast<int>(r.state), r.opened_at_unix_ms, r.closed_at_unix_ms,
                  r.ended_at_ms, Number(r.risk_score), static_cast<int>(r.verdict), r.decision_note,
                  r.decided_by, ToInt64(r.last_seq), Bytes(r.head_hash),
                  r.consent_required ? 1 : 0);
  return absl::OkStatus();
}

// OK when the learner exists (and locks its row until the transaction ends), NOT_FOUND if not.
absl::Status LockLearner(pqxx::transaction_base& t, const std::string& id) {
  if (t.exec_prepared("lock_learner", id).empty()) return storage_rules::NoSuch("learner", id);
  return absl::OkStatus();
}

// Locks the rows of every session the batches name; NOT_FOUND sessions are simply absent.
std::map<std::string, SessionCursor> LockSessions(pqxx::transaction_base& t,
                                                  const std::vector<AppendBatch>& batches) {
  std::set<std::string> names;
  for (const AppendBatch& batch : batches) names.insert(batch.session_id);
  ArrayLiteral ids;
  for (const std::string& id : names) ids.Text(id);
  std::map<std::string, SessionCursor> cursors;
  for (const pqxx::row& row : t.exec_prepared("lock_sessions", std::move(ids).Finish())) {
    SessionCursor& cursor = cursors[row[0].as<std::string>()];
    cursor.sid = row[1].as<int64_t>();
    cursor.last_seq = static_cast<uint64_t>(row[2].as<int64_t>());
    cursor.state = static_cast<SessionState>(row[3].as<int>());
  }
  return cursors;
}

// ---- Opening and migrating. ----

// Settings and statements of every new connection.
void SetUpConnection(pqxx::connection& c) {
  c.set_client_encoding("UTF8");
  {
    pqxx::nontransaction t(c);
    // An acknowledgement must survive a crash: never run with synchronous_commit off, whatever
    // the server's default (local, on, remote_write and remote_apply all flush locally).
    if (t.exec1("SELECT current_setting('synchronous_commit')")[0].as<std::string>() == "off") {
      t.exec0("SET synchronous_commit = on");
    }
  }
  for (const Statement& statement : kStatements) c.prepare(statement.name, statement.sql);
}

// Adds connect_timeout unless the connection string sets it.
std::string WithConnectTimeout(const std::string& conninfo, int seconds) {
  if (absl::StrContains(conninfo, "connect_timeout")) return conninfo;
  const bool uri =
      absl::StartsWith(conninfo, "postgresql://") || absl::StartsWith(conninfo, "postgres://");
  if (!uri) return absl::StrCat(conninfo, " connect_timeout=", seconds);
  return absl::StrCat(conninfo, absl::StrContains(conninfo, "?") ? "&" : "?",
                      "connect_timeout=", seconds);
}

// The versions recorded in schema_migrations, creating the table in an empty database.
absl::StatusOr<std::set<int64_t>> AppliedVersions(pqxx::work& t, const std::string& target) {
  if (t.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) {
    const int64_t tables =
        t.exec1("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")[0]
            .as<int64_t>();
    if (tables != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "postgresql: checking the schema version on ", target, ": the database has ", tables,
          " tables but no schema_migrations table, so it is not proctor's; refusing to change it "
          "(give proctor a database of its own)"));
    }
    t.exec0(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, "
        "applied_at bigint NOT NULL)");  // unix milliseconds
  }
  std::set<int64_t> versions;
  for (const pqxx::row& row : t.exec("SELECT version FROM schema_migrations")) {
    versions.insert(row[0].as<int64_t>());
  }
  return versions;
}

// Brings the schema up to date in one transaction: all missing migrations or none. The
// advisory lock makes replicas that start together take turns; the second finds nothing to do.
absl::Status Migrate(pqxx::work& t, const std::string& target) {
  const std::string encoding =
      t.exec1("SELECT current_setting('server_encoding')")[0].as<std::string>();
  if (encoding != "UTF8") {
    return absl::FailedPreconditionError(
        absl::StrCat("postgresql: checking ", target, ": the database encoding is ", encoding,
                     "; proctor needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE "
                     "template0)"));
  }
  t.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
  ASSIGN_OR_RETURN(std::set<int64_t> applied, AppliedVersions(t, target));
  const int latest = PostgresStorage::LatestSchemaVersion();
  if (!applied.empty() && *applied.rbegin() > latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "postgresql: ", target, " has schema version ", *applied.rbegin(),
        ", but this build of proctor knows versions up to ", latest,
        ": the database was written by a newer proctor-server; run that version (or a newer "
        "one), or restore a backup made for this version"));
  }
  for (const SqlMigration& migration : PostgresMigrations()) {
    if (applied.count(migration.version) != 0) continue;
    t.exec0(migration.sql);
    t.exec_params0("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                   migration.version, NowUnixMs());
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Connection handling. ----

absl::Status ValidatePostgresStorageOptions(const PostgresStorageOptions& options) {
  if (options.connections < 1 || options.connections > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("PostgresStorageOptions.connections must be 1-64, got ", options.connections));
  }
  if (options.connect_timeout_s < 1 || options.connect_timeout_s > 600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PostgresStorageOptions.connect_timeout_s must be 1-600, got ", options.connect_timeout_s));
  }
  return absl::OkStatus();
}

int PostgresStorage::LatestSchemaVersion() { return PostgresMigrations().back().version; }

PostgresStorage::PostgresStorage(std::unique_ptr<PostgresConnectionPool> pool)
    : pool_(std::move(pool)) {}

PostgresStorage::~PostgresStorage() = default;

template <typename Fn>
auto PostgresStorage::InTransaction(const char* context, Fn&& fn) {
  return pool_->Run(context, [&](pqxx::connection& c) {
    pqxx::work t(c);
    auto result = fn(t);
    if (result.ok()) {
      t.commit();
    } else {
      t.abort();
    }
    return result;
  });
}

template <typename Fn>
auto PostgresStorage::Read(const char* context, Fn&& fn) {
  return pool_->Run(context, [&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return fn(t);
  });
}

absl::StatusOr<std::unique_ptr<PostgresStorage>> PostgresStorage::Open(
    const std::string& conninfo, const PostgresStorageOptions& options) {
  RETURN_IF_ERROR(ValidatePostgresStorageOptions(options));
  if (conninfo.empty()) {
    return absl::InvalidArgumentError(
        "postgresql: empty connection string (want postgresql://USER@HOST:PORT/DATABASE)");
  }
  // A cluster's members (several hosts): the pool must reach the one that takes writes.
  const std::string writable = WithClusterDefaults(conninfo);
  std::string target = RedactPostgresConninfo(writable);
  auto pool = std::make_unique<PostgresConnectionPool>(
      WithConnectTimeout(writable, options.connect_timeout_s), target, options.connections,
      SetUpConnection);
  std::unique_ptr<PostgresStorage> storage(new PostgresStorage(std::move(pool)));
  RETURN_IF_ERROR(storage->InTransaction("migrating the schema",
                                         [&](pqxx::work& t) { return Migrate(t, target); }));
  return storage;
}

StorageWriter PostgresStorage::Writer() {
  const PostgresWriter writer = pool_->writer();
  return {"postgresql", writer.member, writer.failovers};
}

// ---- Assessments and learners. ----

absl::Status PostgresStorage::CreateAssessment(const Assessment& a) {
  const std::string context = absl::StrCat("creating assessment ", a.id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) {
    t.exec_prepared("insert_assessment", a.id, a.course, a.title, static_cast<int>(a.kind),
                    a.created_at_unix_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<Assessment> PostgresStorage::GetAssessment(const std::string& id) {
  return Read("reading an assessment", [&](pqxx::nontransaction& t) -> absl::StatusOr<Assessment> {
    const pqxx::result r = t.exec_prepared("select_assessment", id);
    if (r.empty()) return storage_rules::NoSuch("assessment", id);
    return Assessment{id, r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                      static_cast<AssessmentKind>(r[0][2].as<int>()), r[0][3].as<int64_t>()};
  });
}

absl::Status PostgresStorage::UpsertLearner(const std::string& id, const std::string& name) {
  const std::string context = absl::StrCat("storing learner ", id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) {
    t.exec_prepared("upsert_learner", id, name);
    return absl::OkStatus();
  });
}

absl::StatusOr<Learner> PostgresStorage::GetLearner(const std::string& id) {
  return Read("reading a learner", [&](pqxx::nontransaction& t) -> absl::StatusOr<Learner> {
    const pqxx::result r = t.exec_prepared("select_learner", id);
    if (r.empty()) return storage_rules::NoSuch("learner", id);
    return Learner{id, r[0][0].as<std::string>(), r[0][1].as<int>()};
  });
}

absl::Status PostgresStorage::ReplaceTemplates(const std::string& learner_id,
                                               const std::vector<std::vector<uint8_t>>& sealed) {
  const std::string context = absl::StrCat("replacing the templates of learner ", learner_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    RETURN_IF_ERROR(LockLearner(t, learner_id));
    t.exec_prepared("delete_templates", learner_id);
    InsertTemplates(t, learner_id, sealed);
    // An administrator's enrollment supersedes a self-enrollment, its photo with it.
    t.exec_prepared("delete_self_enrollment", learner_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> PostgresStorage::GetTemplates(
    const std::string& learner_id) {
  using Templates = std::vector<std::vector<uint8_t>>;
  return Read("reading templates", [&](pqxx::nontransaction& t) -> absl::StatusOr<Templates> {
    const pqxx::result r = t.exec_prepared("select_templates", learner_id);
    if (r.empty()) return storage_rules::NoSuch("learner", learner_id);
    Templates out;
    for (const pqxx::row& row : r) {
      if (!row[0].is_null()) out.push_back(ReadBytes(row[0]));
    }
    return out;
  });
}

absl::StatusOr<PurgeCounts> PostgresStorage::PurgeBiometrics(const std::string& learner_id) {
  const std::string context = absl::StrCat("purging the biometrics of learner ", learner_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::StatusOr<PurgeCounts> {
    RETURN_IF_ERROR(LockLearner(t, learner_id));
    PurgeCounts counts;
    counts.templates_removed =
        static_cast<int>(t.exec_prepared("delete_templates", learner_id).affected_rows());
    t.exec_prepared("delete_self_enrollment", learner_id);
    counts.evidence_removed =
        static_cast<int>(t.exec_prepared("purge_evidence", learner_id).affected_rows());
    return counts;
  });
}

absl::StatusOr<int> PostgresStorage::PurgeSessionEvidence(const std::string& session_id) {
  const std::string context = absl::StrCat("purging the evidence of session ", session_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::StatusOr<int> {
    if (t.exec_prepared("session_exists", session_id).empty()) {
      return storage_rules::NoSuch("session", session_id);
    }
    return static_cast<int>(
        t.exec_prepared("purge_session_evidence", session_id).affected_rows());
  });
}

// ---- Self-enrollment. ----

absl::Status PostgresStorage::PutSelfEnrollment(
    const SelfEnrollment& e, const std::vector<std::vector<uint8_t>>& sealed_templates) {
  const std::string context = absl::StrCat("storing the self-enrollment of learner ", e.learner_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    // With the learner's row locked, no other replica enrolls, decides or purges them meanwhile.
    RETURN_IF_ERROR(LockLearner(t, e.learner_id));
    const int64_t template_count =
        t.exec_prepared1("count_templates", e.learner_id)[0].as<int64_t>();
    RETURN_IF_ERROR(
        storage_rules::CheckSelfEnrollable(e.learner_id, template_count,
                                           SelfEnrollmentStateOf(t, e.learner_id)));
    InsertTemplates(t, e.learner_id, sealed_templates);
    t.exec_prepared("insert_self_enrollment", e.learner_id, e.assessment_id, e.photos,
                    e.created_at_unix_ms, Bytes(e.sealed_photo));
    return absl::OkStatus();
  });
}

absl::StatusOr<SelfEnrollment> PostgresStorage::GetSelfEnrollment(const std::string& learner_id) {
  return Read("reading a self-enrollment",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<SelfEnrollment> {
                const pqxx::result r = t.exec_prepared("select_self_enrollment", learner_id);
                if (r.empty()) {
                  return storage_rules::NoSuch("self-enrollment of learner", learner_id);
                }
                SelfEnrollment e = ReadSelfEnrollment(r[0]);
                e.sealed_photo = ReadBytes(r[0][8]);
                return e;
              });
}

absl::StatusOr<std::vector<SelfEnrollment>> PostgresStorage::ListSelfEnrollments(
    bool pending_only) {
  using Enrollments = std::vector<SelfEnrollment>;
  return Read(
      "listing self-enrollments", [&](pqxx::nontransaction& t) -> absl::StatusOr<Enrollments> {
        const pqxx::result r = t.exec_prepared(pending_only ? "list_pending_self_enrollments"
                                                            : "list_self_enrollments");
        Enrollments out;
        out.reserve(r.size());
        for (const pqxx::row& row : r) out.push_back(ReadSelfEnrollment(row));
        return out;
      });
}

absl::Status PostgresStorage::DecideSelfEnrollment(const std::string& learner_id,
                                                   SelfEnrollmentState decision,
                                                   const std::string& decided_by,
                                                   int64_t decided_at_unix_ms,
                                                   const std::string& note) {
  RETURN_IF_ERROR(storage_rules::CheckDecision(decision));
  const std::string context = absl::StrCat("deciding the self-enrollment of learner ", learner_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    // The learner's row first, as every writer of templates locks it: of two examiners deciding
    // at once, the second reads the first one's decision (read committed: a fresh snapshot per
    // statement, taken after the lock was granted).
    if (t.exec_prepared("lock_learner", learner_id).empty()) {
      return storage_rules::NoSuch("self-enrollment of learner", learner_id);
    }
    const std::optional<SelfEnrollmentState> state = SelfEnrollmentStateOf(t, learner_id);
    if (!state) return storage_rules::NoSuch("self-enrollment of learner", learner_id);
    if (*state != SelfEnrollmentState::kPending) {
      return storage_rules::AlreadyDecided(learner_id, *state);
    }
    t.exec_prepared("decide_self_enrollment", learner_id, static_cast<int>(decision), decided_by,
                    decided_at_unix_ms, note);
    if (decision == SelfEnrollmentState::kRejected) {
      t.exec_prepared("delete_templates", learner_id);
    }
    return absl::OkStatus();
  });
}

// ---- Tokens and passes. ----

absl::Status PostgresStorage::PutToken(const TokenRecord& token) {
  const std::string context = absl::StrCat("storing a token for ", token.label);
  return InTransaction(context.c_str(), [&](pqxx::work& t) { return InsertToken(t, token); });
}

absl::StatusOr<int> PostgresStorage::RevokeTokens(const std::string& label, Role role) {
  const std::string context = absl::StrCat("revoking the tokens labelled ", label);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::StatusOr<int> {
    return static_cast<int>(
        t.exec_prepared("delete_tokens", label, static_cast<int>(role)).affected_rows());
  });
}

absl::StatusOr<TokenRecord> PostgresStorage::FindToken(const std::string& token_hash) {
  return Read("looking up a token", [&](pqxx::nontransaction& t) -> absl::StatusOr<TokenRecord> {
    const pqxx::result r = t.exec_prepared("select_token", Bytes(token_hash));
    if (r.empty()) return absl::NotFoundError("unknown token");
    return TokenRecord{token_hash, static_cast<Role>(r[0][0].as<int>()), r[0][1].as<std::string>(),
                       r[0][2].as<std::string>(), r[0][3].as<int64_t>()};
  });
}

absl::Status PostgresStorage::PutPass(const PassRecord& pass) {
  const std::string context = absl::StrCat("storing a pass for learner ", pass.learner_id,
                                           " and assessment ", pass.assessment_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) {
    t.exec_prepared("insert_pass", Bytes(pass.pass_hash), pass.learner_id, pass.assessment_id,
                    pass.expires_at_unix_ms, pass.used);
    return absl::OkStatus();
  });
}

absl::StatusOr<PassRecord> PostgresStorage::FindPass(const std::string& pass_hash) {
  return Read("looking up an exam pass",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<PassRecord> {
                const pqxx::result r = t.exec_prepared("select_pass", Bytes(pass_hash));
                if (r.empty()) return storage_rules::UnknownPass();
                return PassRecord{pass_hash, r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                                  r[0][2].as<int64_t>(), r[0][3].as<bool>()};
              });
}

absl::StatusOr<SessionRecord> PostgresStorage::RedeemPass(const std::string& pass_hash,
                                                          int64_t now_unix_ms,
                                                          SessionRecord session,
                                                          const TokenRecord& session_token) {
  const std::string context = absl::StrCat("redeeming a pass for session ", session.id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::StatusOr<SessionRecord> {
    const pqxx::result pass = t.exec_prepared("lock_pass", Bytes(pass_hash));
    if (pass.empty()) return storage_rules::UnknownPass();
    RETURN_IF_ERROR(storage_rules::CheckPassUsable(pass[0][3].as<bool>(), pass[0][2].as<int64_t>(),
                                                   now_unix_ms));
    SessionRecord created = session;
    storage_rules::PrepareNewSession(pass[0][0].as<std::string>(), pass[0][1].as<std::string>(),
                                     created);
    t.exec_prepared("mark_pass_used", Bytes(pass_hash), created.id);
    RETURN_IF_ERROR(InsertSession(t, created));
    RETURN_IF_ERROR(InsertToken(t, session_token));
    return created;
  });
}

// ---- Sessions. ----

absl::StatusOr<SessionRecord> PostgresStorage::GetSession(const std::string& id) {
  return Read("reading a session", [&](pqxx::nontransaction& t) -> absl::StatusOr<SessionRecord> {
    const pqxx::result r = t.exec_prepared("select_session", id);
    if (r.empty()) return storage_rules::NoSuch("session", id);
    return ReadSession(r[0]);
  });
}

absl::StatusOr<std::vector<SessionRecord>> PostgresStorage::ListSessions(bool pending_review_only) {
  using Sessions = std::vector<SessionRecord>;
  return Read("listing sessions", [&](pqxx::nontransaction& t) -> absl::StatusOr<Sessions> {
    const pqxx::result r = pending_review_only
                               ? t.exec_prepared("list_sessions_with_verdict",
                                                 static_cast<int>(Verdict::kPendingReview))
                               : t.exec_prepared("list_sessions");
    Sessions out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) out.push_back(ReadSession(row));
    return out;
  });
}

absl::Status PostgresStorage::UpdateSessionOutcome(const SessionRecord& r) {
  const std::string context = absl::StrCat("updating the outcome of session ", r.id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    const pqxx::result updated = t.exec_prepared(
        "update_outcome", r.id, static_cast<int>(r.state), r.ended_at_ms, r.closed_at_unix_ms,
        Number(r.risk_score), static_cast<int>(r.verdict), r.decision_note, r.decided_by);
    if (updated.affected_rows() == 0) return storage_rules::NoSuch("session", r.id);
    return absl::OkStatus();
  });
}

// ---- Events. ----

absl::StatusOr<std::vector<absl::Status>> PostgresStorage::AppendBatches(
    const std::vector<AppendBatch>& batches) {
  using Statuses = std::vector<absl::Status>;
  if (batches.empty()) return Statuses{};
  return InTransaction("appending events", [&](pqxx::work& t) -> absl::StatusOr<Statuses> {
    std::map<std::string, SessionCursor> cursors = LockSessions(t, batches);
    Statuses statuses(batches.size());
    EventColumns columns;
    SignatureColumns signatures;
    // Walk the batches in order, as if each were appended on its own: a later batch of the same
    // session follows an earlier one of this call.
    for (size_t i = 0; i < batches.size(); ++i) {
      const AppendBatch& batch = batches[i];
      auto it = cursors.find(batch.session_id);
      if (it == cursors.end()) {
        statuses[i] = storage_rules::NoSuch("session", batch.session_id);
        continue;
      }
      SessionCursor& cursor = it->second;
      statuses[i] = storage_rules::CheckBatch(batch, cursor.last_seq, cursor.state);
      if (!statuses[i].ok() || batch.events.empty()) continue;
      for (const StoredEvent& stored : batch.events) columns.Add(cursor.sid, stored);
      if (batch.head_signature) {
        signatures.Add(cursor.sid, batch.events.back().event.seq, *batch.head_signature);
      }
      cursor.last_seq = batch.events.back().event.seq;
      cursor.head_hash = batch.events.back().hash;
      cursor.advanced = true;
    }
    if (columns.rows == 0) return statuses;
    ArrayLiteral sids, last_seqs, heads;
    for (const auto& [id, cursor] : cursors) {
      if (!cursor.advanced) continue;
      sids.Int(cursor.sid);
      last_seqs.Int(ToInt64(cursor.last_seq));
      heads.Bytes(cursor.head_hash.data(), cursor.head_hash.size());
    }
    EventColumns& c = columns;
    t.exec_prepared(
        "append_events", std::move(c.sid).Finish(), std::move(c.seq).Finish(),
        std::move(c.kind).Finish(), std::move(c.phase).Finish(), std::move(c.at_ms).Finish(),
        std::move(c.duration_ms).Finish(), std::move(c.descriptor).Finish(),
        std::move(c.client_distance).Finish(), std::move(c.face_count).Finish(),
        std::move(c.detail).Finish(), std::move(c.prev_hash).Finish(), std::move(c.hash).Finish(),
        std::move(c.server_distance).Finish(), std::move(c.received_at).Finish(),
        std::move(c.has_evidence).Finish(), std::move(c.evidence).Finish(),
        std::move(sids).Finish(), std::move(last_seqs).Finish(), std::move(heads).Finish(),
        std::move(signatures.sid).Finish(), std::move(signatures.head_seq).Finish(),
        std::move(signatures.signature).Finish());
    return statuses;
  });
}

absl::StatusOr<StoredEvent> PostgresStorage::GetEvent(const std::string& session_id,
                                                     uint64_t seq) {
  return Read("reading an event", [&](pqxx::nontransaction& t) -> absl::StatusOr<StoredEvent> {
    const pqxx::result r = t.exec_prepared("get_event", session_id, static_cast<int64_t>(seq));
    if (r.empty()) return storage_rules::NoSuch("session", session_id);
    if (r[0][1].is_null()) {
      return storage_rules::NoEvent(session_id, seq);
    }
    return ReadEvent(r[0], session_id);
  });
}

absl::StatusOr<std::vector<StoredEvent>> PostgresStorage::ListEvents(
    const std::string& session_id) {
  using Events = std::vector<StoredEvent>;
  return Read("listing events", [&](pqxx::nontransaction& t) -> absl::StatusOr<Events> {
    const pqxx::result r = t.exec_prepared("list_events", session_id);
    if (r.empty()) return storage_rules::NoSuch("session", session_id);
    Events out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      if (!row[1].is_null()) out.push_back(ReadEvent(row, session_id));
    }
    return out;
  });
}

absl::StatusOr<std::vector<BatchSignature>> PostgresStorage::ListBatchSignatures(
    const std::string& session_id) {
  using Signatures = std::vector<BatchSignature>;
  return Read("listing batch signatures",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<Signatures> {
                const pqxx::result r = t.exec_prepared("list_signatures", session_id);
                if (r.empty()) return storage_rules::NoSuch("session", session_id);
                Signatures out;
                for (const pqxx::row& row : r) {
                  if (row[1].is_null()) continue;
                  BatchSignature& signature = out.emplace_back();
                  signature.head_seq = static_cast<uint64_t>(row[1].as<int64_t>());
                  // The schema's CHECK constraint keeps every stored signature 64 bytes.
                  pqxx::binarystring bytes(row[2]);
                  std::memcpy(signature.signature.data(), bytes.data(),
                              std::min(bytes.size(), signature.signature.size()));
                }
                return out;
              });
}

absl::StatusOr<std::vector<Hash32>> PostgresStorage::EventHashes(const std::string& session_id,
                                                                 uint64_t from_seq,
                                                                 uint64_t to_seq) {
  using Hashes = std::vector<Hash32>;
  return Read("reading event hashes", [&](pqxx::nontransaction& t) -> absl::StatusOr<Hashes> {
    const pqxx::result r =
        t.exec_prepared("event_hashes", session_id, ToInt64(from_seq), ToInt64(to_seq));
    if (r.empty()) return storage_rules::NoSuch("session", session_id);
    Hashes out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      if (!row[1].is_null()) out.push_back(ReadHash(row[1]));
    }
    return out;
  });
}

absl::StatusOr<std::vector<uint8_t>> PostgresStorage::GetEvidence(const std::string& session_id,
                                                                  uint64_t seq) {
  using Evidence = std::vector<uint8_t>;
  return Read("reading evidence", [&](pqxx::nontransaction& t) -> absl::StatusOr<Evidence> {
    const pqxx::result r = t.exec_prepared("select_evidence", session_id, ToInt64(seq));
    if (r.empty()) return storage_rules::NoSuch("session", session_id);
    if (r[0][1].is_null()) return storage_rules::NoEvidence(session_id, seq);
    return ReadBytes(r[0][1]);
  });
}

// ---- Findings, results, audit. ----

absl::Status PostgresStorage::AddFinding(const Finding& f) {
  const std::string context = absl::StrCat("adding a finding to session ", f.session_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    const pqxx::result added =
        t.exec_prepared("insert_finding", f.session_id, static_cast<int>(f.kind), f.at_ms,
                        ToInt64(f.event_seq), Number(f.distance), f.detail);
    if (added.affected_rows() == 0) return storage_rules::NoSuch("session", f.session_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Finding>> PostgresStorage::ListFindings(const std::string& session_id) {
  using Findings = std::vector<Finding>;
  return Read("listing findings", [&](pqxx::nontransaction& t) -> absl::StatusOr<Findings> {
    const pqxx::result r = t.exec_prepared("list_findings", session_id);
    if (r.empty()) return storage_rules::NoSuch("session", session_id);
    Findings out;
    for (const pqxx::row& row : r) {
      if (row[1].is_null()) continue;
      out.push_back(Finding{session_id, static_cast<EventKind>(row[1].as<int>()),
                            row[2].as<int64_t>(), static_cast<uint64_t>(row[3].as<int64_t>()),
                            row[4].as<float>(), row[5].as<std::string>()});
    }
    return out;
  });
}

absl::Status PostgresStorage::PutAccommodation(const Accommodation& a) {
  const std::string context = absl::StrCat("storing the accommodation of learner ", a.learner_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    t.exec_prepared("upsert_accommodation", a.learner_id, a.assessment_id, a.extra_absence_ms,
                    a.looking_away_ignored, a.identity_ends_only, a.extra_time_ms, a.reason,
                    a.granted_by, a.granted_at_unix_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<Accommodation> PostgresStorage::GetAccommodation(const std::string& learner_id,
                                                                const std::string& assessment_id) {
  return Read("reading an accommodation",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<Accommodation> {
                const pqxx::result r =
                    t.exec_prepared("select_accommodation", learner_id, assessment_id);
                if (r.empty()) {
                  return absl::NotFoundError(absl::StrCat("no accommodation for learner ",
                                                          learner_id, " in assessment ",
                                                          assessment_id));
                }
                return Accommodation{learner_id,
                                     assessment_id,
                                     r[0][0].as<int64_t>(),
                                     r[0][1].as<bool>(),
                                     r[0][2].as<bool>(),
                                     r[0][3].as<int64_t>(),
                                     r[0][4].as<std::string>(),
                                     r[0][5].as<std::string>(),
                                     r[0][6].as<int64_t>()};
              });
}

absl::Status PostgresStorage::PutConsentNotice(const ConsentNotice& n) {
  const std::string context = absl::StrCat("storing consent notice version ", n.version,
                                           " of assessment ", n.assessment_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    if (t.exec_prepared("assessment_exists", n.assessment_id).empty()) {
      return storage_rules::NoSuch("assessment", n.assessment_id);
    }
    t.exec_prepared("insert_consent_notice", n.assessment_id, n.version, n.text, n.sha256_hex,
                    n.created_by, n.created_at_unix_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<ConsentNotice> PostgresStorage::GetConsentNotice(const std::string& assessment_id,
                                                                int32_t version) {
  return Read(
      "reading a consent notice", [&](pqxx::nontransaction& t) -> absl::StatusOr<ConsentNotice> {
        const pqxx::result r = t.exec_prepared("select_consent_notice", assessment_id, version);
        if (r.empty()) return storage_rules::NoConsentNotice(assessment_id, version);
        return ConsentNotice{assessment_id,
                             r[0][0].as<int32_t>(),
                             r[0][1].as<std::string>(),
                             r[0][2].as<std::string>(),
                             r[0][3].as<std::string>(),
                             r[0][4].as<int64_t>()};
      });
}

// ---- LTI 1.3. ----

absl::Status PostgresStorage::PutLtiPlatform(const LtiPlatform& p) {
  const std::string context = absl::StrCat("registering LTI platform ", p.issuer);
  absl::Status done = InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    t.exec_prepared("insert_lti_platform", p.issuer, p.client_id,
                    storage_rules::JoinDeployments(p.deployment_ids), p.auth_url, p.token_url,
                    p.jwks_url, p.created_by, p.created_at_unix_ms);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(done)) return storage_rules::LtiPlatformExists(p.issuer, p.client_id);
  return done;
}

absl::StatusOr<std::vector<LtiPlatform>> PostgresStorage::ListLtiPlatforms() {
  return Read("listing LTI platforms",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<std::vector<LtiPlatform>> {
                std::vector<LtiPlatform> out;
                for (const auto& row : t.exec_prepared("list_lti_platforms")) {
                  out.push_back(LtiPlatform{
                      row[0].as<std::string>(), row[1].as<std::string>(),
                      storage_rules::SplitDeployments(row[2].as<std::string>()),
                      row[3].as<std::string>(), row[4].as<std::string>(),
                      row[5].as<std::string>(), row[6].as<std::string>(), row[7].as<int64_t>()});
                }
                return out;
              });
}

absl::Status PostgresStorage::RemoveLtiPlatform(const std::string& issuer,
                                                const std::string& client_id) {
  return InTransaction("removing an LTI platform", [&](pqxx::work& t) -> absl::Status {
    if (t.exec_prepared("delete_lti_platform", issuer, client_id).affected_rows() == 0) {
      return storage_rules::NoLtiPlatform(issuer, client_id);
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresStorage::PutLtiToolKey(const LtiToolKey& key) {
  absl::Status done = InTransaction("storing an LTI tool key", [&](pqxx::work& t) -> absl::Status {
    t.exec_prepared("insert_lti_tool_key", key.kid, Bytes(key.sealed_private), key.public_jwk,
                    key.created_at_unix_ms);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(done)) return storage_rules::LtiKeyExists(key.kid);
  return done;
}

absl::StatusOr<std::vector<LtiToolKey>> PostgresStorage::ListLtiToolKeys() {
  return Read("listing LTI tool keys",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<std::vector<LtiToolKey>> {
                std::vector<LtiToolKey> out;
                for (const auto& row : t.exec_prepared("list_lti_tool_keys")) {
                  out.push_back(LtiToolKey{row[0].as<std::string>(), ReadBytes(row[1]),
                                           row[2].as<std::string>(), row[3].as<int64_t>()});
                }
                return out;
              });
}

absl::Status PostgresStorage::DeleteLtiToolKey(const std::string& kid) {
  return InTransaction("deleting an LTI tool key", [&](pqxx::work& t) -> absl::Status {
    if (t.exec_prepared("delete_lti_tool_key", kid).affected_rows() == 0) {
      return storage_rules::NoLtiKey(kid);
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresStorage::PutLtiLogin(const LtiLogin& login, int64_t expired_before_unix_ms) {
  return InTransaction("storing an LTI login", [&](pqxx::work& t) -> absl::Status {
    t.exec_prepared("delete_expired_lti_logins", expired_before_unix_ms);
    t.exec_prepared("insert_lti_login", login.state, login.nonce, login.issuer, login.client_id,
                    login.created_at_unix_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<LtiLogin> PostgresStorage::TakeLtiLogin(const std::string& state) {
  return InTransaction("taking an LTI login", [&](pqxx::work& t) -> absl::StatusOr<LtiLogin> {
    const pqxx::result r = t.exec_prepared("take_lti_login", state);
    if (r.empty()) return storage_rules::NoLtiLogin();
    return LtiLogin{state, r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                    r[0][2].as<std::string>(), r[0][3].as<int64_t>()};
  });
}

absl::Status PostgresStorage::PutLtiAttempt(const LtiAttempt& a) {
  absl::Status done = InTransaction("storing an LTI attempt", [&](pqxx::work& t) -> absl::Status {
    t.exec_prepared("insert_lti_attempt", a.id, a.learner_id, a.assessment_id, a.issuer,
                    a.client_id, a.deployment_id, a.message_type, a.resource_link_id,
                    a.attempt_number, a.session_data, a.start_assessment_url, a.locale,
                    Bytes(a.sealed_pass), a.pass_expires_at_unix_ms, a.created_at_unix_ms,
                    Bytes(a.pass_hash), a.services, a.reported_state, a.reported_verdict,
                    a.reported_seq);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(done)) return storage_rules::LtiAttemptExists();
  return done;
}

absl::StatusOr<LtiAttempt> PostgresStorage::GetLtiAttempt(const std::string& id) {
  return Read("reading an LTI attempt", [&](pqxx::nontransaction& t) -> absl::StatusOr<LtiAttempt> {
    const pqxx::result r = t.exec_prepared("select_lti_attempt", id);
    if (r.empty()) return storage_rules::NoLtiAttempt();
    return ReadLtiAttempt(r[0]);
  });
}

absl::StatusOr<std::string> PostgresStorage::SessionOfPass(const std::string& pass_hash) {
  return Read("finding the session of a pass",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<std::string> {
                const pqxx::result r = t.exec_prepared("session_of_pass", Bytes(pass_hash));
                if (r.empty()) return storage_rules::UnknownPass();
                return r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
              });
}

absl::StatusOr<std::vector<LtiAttempt>> PostgresStorage::ListLtiAttempts(
    const std::string& learner_id, const std::string& assessment_id) {
  using Attempts = std::vector<LtiAttempt>;
  return Read("listing LTI attempts", [&](pqxx::nontransaction& t) -> absl::StatusOr<Attempts> {
    Attempts out;
    for (const pqxx::row& row : t.exec_prepared("list_lti_attempts", learner_id, assessment_id)) {
      out.push_back(ReadLtiAttempt(row));
    }
    return out;
  });
}

absl::StatusOr<std::vector<LtiAttemptChange>> PostgresStorage::ListLtiAttemptChanges(
    int limit, int64_t created_after_unix_ms) {
  using Changes = std::vector<LtiAttemptChange>;
  return Read("listing changed LTI attempts",
              [&](pqxx::nontransaction& t) -> absl::StatusOr<Changes> {
                Changes out;
                // PostgreSQL refuses a negative LIMIT.
                for (const pqxx::row& row :
                     t.exec_prepared("list_lti_attempt_changes", std::max(limit, 0),
                                     created_after_unix_ms)) {
                  out.push_back(LtiAttemptChange{ReadLtiAttempt(row), row[20].as<std::string>(),
                                                 static_cast<SessionState>(row[21].as<int>()),
                                                 static_cast<Verdict>(row[22].as<int>())});
                }
                return out;
              });
}

absl::Status PostgresStorage::QueueLtiChange(const LtiAttemptChange& change,
                                             std::vector<LtiOutboxItem> items) {
  const LtiAttempt& from = change.attempt;
  return InTransaction("queuing an LTI change", [&](pqxx::work& t) -> absl::Status {
    const pqxx::result reported =
        t.exec_prepared("report_lti_change", from.id, static_cast<int>(change.state),
                        static_cast<int>(change.verdict), static_cast<int64_t>(items.size()),
                        from.reported_seq, from.reported_state, from.reported_verdict);
    if (reported.affected_rows() == 0) {
      if (t.exec_prepared("lti_attempt_exists", from.id).empty()) {
        return storage_rules::NoLtiAttempt();
      }
      return storage_rules::StaleLtiChange(from.id);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const LtiOutboxItem& item = items[i];
      t.exec_prepared("insert_lti_outbox_item", from.id,
                      from.reported_seq + 1 + static_cast<int64_t>(i), item.kind, item.payload,
                      item.created_at_unix_ms, item.due_at_unix_ms, item.tries, item.last_error,
                      item.done_at_unix_ms, item.outcome);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<LtiOutboxItem>> PostgresStorage::ClaimLtiOutbox(
    int64_t now_unix_ms, int64_t lease_until_unix_ms, int limit) {
  using Items = std::vector<LtiOutboxItem>;
  return InTransaction("claiming LTI outbox items", [&](pqxx::work& t) -> absl::StatusOr<Items> {
    Items due;
    for (const pqxx::row& row :
         t.exec_prepared("due_lti_outbox", now_unix_ms, std::max(limit, 0))) {
      due.push_back(ReadLtiOutboxItem(row));
    }
    // Claimed in key order, whatever the due order: two replicas claiming at once lock the rows
    // they share in the same order and never deadlock.
    std::vector<size_t> order(due.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::tie(due[a].attempt_id, due[a].seq) < std::tie(due[b].attempt_id, due[b].seq);
    });
    std::vector<bool> taken(due.size(), false);
    for (size_t i : order) {
      LtiOutboxItem& item = due[i];
      const pqxx::result r = t.exec_prepared("claim_lti_outbox_item", item.attempt_id, item.seq,
                                             lease_until_unix_ms, item.due_at_unix_ms);
      if (r.empty()) continue;  // claimed or updated meanwhile
      item.tries = r[0][0].as<int32_t>();
      item.due_at_unix_ms = lease_until_unix_ms;
      taken[i] = true;
    }
    Items claimed;
    for (size_t i = 0; i < due.size(); ++i) {
      if (taken[i]) claimed.push_back(std::move(due[i]));
    }
    return claimed;
  });
}

absl::Status PostgresStorage::UpdateLtiOutboxItem(const LtiOutboxItem& item) {
  return InTransaction("updating an LTI outbox item", [&](pqxx::work& t) -> absl::Status {
    const pqxx::result r =
        t.exec_prepared("update_lti_outbox_item", item.attempt_id, item.seq, item.due_at_unix_ms,
                        item.last_error, item.done_at_unix_ms, item.outcome);
    if (r.affected_rows() == 0) return storage_rules::NoLtiOutboxItem(item.attempt_id, item.seq);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<LtiOutboxItem>> PostgresStorage::ListLtiOutbox(
    const std::string& attempt_id) {
  using Items = std::vector<LtiOutboxItem>;
  return Read("listing the LTI outbox", [&](pqxx::nontransaction& t) -> absl::StatusOr<Items> {
    Items out;
    for (const pqxx::row& row : t.exec_prepared("list_lti_outbox", attempt_id)) {
      out.push_back(ReadLtiOutboxItem(row));
    }
    return out;
  });
}

absl::Status PostgresStorage::PutResult(const ResultRecord& r) {
  const std::string context = absl::StrCat("storing the result of session ", r.session_id);
  return InTransaction(context.c_str(), [&](pqxx::work& t) -> absl::Status {
    const pqxx::result stored =
        t.exec_prepared("upsert_result", r.session_id, Number(r.score), Number(r.max_score),
                        r.submitted_at_unix_ms, r.submitted_by);
    if (stored.affected_rows() == 0) return storage_rules::NoSuch("session", r.session_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ResultRecord>> PostgresStorage::ListResults(
    const std::string& assessment_id) {
  using Results = std::vector<ResultRecord>;
  return Read("listing results", [&](pqxx::nontransaction& t) -> absl::StatusOr<Results> {
    Results out;
    for (const pqxx::row& row : t.exec_prepared("list_results", assessment_id)) {
      out.push_back(ResultRecord{row[0].as<std::string>(), row[1].as<std::string>(),
                                 row[2].as<std::string>(), row[3].as<double>(), row[4].as<double>(),
                                 row[5].as<int64_t>(), row[6].as<std::string>()});
    }
    return out;
  });
}

absl::Status PostgresStorage::AppendAudit(const AuditEntry& entry) {
  const std::string context = absl::StrCat("recording audit entry ", entry.action);
  return InTransaction(context.c_str(), [&](pqxx::work& t) {
    t.exec_prepared("insert_audit", entry.at_unix_ms, entry.actor, entry.action, entry.subject,
                    entry.detail);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AuditEntry>> PostgresStorage::ListAudit() {
  using Entries = std::vector<AuditEntry>;
  return Read("listing the audit log", [&](pqxx::nontransaction& t) -> absl::StatusOr<Entries> {
    Entries out;
    for (const pqxx::row& row : t.exec_prepared("list_audit")) {
      out.push_back(AuditEntry{row[0].as<int64_t>(), row[1].as<std::string>(),
                               row[2].as<std::string>(), row[3].as<std::string>(),
                               row[4].as<std::string>()});
    }
    return out;
  });
}

}  // namespace proctor::server
