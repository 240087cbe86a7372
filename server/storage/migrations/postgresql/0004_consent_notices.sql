-- Schema version 4: the notice a learner reads and agrees to before the camera opens (what is
-- captured, what leaves the machine, who sees it, how long it is kept, how to withdraw), per
-- assessment and versioned: a new text is a new version and old versions stay, because a consent
-- names the version it agreed to. sha256 is the SHA-256 of text as 64 lowercase hex digits.
CREATE TABLE consent_notices (
  assessment_id      TEXT    NOT NULL,
  version            INTEGER NOT NULL CHECK (version >= 1),
  text               TEXT    NOT NULL,
  sha256             TEXT    NOT NULL,
  created_by         TEXT    NOT NULL,
  created_at_unix_ms BIGINT  NOT NULL,
  PRIMARY KEY (assessment_id, version)
);

-- Sessions opened from now on must begin with the learner's CONSENT_GIVEN before any biometric
-- event; sessions opened before this version (in flight during the upgrade) are not held to it.
ALTER TABLE sessions ADD COLUMN consent_required integer NOT NULL DEFAULT 1;
UPDATE sessions SET consent_required = 0;
