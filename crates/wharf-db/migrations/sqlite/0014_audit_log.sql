-- The audit log: one record per operation of the core, written after the operation
-- committed. No API changes or deletes a record; only the retention sweep removes records
-- older than the configured time. `feed_id` keeps no reference, so a deleted feed's
-- records stay (in the organization's log).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    token_id BIGINT,
    channel TEXT NOT NULL,
    address TEXT,
    action TEXT NOT NULL,
    org TEXT,
    feed_id BIGINT,
    feed TEXT,
    target TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_log_feed ON audit_log (feed_id, id);
CREATE INDEX audit_log_org ON audit_log (org, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit records cannot be changed');
END;
