-- One clinic's schema ({schema}): its change log, the documents compacted from it, its
-- photos, and the changes quarantined by `ayada-server check`.
-- Positions come from an identity column (never reused, even after a quarantine); appends
-- hold the clinic's advisory lock until they commit, so positions are visible in order.
CREATE TABLE {schema}.changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc_id TEXT COLLATE "C" NOT NULL,
    hash TEXT NOT NULL UNIQUE, bytes BYTEA NOT NULL, node TEXT NOT NULL,
    received_at BIGINT NOT NULL, actor TEXT NOT NULL, actor_seq BIGINT NOT NULL);
CREATE INDEX changes_doc ON {schema}.changes (doc_id, seq);
CREATE INDEX changes_actor ON {schema}.changes (doc_id, actor, actor_seq);
CREATE TABLE {schema}.docs (doc_id TEXT COLLATE "C" PRIMARY KEY, bytes BYTEA NOT NULL, upto BIGINT NOT NULL);
CREATE TABLE {schema}.blobs (
    sha256 TEXT PRIMARY KEY, bytes BYTEA NOT NULL, node TEXT NOT NULL, received_at BIGINT NOT NULL);
CREATE TABLE {schema}.quarantine (
    seq BIGINT PRIMARY KEY, doc_id TEXT NOT NULL, hash TEXT NOT NULL, bytes BYTEA NOT NULL,
    node TEXT NOT NULL, received_at BIGINT NOT NULL, reason TEXT NOT NULL,
    quarantined_at BIGINT NOT NULL);
