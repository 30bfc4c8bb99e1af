-- A webhook delivery's state is one of a closed set. PostgreSQL has the CHECK since 0020;
-- SQLite cannot add one without rebuilding the table, which keeps every delivery, so it
-- enforces the same set with triggers (the schema test in tests/it/schema.rs knows).
CREATE TRIGGER webhook_deliveries_state_insert BEFORE INSERT ON webhook_deliveries
WHEN NEW.state NOT IN ('pending', 'delivered', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: state IN (''pending'', ''delivered'', ''failed'')');
END;
CREATE TRIGGER webhook_deliveries_state_update BEFORE UPDATE OF state ON webhook_deliveries
WHEN NEW.state NOT IN ('pending', 'delivered', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: state IN (''pending'', ''delivered'', ''failed'')');
END;
