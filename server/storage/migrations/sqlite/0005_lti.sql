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
  created_at_unix_ms INTEGER  NOT NULL,
  PRIMARY KEY (issuer, client_id)
);

CREATE TABLE lti_tool_keys (
  kid                TEXT    NOT NULL PRIMARY KEY,
  sealed_private     BLOB    NOT NULL,
  public_jwk         TEXT    NOT NULL,
  created_at_unix_ms INTEGER  NOT NULL
);

CREATE TABLE lti_logins (
  state              TEXT    NOT NULL PRIMARY KEY,
  nonce              TEXT    NOT NULL,
  issuer             TEXT    NOT NULL,
  client_id          TEXT    NOT NULL,
  created_at_unix_ms INTEGER  NOT NULL
);
CREATE INDEX lti_logins_by_age ON lti_logins (created_at_unix_ms);
