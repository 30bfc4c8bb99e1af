-- RustSec advisories, imported by an administrator (from the advisory-db layout). One row
-- per advisory; `package` is the crate's name lower-cased. The requirement lists and the
-- aliases are kept one per line.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    package TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT,
    cvss TEXT,
    patched TEXT NOT NULL,
    unaffected TEXT NOT NULL,
    aliases TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX advisories_package ON advisories (package);

-- What a feed does with versions an advisory affects: 'warn' (NULL), 'hide' them from new
-- resolution, or 'block' their downloads too. Malicious crates are blocked whatever it says.
ALTER TABLE feeds ADD COLUMN advisory_policy TEXT;
-- Whether versions removed upstream stay in new resolution (1) instead of being hidden (0,
-- the default).
ALTER TABLE feeds ADD COLUMN keep_removed_upstream BIGINT NOT NULL DEFAULT 0;
