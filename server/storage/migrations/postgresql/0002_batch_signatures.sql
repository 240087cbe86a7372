-- Schema version 2 for PostgreSQL: the same table as migrations/sqlite/0002_batch_signatures.sql.
-- The client's Ed25519 signature of every accepted batch, so that a session's report can
-- re-verify each one against the session key (sessions.client_public_key) over the stored hash
-- of event head_seq. Written by AppendBatches in the same statement as the batch's events.
-- Sessions stored before this version have no rows here (their reports say so). Not biometric:
-- a purge leaves these rows.

CREATE TABLE batch_signatures (
  session_sid bigint NOT NULL REFERENCES sessions (sid),
  head_seq    bigint NOT NULL,  -- the seq of the batch's last event, whose hash was signed
  signature   bytea  NOT NULL CHECK (length(signature) = 64),
  PRIMARY KEY (session_sid, head_seq)
);
