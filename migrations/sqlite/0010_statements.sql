-- What the banks said: each statement verbatim, in the languages the bank used, with the
-- operator's translations kept apart, its source, when it was said and the return time it
-- promised. A statement is never changed after it is stored; a correction is a new one.
CREATE TABLE statements (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    bank              TEXT    NOT NULL,
    -- Comma-separated channels the bank spoke of.
    channels          TEXT    NOT NULL,
    -- The bank's own words, per language it used.
    words_ar          TEXT,
    words_fr          TEXT,
    words_en          TEXT,
    -- The operator's translations into the other languages.
    translation_ar    TEXT,
    translation_fr    TEXT,
    translation_en    TEXT,
    source_url        TEXT    NOT NULL,
    source_kind       TEXT    NOT NULL,
    said_at           INTEGER NOT NULL,
    expected_back_at  INTEGER,
    recorded_at       INTEGER NOT NULL
);
CREATE INDEX statements_bank_said ON statements (bank, said_at);
CREATE INDEX statements_recorded ON statements (recorded_at);

-- The incidents each statement speaks of.
CREATE TABLE statement_incidents (
    statement_id INTEGER NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
    incident_id  INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    PRIMARY KEY (statement_id, incident_id)
);
CREATE INDEX statement_incidents_incident ON statement_incidents (incident_id);

-- A statement's alert event: one per statement, under the first incident it speaks of
-- (`incident_id`), with `update_id` 0 as it is no timeline update of that incident.
ALTER TABLE alert_events ADD COLUMN statement_id INTEGER REFERENCES statements (id) ON DELETE CASCADE;
