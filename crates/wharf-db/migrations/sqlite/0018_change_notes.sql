-- Changes announced by another process (`wharf admin`, `wharf import`) to a running server
-- on SQLite, where there is no NOTIFY: the server's write watcher reads the rows newer than
-- the last it read. Rows older than an hour are removed by the next announcement.
CREATE TABLE change_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payload TEXT NOT NULL,
    at BIGINT NOT NULL
);
