-- Schema version 1 for PostgreSQL: the same tables as migrations/sqlite/0001_initial.sql, in
-- PostgreSQL's types. Applied by PostgresStorage::Open inside one transaction (under an advisory
-- lock, so replicas starting together migrate once), which also records the version in
-- schema_migrations. Released migrations are never edited: a change is a new numbered file, in
-- migrations/sqlite/ and migrations/postgresql/ alike (the build refuses one without the other).
--
-- Conventions: times are unix milliseconds (bigint) unless named *_ms (media time); enums are the
-- integer values of the domain enums; hashes, keys and sealed bytes are bytea; token and pass
-- hashes are the strings the core computes, stored as their bytes. Text columns hold UTF-8; an
-- event's detail is bytea because a client may send U+0000, which PostgreSQL text cannot hold.

CREATE TABLE assessments (
  id                 text    NOT NULL PRIMARY KEY,
  course             text    NOT NULL,
  title              text    NOT NULL,
  kind               integer NOT NULL,  -- AssessmentKind
  created_at_unix_ms bigint  NOT NULL
);

CREATE TABLE learners (
  id   text NOT NULL PRIMARY KEY,
  name text NOT NULL
);

-- Sealed (encrypted) face templates, in the order they were given.
CREATE TABLE templates (
  learner_id text    NOT NULL REFERENCES learners (id),
  position   integer NOT NULL,
  sealed     bytea   NOT NULL,
  PRIMARY KEY (learner_id, position)
);

CREATE TABLE sessions (
  -- Narrow key the events refer to: their primary key index stays small and inserts stay fast.
  sid                bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                 text    NOT NULL UNIQUE,
  learner_id         text    NOT NULL REFERENCES learners (id),
  assessment_id      text    NOT NULL REFERENCES assessments (id),
  client_public_key  bytea   NOT NULL,
  state              integer NOT NULL,  -- SessionState
  opened_at_unix_ms  bigint  NOT NULL,
  closed_at_unix_ms  bigint  NOT NULL,
  ended_at_ms        bigint  NOT NULL,
  risk_score         double precision NOT NULL,
  verdict            integer NOT NULL,  -- Verdict
  decision_note      text    NOT NULL,
  decided_by         text    NOT NULL,
  last_seq           bigint  NOT NULL,  -- events 1..last_seq are all stored
  head_hash          bytea   NOT NULL CHECK (length(head_hash) = 32)
) WITH (fillfactor = 80);  -- room for HOT updates: every group commit advances last_seq
CREATE INDEX sessions_by_learner ON sessions (learner_id);
CREATE INDEX sessions_by_risk ON sessions (risk_score DESC, opened_at_unix_ms DESC);

-- Bearer tokens. session_id is set for learner tokens only (NULL otherwise).
CREATE TABLE tokens (
  token_hash         bytea   NOT NULL PRIMARY KEY,
  role               integer NOT NULL,  -- Role
  label              text    NOT NULL,
  session_id         text    REFERENCES sessions (id),
  created_at_unix_ms bigint  NOT NULL
);

-- One-time exam passes.
CREATE TABLE passes (
  pass_hash          bytea   NOT NULL PRIMARY KEY,
  learner_id         text    NOT NULL REFERENCES learners (id),
  assessment_id      text    NOT NULL REFERENCES assessments (id),
  expires_at_unix_ms bigint  NOT NULL,
  used               boolean NOT NULL
);

-- The events of every session; (session_sid, seq) is unique, so an event is never stored twice.
CREATE TABLE events (
  session_sid         bigint  NOT NULL REFERENCES sessions (sid),
  seq                 bigint  NOT NULL,
  kind                integer NOT NULL,  -- EventKind
  phase               integer NOT NULL,  -- EventPhase
  at_ms               bigint  NOT NULL,
  duration_ms         bigint  NOT NULL,
  descriptor          bytea,             -- little-endian float32 values; NULL when none
  client_distance     real    NOT NULL,
  face_count          integer NOT NULL,
  detail              bytea   NOT NULL,  -- UTF-8 (may hold U+0000)
  prev_hash           bytea   NOT NULL CHECK (length(prev_hash) = 32),
  hash                bytea   NOT NULL CHECK (length(hash) = 32),
  server_distance     real    NOT NULL,
  received_at_unix_ms bigint  NOT NULL,
  has_evidence        boolean NOT NULL,  -- stays true after a purge
  evidence            bytea,             -- sealed; NULL when none or purged
  PRIMARY KEY (session_sid, seq)
);

-- What the server found itself, in the order found.
CREATE TABLE findings (
  id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_sid bigint  NOT NULL REFERENCES sessions (sid),
  kind        integer NOT NULL,  -- EventKind
  at_ms       bigint  NOT NULL,
  event_seq   bigint  NOT NULL,
  distance    real    NOT NULL,
  detail      text    NOT NULL
);
CREATE INDEX findings_by_session ON findings (session_sid, id);

-- At most one result per session; a resubmission replaces it.
CREATE TABLE results (
  session_sid          bigint NOT NULL PRIMARY KEY REFERENCES sessions (sid),
  score                double precision NOT NULL,
  max_score            double precision NOT NULL,
  submitted_at_unix_ms bigint NOT NULL,
  submitted_by         text   NOT NULL
);

-- Append-only; id gives the order.
CREATE TABLE audit (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_unix_ms bigint NOT NULL,
  actor      text   NOT NULL,
  action     text   NOT NULL,
  subject    text   NOT NULL,
  detail     text   NOT NULL
);
-- Append-only, enforced by the database itself: nobody rewrites history through SQL either.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
