-- Crowd reports, announced maintenance windows, operator audit, and settings.

-- Values the service generates once and keeps, e.g. the key that hashes reporters.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A customer's report. `reporter` is a keyed hash of the client address, never the address.
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    bank       TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    reporter   TEXT    NOT NULL,
    counted    INTEGER NOT NULL, -- 0 for a repeat within 10 minutes from the same reporter
    comment    TEXT,
    deleted_at INTEGER           -- set by operator moderation; deleted reports no longer count
);
CREATE INDEX reports_scope_at ON reports (bank, channel, at);
CREATE INDEX reports_reporter_at ON reports (reporter, at);
CREATE INDEX reports_at ON reports (at);

-- The announced window of a `maintenance` incident.
CREATE TABLE maintenance_windows (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    starts      INTEGER NOT NULL,
    ends        INTEGER NOT NULL,
    source_url  TEXT,
    -- For windows from the config file: bank, channels and times, so a restart does not
    -- announce the same window twice.
    config_key  TEXT UNIQUE,
    sequence    INTEGER NOT NULL DEFAULT 0,
    cancelled_at INTEGER
);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends);

-- Which incidents an overrun outage continues.
ALTER TABLE incidents ADD COLUMN overrun_of INTEGER REFERENCES incidents (id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL, -- token id, never the token
    action TEXT    NOT NULL,
    target TEXT,
    detail TEXT
);
