-- A webhook delivery's state is one of a closed set: PostgreSQL has had the CHECK since
-- 0020; SQLite's 0023 adds triggers that enforce the same. Nothing to do here.
SELECT 1;
