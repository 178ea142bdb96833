-- Probes from several places: which agent's region ran each check (NULL: the service's own
-- instances), and the batches agents sent, so that a batch sent again is stored once.
ALTER TABLE probe_results ADD COLUMN region TEXT;

CREATE TABLE agent_batches (
    agent TEXT    NOT NULL, -- the agent process: its region and a random part
    seq   BIGINT  NOT NULL, -- the batch's number in that process
    at    BIGINT  NOT NULL,
    PRIMARY KEY (agent, seq)
);
CREATE INDEX agent_batches_at ON agent_batches (at);
