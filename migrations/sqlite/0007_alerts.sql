-- Alerts: who asked to be told, what happened that they may care about, and each message
-- owed to each of them (the outbox).

-- One subscription: a webhook, an email address or a browser's push endpoint. The address
-- lives here only while the subscription does; unsubscribing deletes the row.
CREATE TABLE subscriptions (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    -- The webhook's signing secret, or the push subscription's keys as JSON.
    secret          TEXT,
    -- SHA-256 of the manage token, which only the subscriber holds.
    manage_hash     TEXT    NOT NULL,
    -- Comma-separated; empty means all.
    banks           TEXT    NOT NULL,
    channels        TEXT    NOT NULL,
    incident_kinds  TEXT    NOT NULL,
    -- Set when it follows one incident only, until it resolves.
    incident_id     INTEGER,
    lang            TEXT    NOT NULL,
    -- Where links in its messages point.
    base_url        TEXT    NOT NULL,
    -- pending (not yet confirmed or verified), active, quarantined.
    state           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    -- A pending subscription is deleted after this.
    expires_at      INTEGER,
    quarantined_at  INTEGER
);
CREATE INDEX subscriptions_target ON subscriptions (kind, target);

-- One row per timeline entry, written in the entry's own transaction; the dispatcher turns
-- it into deliveries, a page of subscriptions at a time, remembering where it stopped.
CREATE TABLE alert_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    update_id     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    -- The last subscription id already fanned out to; NULL before the first page.
    fanout_cursor TEXT,
    fanned_out    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_pending ON alert_events (fanned_out, id);

-- One message owed to one subscription. The id is stable: a retry, even after a crash,
-- sends the same webhook-id and Message-ID.
CREATE TABLE deliveries (
    id              TEXT    PRIMARY KEY,
    subscription_id TEXT    NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    -- event (an incident change), verify (a webhook's challenge), confirm (double opt-in).
    purpose         TEXT    NOT NULL,
    event_id        INTEGER REFERENCES alert_events (id) ON DELETE CASCADE,
    -- The subscription ends once this one is delivered (it followed a resolved incident).
    ends_it         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,
    done_at         INTEGER,
    outcome         TEXT,
    last_error      TEXT
);
CREATE INDEX deliveries_due ON deliveries (done_at, due_at);
CREATE INDEX deliveries_subscription ON deliveries (subscription_id);

-- When a subscription was last sent an update of an incident, for the email throttle.
CREATE TABLE alert_throttle (
    subscription_id TEXT    NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    incident_id     INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, incident_id)
);
