-- The operator's desk. A session is known only by the SHA-256 of its id (the cookie holds
-- the id), so a copy of the database signs no one in; it names its operator for the audit
-- log and dies after 8 hours idle or 24 hours in all, whichever comes first.
CREATE TABLE desk_sessions (
    id_hash    TEXT    PRIMARY KEY,
    operator   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
);
CREATE INDEX desk_sessions_seen ON desk_sessions (seen_at);

-- The idempotency key of the form (or the API's `Idempotency-Key`) that asked for an
-- action: written with the action's audit entry in its transaction, so the same key
-- carries out one action, however often it is posted.
ALTER TABLE audit_log ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX audit_log_request ON audit_log (request_key) WHERE request_key IS NOT NULL;

-- Corrections of published timeline entries, appended, never edits in place: each row is
-- the entry's whole text as it reads from `at` on; the entry and earlier corrections stay
-- as they were published.
CREATE TABLE update_corrections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    update_id   INTEGER NOT NULL REFERENCES incident_updates (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    message_ar  TEXT,
    message_fr  TEXT,
    message_en  TEXT
);
CREATE INDEX update_corrections_update ON update_corrections (update_id, id);
CREATE INDEX update_corrections_incident ON update_corrections (incident_id);
CREATE INDEX update_corrections_at ON update_corrections (at);
