-- What a report says and who it comes from, as the surge rules weigh it. `reporter` is the
-- counting unit (an address, or an address and one browser); `address` the client address
-- (IPv4, or IPv6 by its /64) and `network` its IPv4 /24 or IPv6 /48, each a keyed hash.
-- Reports stored before have no address or network of their own: each counts as its own.
ALTER TABLE reports ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN network TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN symptom TEXT;
ALTER TABLE reports ADD COLUMN city TEXT;
-- 1 for "it works for me", the counter-evidence beside the problem reports.
ALTER TABLE reports ADD COLUMN works INTEGER NOT NULL DEFAULT 0;
UPDATE reports SET address = reporter, network = reporter;
CREATE INDEX reports_address_at ON reports (address, at);

-- A timeline entry alerts subscribers unless it belongs to an incident only customers
-- report that nothing has confirmed yet; `incidents.alerted` says whether any entry did.
ALTER TABLE incident_updates ADD COLUMN alerted INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN alerted INTEGER NOT NULL DEFAULT 1;
