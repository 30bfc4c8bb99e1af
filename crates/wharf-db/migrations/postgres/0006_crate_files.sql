-- Crate files are stored once per sha256, shared by every feed that holds them. Their
-- references are the package_versions rows with that cksum; this row is the file's lock
-- and its "being written" marker: `writers` counts requests storing the file right now,
-- trusted until `lease_until` (Unix seconds; a writer that crashed stops counting then).
-- A file is deleted only by a transaction that holds this row's lock and sees no
-- reference and no writer; a writer first increments `writers` in a committed
-- transaction, so no deleter can remove the file under it.
CREATE TABLE crate_files (
    cksum TEXT PRIMARY KEY,
    writers BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0
);
INSERT INTO crate_files (cksum) SELECT DISTINCT cksum FROM package_versions;
CREATE INDEX package_versions_cksum ON package_versions (cksum);
