-- What the cooldown holds back and which saved versions were removed upstream are computed
-- by the serving pipeline's policies when asked, no longer recorded as a side effect of
-- rendering an index file.
DROP TABLE held_versions;
ALTER TABLE package_versions DROP COLUMN removed_upstream_at;
