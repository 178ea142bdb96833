-- What a check saw beyond its status, as JSON: redirect hops, the final URL, the bank's
-- announced return (Retry-After), the certificate's expiry and issuer, the maintenance
-- phrase matched. NULL when there is nothing to say.
ALTER TABLE probe_results ADD COLUMN evidence TEXT;

-- An automatic incident keeps the key of its bank and channel after it resolves (open_key is
-- cleared then), so an outage that fails again soon reopens it; `reopens` counts how often.
ALTER TABLE incidents ADD COLUMN channel_key TEXT;
ALTER TABLE incidents ADD COLUMN reopens BIGINT NOT NULL DEFAULT 0;
UPDATE incidents SET channel_key = open_key WHERE open_key IS NOT NULL;
CREATE INDEX incidents_channel_key ON incidents (channel_key, resolved_at);

-- Each timeline entry keeps the incident's title as it was when the entry was written, so a
-- feed entry never changes after publication, even when the operator retitles the incident.
ALTER TABLE incident_updates ADD COLUMN title_ar TEXT;
ALTER TABLE incident_updates ADD COLUMN title_fr TEXT;
ALTER TABLE incident_updates ADD COLUMN title_en TEXT;
UPDATE incident_updates SET
    title_ar = (SELECT i.title_ar FROM incidents i WHERE i.id = incident_updates.incident_id),
    title_fr = (SELECT i.title_fr FROM incidents i WHERE i.id = incident_updates.incident_id),
    title_en = (SELECT i.title_en FROM incidents i WHERE i.id = incident_updates.incident_id);
