-- A bank's latest comments, newest first, without sorting a whole day of reports: in a
-- storm that sort ran on every render of the bank's page. Partial, so that it is no
-- candidate for the reporter's allowance and dedup checks, which need `reports_reporter_at`.
CREATE INDEX reports_comments ON reports (bank, at) WHERE comment IS NOT NULL;
