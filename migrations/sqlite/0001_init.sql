-- Times are INTEGER milliseconds since the Unix epoch, UTC, in every table: the same
-- representation on every backend, and cheap to compare and bucket.

CREATE TABLE probe_results (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    probe_id    TEXT    NOT NULL,
    bank        TEXT,              -- NULL for control sites
    channel     TEXT,
    at          INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    http_status INTEGER,
    outcome     TEXT    NOT NULL,  -- up | degraded | down
    error_class TEXT,
    detail      TEXT,
    counted     INTEGER NOT NULL   -- 0 when put down to the tracker's own network
);
CREATE INDEX probe_results_at ON probe_results (at);
CREATE INDEX probe_results_probe_at ON probe_results (probe_id, at);

-- Roll-ups of bank probe results; kept after raw results are purged.
CREATE TABLE rollups_hourly (
    bank           TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    hour           INTEGER NOT NULL, -- start of the UTC hour
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    uncounted      INTEGER NOT NULL, -- failures put down to the tracker's network
    latency_sum_ms INTEGER NOT NULL,
    latency_count  INTEGER NOT NULL,
    PRIMARY KEY (bank, channel, hour)
);

CREATE TABLE rollups_daily (
    bank           TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    day            TEXT    NOT NULL, -- local calendar date in the configured zone, YYYY-MM-DD
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    uncounted      INTEGER NOT NULL,
    latency_sum_ms INTEGER NOT NULL,
    latency_count  INTEGER NOT NULL,
    PRIMARY KEY (bank, channel, day)
);

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    title_ar    TEXT,
    title_fr    TEXT,
    title_en    TEXT,
    started_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Set while an automatic incident is open (e.g. `outage:bmce:web`), NULL otherwise:
    -- the unique index makes "one open incident per bank and channel" hold in the database.
    open_key    TEXT UNIQUE
);
CREATE INDEX incidents_started ON incidents (started_at);

CREATE TABLE incident_scopes (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    bank        TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    PRIMARY KEY (incident_id, bank, channel)
);
CREATE INDEX incident_scopes_bank ON incident_scopes (bank, channel);

CREATE TABLE incident_sources (
    incident_id   INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    source        TEXT    NOT NULL, -- probe | reports | operator
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, source)
);

CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    message_ar  TEXT,
    message_fr  TEXT,
    message_en  TEXT
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, at);
