-- Schema version 1: everything the server keeps (see server/core/storage.h).
-- Applied by SqliteStorage::Open inside one transaction, which also records the version in
-- schema_migrations. Released migrations are never edited: a change is a new numbered file.
--
-- Conventions: times are unix milliseconds (INTEGER) unless named *_ms (media time); enums are
-- the integer values of the domain enums; hashes, keys and sealed bytes are BLOBs; token and
-- pass hashes are the hex strings the core computes, stored as their bytes.

CREATE TABLE assessments (
  id                 TEXT    NOT NULL PRIMARY KEY,
  course             TEXT    NOT NULL,
  title              TEXT    NOT NULL,
  kind               INTEGER NOT NULL,  -- AssessmentKind
  created_at_unix_ms INTEGER NOT NULL
);

CREATE TABLE learners (
  id   TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL
);

-- Sealed (encrypted) face templates, in the order they were given.
CREATE TABLE templates (
  learner_id TEXT    NOT NULL REFERENCES learners (id),
  position   INTEGER NOT NULL,
  sealed     BLOB    NOT NULL,
  PRIMARY KEY (learner_id, position)
) WITHOUT ROWID;

CREATE TABLE sessions (
  -- Narrow key the events refer to: their unique index stays small and inserts stay fast.
  sid                INTEGER PRIMARY KEY,
  id                 TEXT    NOT NULL UNIQUE,
  learner_id         TEXT    NOT NULL REFERENCES learners (id),
  assessment_id      TEXT    NOT NULL REFERENCES assessments (id),
  client_public_key  BLOB    NOT NULL,
  state              INTEGER NOT NULL,  -- SessionState
  opened_at_unix_ms  INTEGER NOT NULL,
  closed_at_unix_ms  INTEGER NOT NULL,
  ended_at_ms        INTEGER NOT NULL,
  risk_score         REAL    NOT NULL,
  verdict            INTEGER NOT NULL,  -- Verdict
  decision_note      TEXT    NOT NULL,
  decided_by         TEXT    NOT NULL,
  last_seq           INTEGER NOT NULL,  -- events 1..last_seq are all stored
  head_hash          BLOB    NOT NULL CHECK (length(head_hash) = 32)
);
CREATE INDEX sessions_by_learner ON sessions (learner_id);
CREATE INDEX sessions_by_risk ON sessions (risk_score DESC, opened_at_unix_ms DESC);

-- Bearer tokens. session_id is set for learner tokens only (NULL otherwise).
CREATE TABLE tokens (
  token_hash         BLOB    NOT NULL PRIMARY KEY,
  role               INTEGER NOT NULL,  -- Role
  label              TEXT    NOT NULL,
  session_id         TEXT    REFERENCES sessions (id),
  created_at_unix_ms INTEGER NOT NULL
);

-- One-time exam passes.
CREATE TABLE passes (
  pass_hash          BLOB    NOT NULL PRIMARY KEY,
  learner_id         TEXT    NOT NULL REFERENCES learners (id),
  assessment_id      TEXT    NOT NULL REFERENCES assessments (id),
  expires_at_unix_ms INTEGER NOT NULL,
  used               INTEGER NOT NULL  -- 0 | 1
);

-- The events of every session. A rowid table with a UNIQUE (session, seq) index: appends land at
-- the end of the table b-tree, which measured ~4x faster than a WITHOUT ROWID table keyed by
-- (session, seq) (see DESIGN.md, "Measured on this machine").
CREATE TABLE events (
  session_sid         INTEGER NOT NULL REFERENCES sessions (sid),
  seq                 INTEGER NOT NULL,
  kind                INTEGER NOT NULL,  -- EventKind
  phase               INTEGER NOT NULL,  -- EventPhase
  at_ms               INTEGER NOT NULL,
  duration_ms         INTEGER NOT NULL,
  descriptor          BLOB,              -- little-endian float32 values; NULL when none
  client_distance     REAL    NOT NULL,
  face_count          INTEGER NOT NULL,
  detail              TEXT    NOT NULL,
  prev_hash           BLOB    NOT NULL CHECK (length(prev_hash) = 32),
  hash                BLOB    NOT NULL CHECK (length(hash) = 32),
  server_distance     REAL    NOT NULL,
  received_at_unix_ms INTEGER NOT NULL,
  has_evidence        INTEGER NOT NULL,  -- 0 | 1; stays 1 after a purge
  -- Sealed evidence; NULL when none or purged. Last, so that reading the other columns never
  -- touches its overflow pages.
  evidence            BLOB
);
CREATE UNIQUE INDEX events_by_session_seq ON events (session_sid, seq);

-- What the server found itself, in the order found.
CREATE TABLE findings (
  id          INTEGER PRIMARY KEY,
  session_sid INTEGER NOT NULL REFERENCES sessions (sid),
  kind        INTEGER NOT NULL,  -- EventKind
  at_ms       INTEGER NOT NULL,
  event_seq   INTEGER NOT NULL,
  distance    REAL    NOT NULL,
  detail      TEXT    NOT NULL
);
CREATE INDEX findings_by_session ON findings (session_sid, id);

-- At most one result per session; a resubmission replaces it.
CREATE TABLE results (
  session_sid          INTEGER NOT NULL PRIMARY KEY REFERENCES sessions (sid),
  score                REAL    NOT NULL,
  max_score            REAL    NOT NULL,
  submitted_at_unix_ms INTEGER NOT NULL,
  submitted_by         TEXT    NOT NULL
);

-- Append-only; id gives the order.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at_unix_ms INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  subject    TEXT    NOT NULL,
  detail     TEXT    NOT NULL
);
-- Append-only, enforced by the database itself: nobody rewrites history through SQL either.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
