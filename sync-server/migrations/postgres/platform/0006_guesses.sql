-- Wrong password and code guesses, counted for every replica (sync-server/src/logins.rs):
-- one row per guess, its key a keyed digest of the account or address it counts against.
-- Rows older than the window are dropped as new ones come.
CREATE TABLE platform.guesses (key TEXT COLLATE "C" NOT NULL, at BIGINT NOT NULL);
CREATE INDEX guesses_key ON platform.guesses (key, at);
CREATE INDEX guesses_at ON platform.guesses (at);
