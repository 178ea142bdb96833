-- Which hours of each bank and channel hold at least one counted check, as runs of
-- consecutive hours: the scorecard reads a month of them in a few rows, however long the
-- history. Runs may touch or repeat after out-of-order writes; readers merge them.
CREATE TABLE coverage (
    bank    TEXT    NOT NULL,
    channel TEXT    NOT NULL,
    starts  INTEGER NOT NULL, -- start of the first UTC hour
    ends    INTEGER NOT NULL, -- end of the last
    PRIMARY KEY (bank, channel, starts)
);
CREATE INDEX coverage_scope_ends ON coverage (bank, channel, ends);
CREATE INDEX coverage_ends ON coverage (ends);

INSERT INTO coverage (bank, channel, starts, ends)
SELECT bank, channel, MIN(hour), MAX(hour) + 3600000 FROM (
    SELECT bank, channel, hour,
           hour - 3600000 * ROW_NUMBER() OVER (PARTITION BY bank, channel ORDER BY hour) AS run
    FROM rollups_hourly WHERE up + degraded + down > 0)
GROUP BY bank, channel, run;
