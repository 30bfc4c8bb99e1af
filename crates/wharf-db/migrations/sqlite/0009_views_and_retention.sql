-- Views of a feed (`@prerelease`, `@release`, and any an Administrator adds): each is a
-- registry of its own that lists only the versions promoted to it. `@local`, every version
-- the feed holds, is not stored.
CREATE TABLE feed_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (feed_id, name_key)
);

CREATE TABLE view_versions (
    view_id BIGINT NOT NULL REFERENCES feed_views (id) ON DELETE CASCADE,
    version_id BIGINT NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
    promoted_at BIGINT NOT NULL,
    promoted_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (view_id, version_id)
);
CREATE INDEX view_versions_version ON view_versions (version_id);

-- Every feed starts with the two views Azure Artifacts gives its feeds.
INSERT INTO feed_views (feed_id, name, name_key, created_at) SELECT id, 'prerelease', 'prerelease', created_at FROM feeds;
INSERT INTO feed_views (feed_id, name, name_key, created_at) SELECT id, 'release', 'release', created_at FROM feeds;

-- Retention, per feed (NULL: the rule is off): keep at most this many versions of each
-- package; delete versions not downloaded for this many days.
ALTER TABLE feeds ADD COLUMN retention_max_versions BIGINT;
ALTER TABLE feeds ADD COLUMN retention_days BIGINT;
-- When a version was last downloaded (Unix seconds); NULL: never since it arrived.
ALTER TABLE package_versions ADD COLUMN last_downloaded_at BIGINT;
