-- Columns that hold one of a closed set of values get back the CHECK constraint the
-- migrations before 0011 gave such columns; the values are those the data layer writes.
-- SQLite's 0020 adds only warm_jobs' (it has to rebuild a table to add a CHECK); the
-- schema test in tests/it/schema.rs lists the others as PostgreSQL's only.

-- 'warn' is also written as NULL (the default).
ALTER TABLE feeds ADD CONSTRAINT feeds_advisory_policy_check
    CHECK (advisory_policy IN ('warn', 'hide', 'block'));
-- A flag kept as BIGINT 0/1, as on SQLite (the code binds it as an integer).
ALTER TABLE feeds ADD CONSTRAINT feeds_keep_removed_upstream_check
    CHECK (keep_removed_upstream IN (0, 1));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed'));
ALTER TABLE warm_jobs ADD CONSTRAINT warm_jobs_state_check
    CHECK (state IN ('running', 'done'));
