-- Schema version 6: what goes back to the LMS. Each attempt remembers what the launch said of the
-- LMS's services and the session outcome last queued for it; the outbox holds the messages
-- (AGS scores, Assessment Control Service actions, reads of the LMS's own grade) until they are
-- delivered or given up, so that an LMS that is down loses nothing. Shared by every replica: a
-- claim (due_at moved forward) keeps two replicas from sending the same message at once.
ALTER TABLE lti_attempts ADD COLUMN services TEXT NOT NULL DEFAULT '{}';  -- JSON, server/lti's
ALTER TABLE lti_attempts ADD COLUMN reported_state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lti_attempts ADD COLUMN reported_verdict INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lti_attempts ADD COLUMN reported_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX lti_attempts_by_learner ON lti_attempts (learner_id, assessment_id);
-- The delivery looks for changed outcomes among recent attempts every few seconds.
CREATE INDEX lti_attempts_by_age ON lti_attempts (created_at_unix_ms);

CREATE TABLE lti_outbox (
  attempt_id         TEXT    NOT NULL REFERENCES lti_attempts (id),
  seq                INTEGER  NOT NULL,  -- 1, 2, ... per attempt
  kind               TEXT    NOT NULL,  -- score, flag, terminate, result
  payload            TEXT    NOT NULL,  -- JSON, server/lti's
  created_at_unix_ms INTEGER  NOT NULL,
  due_at_unix_ms     INTEGER  NOT NULL,
  tries              INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT    NOT NULL DEFAULT '',
  done_at_unix_ms    INTEGER  NOT NULL DEFAULT 0,  -- 0 while pending
  outcome            TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (attempt_id, seq)
);
CREATE INDEX lti_outbox_pending ON lti_outbox (due_at_unix_ms) WHERE done_at_unix_ms = 0;
