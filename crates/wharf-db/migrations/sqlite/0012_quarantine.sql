-- A version an Administrator quarantined: its downloads are refused with the reason, and
-- the index marks it yanked (locked builds see the refusal, new resolution skips it). The
-- saved index line itself is kept as it was.
ALTER TABLE package_versions ADD COLUMN quarantined_at BIGINT;
ALTER TABLE package_versions ADD COLUMN quarantine_reason TEXT;
