-- A feed's upstream sources, in order (position 0 is asked first). `kind` is `crates-io`
-- (the instance's configured upstream), `sparse` (any sparse index at `location`, with an
-- optional token sealed with the operator's key) or `feed` (another feed of this
-- instance, or one of its views). `feeds.upstream_enabled` stays: it is true exactly when
-- the feed has at least one source, and is kept so by the one write that changes them.
CREATE TABLE feed_upstreams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('crates-io', 'sparse', 'feed')),
    -- `sparse`: the index URL (`https://…/`, without `sparse+`).
    location TEXT,
    -- `feed`: the feed, and the view (NULL: the whole feed). Deleting either removes the source.
    target_feed_id BIGINT REFERENCES feeds (id) ON DELETE CASCADE,
    target_view_id BIGINT REFERENCES feed_views (id) ON DELETE CASCADE,
    -- `sparse`: the token, sealed (never stored or shown in clear).
    token_sealed TEXT,
    last_ok_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    UNIQUE (feed_id, position),
    UNIQUE (feed_id, name_key)
);
CREATE INDEX feed_upstreams_target ON feed_upstreams (target_feed_id);

-- Feeds that include crates.io keep it as their one source.
INSERT INTO feed_upstreams (feed_id, position, name, name_key, kind)
    SELECT id, 0, 'crates.io', 'crates.io', 'crates-io' FROM feeds WHERE upstream_enabled = 1;
