-- When this feed last got an answer from its upstream (Unix seconds).
ALTER TABLE feeds ADD COLUMN upstream_reached_at BIGINT;

CREATE TABLE packages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    -- As written in the index line; name_key is its lower-cased form, the index path key.
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    UNIQUE (feed_id, name_key)
);

CREATE TABLE package_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('local', 'upstream')),
    -- Lower-case hex sha256 of the .crate file; also its storage key.
    cksum TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- The index line served for this version, byte for byte.
    index_line TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (package_id, version)
);
