//! Packages and their versions in a feed: saved from upstream (and, later, published).

use sqlx::{AnyPool, Row};

use crate::{DbResult, now};

/// Where a version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Local,
    Upstream,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Upstream => "upstream",
        }
    }
}

/// A stored version's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub cksum: String,
    pub size: i64,
}

/// A version to record in a feed.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub origin: Origin,
    pub cksum: &'a str,
    pub size: i64,
    pub index_line: &'a str,
}

/// One package of a feed, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSummary {
    pub name: String,
    pub versions: i64,
    /// The newest version by insertion.
    pub latest: String,
    /// `local`, `upstream`, or both joined with `+`.
    pub origins: String,
    pub last_used_at: i64,
}

/// Reads and writes a feed's packages.
pub struct PackageRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> PackageRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The index lines the feed itself holds for a crate (lower-cased name).
    pub async fn own_lines(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT v.index_line FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 ORDER BY v.id",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("index_line")).collect::<Result<_, _>>()?)
    }

    /// The stored file of one version (name compared lower-cased, version exactly).
    pub async fn find_version(&self, feed_id: i64, name_key: &str, version: &str) -> DbResult<Option<StoredVersion>> {
        let row = sqlx::query(
            "SELECT v.cksum, v.size FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.version = $3",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?;
        row.map(|r| Ok(StoredVersion { cksum: r.try_get("cksum")?, size: r.try_get("size")? })).transpose()
    }

    /// Records a version (its file must already be stored). Recording one that is already
    /// there changes nothing; returns whether it was new.
    pub async fn record(&self, feed_id: i64, v: &NewVersion<'_>) -> DbResult<bool> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO packages (feed_id, name, name_key, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (feed_id, name_key) DO UPDATE SET last_used_at = excluded.last_used_at",
        )
        .bind(feed_id)
        .bind(v.name)
        .bind(v.name.to_ascii_lowercase())
        .bind(ts)
        .bind(ts)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "INSERT INTO package_versions (package_id, version, origin, cksum, size, index_line, created_at) \
             SELECT id, $1, $2, $3, $4, $5, $6 FROM packages WHERE feed_id = $7 AND name_key = $8 \
             ON CONFLICT (package_id, version) DO NOTHING",
        )
        .bind(v.version)
        .bind(v.origin.as_str())
        .bind(v.cksum)
        .bind(v.size)
        .bind(v.index_line)
        .bind(ts)
        .bind(feed_id)
        .bind(v.name.to_ascii_lowercase())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes that a package was used (downloaded) at `at` (Unix seconds).
    pub async fn touch(&self, feed_id: i64, name_key: &str, at: i64) -> DbResult<()> {
        sqlx::query("UPDATE packages SET last_used_at = $1 WHERE feed_id = $2 AND name_key = $3 AND last_used_at < $1")
            .bind(at)
            .bind(feed_id)
            .bind(name_key)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// The feed's packages whose name contains `query` (ignoring case), by name.
    pub async fn list(&self, feed_id: i64, query: &str) -> DbResult<Vec<PackageSummary>> {
        let pattern = format!("%{}%", query.to_ascii_lowercase().replace(['%', '_', '\\'], ""));
        let rows = sqlx::query(
            "SELECT p.name, p.last_used_at, COUNT(v.id) AS versions, \
             MIN(v.origin) AS min_origin, MAX(v.origin) AS max_origin, \
             (SELECT v2.version FROM package_versions v2 WHERE v2.package_id = p.id ORDER BY v2.id DESC LIMIT 1) AS latest \
             FROM packages p JOIN package_versions v ON v.package_id = p.id \
             WHERE p.feed_id = $1 AND p.name_key LIKE $2 \
             GROUP BY p.id, p.name, p.last_used_at, p.name_key ORDER BY p.name_key",
        )
        .bind(feed_id)
        .bind(pattern)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let min: String = r.try_get("min_origin")?;
                let max: String = r.try_get("max_origin")?;
                Ok(PackageSummary {
                    name: r.try_get("name")?,
                    versions: r.try_get("versions")?,
                    latest: r.try_get("latest")?,
                    origins: if min == max { min } else { format!("{min}+{max}") },
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Every version of a feed's package (for tests and the portal), oldest first.
    pub async fn versions(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT v.version, v.origin, v.cksum FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 ORDER BY v.id",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("version")?, r.try_get("origin")?, r.try_get("cksum")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
