-- Version 2: closed days (Z-reports) and which cashbook entries each one covers.

CREATE TABLE day_closes (
    id        TEXT PRIMARY KEY,
    doc_id    TEXT NOT NULL,
    number    INTEGER NOT NULL,
    date      TEXT NOT NULL,
    closed_at INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    report    TEXT NOT NULL
);
CREATE INDEX day_closes_date ON day_closes(date);
CREATE INDEX day_closes_doc ON day_closes(doc_id);

CREATE TABLE day_close_entries (
    entry_id TEXT NOT NULL,
    close_id TEXT NOT NULL,
    PRIMARY KEY (entry_id, close_id)
);
CREATE INDEX day_close_entries_close ON day_close_entries(close_id);
