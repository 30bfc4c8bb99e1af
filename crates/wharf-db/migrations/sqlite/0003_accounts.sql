CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    -- Argon2id PHC string.
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at BIGINT NOT NULL
);

CREATE TABLE org_members (
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- Personal access tokens: only a sha256 of the token is kept.
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The first characters of the token, to recognise it in listings.
    prefix TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);

-- A name is taken by one live token of a user at a time.
CREATE UNIQUE INDEX tokens_live_name ON tokens (user_id, name_key) WHERE revoked_at IS NULL;

CREATE TABLE feed_roles (
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('reader', 'collaborator', 'contributor', 'administrator', 'owner')),
    PRIMARY KEY (feed_id, user_id)
);

-- Public feeds: may anonymous users save versions from the upstream (on by default)?
ALTER TABLE feeds ADD COLUMN allow_anonymous_saves INTEGER NOT NULL DEFAULT 1 CHECK (allow_anonymous_saves IN (0, 1));
