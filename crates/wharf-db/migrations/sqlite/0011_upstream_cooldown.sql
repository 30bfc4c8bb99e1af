-- Upstream cooldown, per feed (NULL: off): upstream versions published fewer than this
-- many days ago are held back (absent from the index, not saved).
ALTER TABLE feeds ADD COLUMN upstream_cooldown_days BIGINT;

-- When Wharf first saw each upstream version whose index line has no `pubtime`: its age
-- counts from then. One row per crate name (lower-cased) and version, for every feed.
CREATE TABLE version_first_seen (
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (name_key, version)
);

-- Versions (or whole packages: version '') an Administrator released from the cooldown,
-- with the reason given.
CREATE TABLE cooldown_exceptions (
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (feed_id, name_key, version)
);

-- The versions a feed's cooldown held back when cargo last asked for each crate, with the
-- day each is released: what the package and feed pages show.
CREATE TABLE held_versions (
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    name_key TEXT NOT NULL,
    version TEXT NOT NULL,
    released_at BIGINT NOT NULL,
    PRIMARY KEY (feed_id, name_key, version)
);
