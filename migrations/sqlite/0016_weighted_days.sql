-- The day bars weighed by time, not by checks: each counted check stands for its probe's
-- interval from when it ran, cut at the probe's next check; a day's bar is the time passing
-- checks stood for over the time any check did. Days before this migration keep 0 here and
-- their bar is the share of checks that passed, as before.
ALTER TABLE rollups_daily ADD COLUMN passing_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_daily ADD COLUMN covered_ms INTEGER NOT NULL DEFAULT 0;
-- How long each check stands for, so that a later check arriving early can cut it back.
ALTER TABLE probe_results ADD COLUMN covers_ms INTEGER;
