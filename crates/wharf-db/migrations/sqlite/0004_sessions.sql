-- Browser sessions (tower-sessions records). The session id is kept only as a sha256.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed sign-in attempts, by account (`user:NAME`) and by client address (`ip:ADDR`).
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_subject_at ON sign_in_failures (subject, at);

-- Present once the first administrator was created on the setup page (one row at most).
CREATE TABLE instance_setup (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done_at BIGINT NOT NULL
);
