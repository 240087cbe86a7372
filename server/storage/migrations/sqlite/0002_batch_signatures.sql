-- Schema version 2: the client's Ed25519 signature of every accepted batch, so that a session's
-- report can re-verify each one against the session key (sessions.client_public_key) over the
-- stored hash of event head_seq. Written by AppendBatches in the same transaction as the
-- batch's events. Sessions stored before this version have no rows here (their reports say so).
-- Not biometric: a purge leaves these rows.

-- A rowid table with a UNIQUE (session, head_seq) index, like events: appends land at the end of
-- the table b-tree.
CREATE TABLE batch_signatures (
  session_sid INTEGER NOT NULL REFERENCES sessions (sid),
  head_seq    INTEGER NOT NULL,  -- the seq of the batch's last event, whose hash was signed
  signature   BLOB    NOT NULL CHECK (length(signature) = 64)
);
CREATE UNIQUE INDEX batch_signatures_by_session_seq ON batch_signatures (session_sid, head_seq);
