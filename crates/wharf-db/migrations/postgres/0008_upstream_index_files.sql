-- The last good copy of each upstream index file, with its validators: a restarted or new
-- replica revalidates it (If-None-Match / If-Modified-Since) instead of fetching it again,
-- and serves it as stale while the upstream is down.
CREATE TABLE upstream_index_files (
    upstream TEXT NOT NULL,
    name TEXT NOT NULL,
    -- NULL: the upstream answered that it does not know the crate.
    body BYTEA,
    etag TEXT,
    last_modified TEXT,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (upstream, name)
);
