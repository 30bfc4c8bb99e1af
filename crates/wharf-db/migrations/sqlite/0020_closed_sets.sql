-- Columns that hold one of a closed set of values get back the CHECK constraint the
-- migrations before 0011 gave such columns (PostgreSQL's 0020 adds the same ones).
-- SQLite cannot add a CHECK to an existing table, only rebuild the table with it: this is
-- done for warm_jobs, which is small (finished jobs are swept after a week) and which no
-- foreign key points at. feeds (eight tables' foreign keys point at it) and
-- webhook_deliveries (every delivery is kept) are not rebuilt; the schema test in
-- tests/it/schema.rs lists their CHECKs as PostgreSQL's only.
CREATE TABLE warm_jobs_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    total BIGINT NOT NULL,
    saved BIGINT NOT NULL DEFAULT 0,
    present BIGINT NOT NULL DEFAULT 0,
    failed TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
INSERT INTO warm_jobs_new (id, feed_id, state, total, saved, present, failed, created_by, created_at, finished_at)
    SELECT id, feed_id, state, total, saved, present, failed, created_by, created_at, finished_at FROM warm_jobs;
-- A job's number is in its URL and is never given to another job: the new table carries on
-- from the old one's counter, not from its highest remaining id.
DELETE FROM sqlite_sequence WHERE name = 'warm_jobs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'warm_jobs_new', seq FROM sqlite_sequence WHERE name = 'warm_jobs';
DROP TABLE warm_jobs;
ALTER TABLE warm_jobs_new RENAME TO warm_jobs;
