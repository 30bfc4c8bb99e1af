-- Publishing: crate names are unique per feed ignoring case and '-'/'_' (canonical_key);
-- local versions are unique ignoring build metadata (version_key).
ALTER TABLE packages ADD COLUMN canonical_key TEXT NOT NULL DEFAULT '';
UPDATE packages SET canonical_key = REPLACE(name_key, '-', '_');
CREATE UNIQUE INDEX packages_canonical ON packages (feed_id, canonical_key);
-- The dependency-confusion guard: once a name has a local version, upstream versions of it
-- are hidden unless this is turned on for the package.
ALTER TABLE packages ADD COLUMN allow_external INTEGER NOT NULL DEFAULT 0 CHECK (allow_external IN (0, 1));

ALTER TABLE package_versions ADD COLUMN version_key TEXT NOT NULL DEFAULT '';
UPDATE package_versions SET version_key =
    CASE WHEN instr(version, '+') > 0 THEN substr(version, 1, instr(version, '+') - 1) ELSE version END;
CREATE UNIQUE INDEX package_versions_local_key ON package_versions (package_id, version_key) WHERE origin = 'local';

ALTER TABLE package_versions ADD COLUMN yanked INTEGER NOT NULL DEFAULT 0 CHECK (yanked IN (0, 1));
-- Who published a local version, and what the package page shows of it.
ALTER TABLE package_versions ADD COLUMN published_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE package_versions ADD COLUMN description TEXT;
ALTER TABLE package_versions ADD COLUMN metadata TEXT;
ALTER TABLE package_versions ADD COLUMN readme TEXT;

-- Deleted versions sit in the feed's recycle bin (hidden, their number reserved) until
-- restored or purged after 30 days.
ALTER TABLE package_versions ADD COLUMN deleted_at BIGINT;
-- Downloads served, added in batches.
ALTER TABLE package_versions ADD COLUMN downloads BIGINT NOT NULL DEFAULT 0;
