-- A feed's settings become one JSON object (wharf_core::FeedSettings, camelCase keys, a
-- number that is off written 0), so that a new setting needs no migration: a stored object
-- that lacks it reads with the setting's default. Kept as TEXT, as on SQLite (the code
-- reads and writes the JSON itself). The columns they were kept in go, with their CHECKs.
ALTER TABLE feeds ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
UPDATE feeds SET settings = json_build_object(
    'allowAnonymousSaves', allow_anonymous_saves,
    'retentionMaxVersions', COALESCE(retention_max_versions, 0),
    'retentionDays', COALESCE(retention_days, 0),
    'upstreamCooldownDays', COALESCE(upstream_cooldown_days, 0),
    'advisoryPolicy', COALESCE(advisory_policy, 'warn'),
    'keepRemovedUpstream', keep_removed_upstream <> 0
)::text;
ALTER TABLE feeds DROP COLUMN allow_anonymous_saves;
ALTER TABLE feeds DROP COLUMN retention_max_versions;
ALTER TABLE feeds DROP COLUMN retention_days;
ALTER TABLE feeds DROP COLUMN upstream_cooldown_days;
ALTER TABLE feeds DROP COLUMN advisory_policy;
ALTER TABLE feeds DROP COLUMN keep_removed_upstream;
