-- Warming a feed from a Cargo.lock: one row per job, its progress counted as it goes.
-- `failed` holds one line per package that could not be saved: name, version, reason,
-- separated by tabs.
CREATE TABLE warm_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    total BIGINT NOT NULL,
    saved BIGINT NOT NULL DEFAULT 0,
    present BIGINT NOT NULL DEFAULT 0,
    failed TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
