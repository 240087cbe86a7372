-- Schema version 7: self-enrollment. A learner without templates may enroll from the client (the
-- photos taken with the pass of one assessment); until an examiner has compared the kept photo
-- with the institution's record, every session of that learner goes to review. One row per
-- learner: pending with the sealed photo, then confirmed or rejected with the photo deleted. A
-- rejected row stays, so that the learner cannot enroll themselves again: only an
-- administrator's enrollment (which deletes the row) enrolls them now. The photo is biometric
-- data: a purge deletes the row.
CREATE TABLE self_enrollments (
  learner_id         TEXT    NOT NULL PRIMARY KEY REFERENCES learners (id),
  assessment_id      TEXT    NOT NULL,  -- of the pass it came with
  state              INTEGER NOT NULL CHECK (state IN (1, 2, 3)),  -- SelfEnrollmentState
  -- Sealed JPEG while pending; NULL once decided (the database itself keeps no decided photo).
  sealed_photo       BLOB    CHECK (state = 1 OR sealed_photo IS NULL),
  photos             INTEGER NOT NULL,  -- how many photos the templates came from
  created_at_unix_ms INTEGER NOT NULL,
  decided_by         TEXT    NOT NULL DEFAULT '',  -- token label; '' while pending
  decided_at_unix_ms INTEGER NOT NULL DEFAULT 0,   -- 0 while pending
  note               TEXT    NOT NULL DEFAULT ''
);
-- The examiners' queue: the pending ones, oldest first.
CREATE INDEX self_enrollments_pending ON self_enrollments (created_at_unix_ms, learner_id)
  WHERE state = 1;
