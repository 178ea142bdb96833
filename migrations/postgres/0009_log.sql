-- The log: every published fact as one entry (canonical JSON), numbered in commit order
-- from 0, never changed or removed. Each fact's transaction appends its entry.
CREATE TABLE log_entries (
    idx         BIGINT  PRIMARY KEY,
    kind        TEXT    NOT NULL,   -- the entry's `type`, e.g. incident.opened
    incident_id BIGINT,             -- the incident it is about, if any
    update_id   BIGINT,             -- the timeline entry it records, if any
    body        BYTEA   NOT NULL
);
CREATE INDEX log_entries_incident ON log_entries (incident_id, idx) WHERE incident_id IS NOT NULL;

-- How many entries the log holds: each append takes the next number here, so numbers
-- follow commit order with no gap, whichever instance writes.
CREATE TABLE log_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);

-- The Merkle tree as C2SP tiles: `hashes` holds the tile's hashes (32 bytes each) at tree
-- level 8 * level, from n * 256; a partial tile grows until it is full, then never changes.
CREATE TABLE log_tiles (
    level  BIGINT  NOT NULL,
    n      BIGINT  NOT NULL,
    hashes BYTEA   NOT NULL,
    PRIMARY KEY (level, n)
);

-- Every signed checkpoint: the tree of `size` entries, its root and the signed note.
CREATE TABLE log_checkpoints (
    size      BIGINT  PRIMARY KEY,
    root      BYTEA   NOT NULL,
    note      TEXT    NOT NULL,
    signed_at BIGINT  NOT NULL
);
CREATE INDEX log_checkpoints_signed ON log_checkpoints (signed_at);
