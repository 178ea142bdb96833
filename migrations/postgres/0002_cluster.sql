-- Work shared by several instances on one database.

-- When each bank probe is due next. An instance claims a due probe, runs it, and the probe is
-- due again one interval later, whichever instance runs it then.
CREATE TABLE probe_schedule (
    probe_id    TEXT    PRIMARY KEY,
    interval_ms BIGINT  NOT NULL,
    next_at     BIGINT  NOT NULL,
    holder      TEXT             -- the instance that claimed it last
);
CREATE INDEX probe_schedule_next ON probe_schedule (next_at);

-- Roles one instance holds at a time (`engine`: it opens and resolves incidents), until
-- `expires_at` unless it renews them.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);

-- What the engine's instance shares with the others: the status snapshot pages show.
CREATE TABLE shared_state (
    key     TEXT    PRIMARY KEY,
    version BIGINT  NOT NULL,
    value   TEXT    NOT NULL
);
