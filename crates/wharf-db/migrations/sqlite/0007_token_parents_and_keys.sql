-- A token minted with another token names it: it never outlives its parent, and revoking
-- the parent revokes it.
ALTER TABLE tokens ADD COLUMN parent_id INTEGER REFERENCES tokens (id);
CREATE INDEX tokens_parent ON tokens (parent_id);

-- Keys the instance generates for itself once, shared by every replica (e.g. the key that
-- signs the portal's form errors so a link cannot inject text into a page).
CREATE TABLE instance_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
