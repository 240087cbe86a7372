-- Schema version 3: adjustments an administrator grants one learner for one assessment (longer
-- absence tolerance, looking away not flagged, identity checked only at the start and the end,
-- extra time), with the reason and who granted it. The policy a session runs under applies them
-- and says so. The reason may touch on health: it is shown to examiners, never logged.
CREATE TABLE accommodations (
  learner_id             TEXT    NOT NULL,
  assessment_id          TEXT    NOT NULL,
  extra_absence_ms       BIGINT NOT NULL CHECK (extra_absence_ms >= 0),
  looking_away_ignored   BOOLEAN NOT NULL,
  identity_ends_only     BOOLEAN NOT NULL,
  extra_time_ms          BIGINT NOT NULL CHECK (extra_time_ms >= 0),
  reason                 TEXT    NOT NULL,
  granted_by             TEXT    NOT NULL,
  granted_at_unix_ms     BIGINT NOT NULL,
  PRIMARY KEY (learner_id, assessment_id)
);
