-- A saved upstream version its upstream no longer lists (removed malware, say): the index
-- marks it yanked (hidden from new resolution; the saved copy still serves locked builds)
-- and the package page flags it. NULL: the upstream lists it.
ALTER TABLE package_versions ADD COLUMN removed_upstream_at BIGINT;
