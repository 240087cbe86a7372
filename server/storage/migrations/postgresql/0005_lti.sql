-- Schema version 5: LTI 1.3. The LMSs registered as platforms, the tool's own signing keys (the
-- private half sealed like templates), and the OIDC logins started and not yet launched. Shared by
-- every replica: a login may start on one and launch on another, and all publish the same keys.
CREATE TABLE lti_platforms (
  issuer             TEXT    NOT NULL,
  client_id          TEXT    NOT NULL,
  deployment_ids     TEXT    NOT NULL,  -- one per line
  auth_url           TEXT    NOT NULL,
  token_url          TEXT    NOT NULL,
  jwks_url           TEXT    NOT NULL,
  created_by         TEXT    NOT NULL,
  created_at_unix_ms BIGINT  NOT NULL,
  PRIMARY KEY (issuer, client_id)
);

CREATE TABLE lti_tool_keys (
  kid                TEXT    NOT NULL PRIMARY KEY,
  sealed_private     BYTEA   NOT NULL,
  public_jwk         TEXT    NOT NULL,
  created_at_unix_ms BIGINT  NOT NULL
);

CREATE TABLE lti_logins (
  state              TEXT    NOT NULL PRIMARY KEY,
  nonce              TEXT    NOT NULL,
  issuer             TEXT    NOT NULL,
  client_id          TEXT    NOT NULL,
  created_at_unix_ms BIGINT  NOT NULL
);
CREATE INDEX lti_logins_by_age ON lti_logins (created_at_unix_ms);

-- A launch's proctored attempt (LTI Proctoring Services): what the learner's page shows and what
-- the tool's LtiStartAssessment must send back. The pass is sealed (it opens a session).
CREATE TABLE lti_attempts (
  id                   TEXT    NOT NULL PRIMARY KEY,  -- random, the page's address
  learner_id           TEXT    NOT NULL REFERENCES learners (id),
  assessment_id        TEXT    NOT NULL REFERENCES assessments (id),
  issuer               TEXT    NOT NULL,
  client_id            TEXT    NOT NULL,
  deployment_id        TEXT    NOT NULL,
  message_type         TEXT    NOT NULL,
  resource_link_id     TEXT    NOT NULL,
  attempt_number       INTEGER NOT NULL,
  session_data         TEXT    NOT NULL,
  start_assessment_url TEXT    NOT NULL,
  locale               TEXT    NOT NULL,
  pass_hash            BYTEA   NOT NULL,  -- as in passes
  sealed_pass          BYTEA   NOT NULL,
  pass_expires_at_unix_ms BIGINT NOT NULL,
  created_at_unix_ms   BIGINT  NOT NULL
);

-- The session a pass opened (NULL until it is used): an attempt's session is its pass's.
ALTER TABLE passes ADD COLUMN session_id text;
