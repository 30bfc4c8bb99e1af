//! Packages and their versions in a feed: saved from upstream (and, later, published).

use sqlx::{AnyPool, Row};

use crate::{DbError, DbResult, error::OnConflict, now};

/// Name and version keys live in the core (pure, and fuzzed there); re-exported for callers.
pub use wharf_core::package::{canonical_key, version_key};

/// Where a version came from (a closed set of the core's vocabulary).
pub use wharf_core::Origin;

/// A stored version's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub cksum: String,
    pub size: i64,
    /// Why it is quarantined, when it is: its downloads are refused.
    pub quarantine: Option<String>,
    pub origin: Origin,
}

impl StoredVersion {
    pub(crate) fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(StoredVersion {
            cksum: row.try_get("cksum")?,
            size: row.try_get("size")?,
            quarantine: row.try_get("quarantine_reason")?,
            origin: crate::get_word(row, "origin")?,
        })
    }
}

/// A version published to the feed, as yanking reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRow {
    pub id: i64,
    pub index_line: String,
    pub yanked: bool,
}

/// A version in a feed's recycle bin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinnedVersion {
    pub name: String,
    pub version: String,
    /// When it was deleted (seconds since the epoch).
    pub deleted_at: i64,
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

/// A version published to a feed.
#[derive(Debug, Clone)]
pub struct LocalVersion<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub cksum: &'a str,
    pub size: i64,
    pub index_line: &'a str,
    pub published_by: i64,
    pub description: Option<&'a str>,
    /// The publish metadata, as JSON.
    pub metadata: &'a str,
    pub readme: Option<&'a str>,
}

/// One version of a package, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDetail {
    pub version: String,
    pub origin: Origin,
    pub yanked: bool,
    pub downloads: i64,
    pub created_at: i64,
    pub index_line: String,
    /// Publish metadata (JSON), for local versions.
    pub metadata: Option<String>,
    pub readme: Option<String>,
}

/// One package of a feed, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSummary {
    pub name: String,
    pub versions: i64,
    /// The newest version by insertion.
    pub latest: String,
    /// Whether any of its versions is yanked.
    pub yanked: bool,
    /// `local`, `upstream`, or both joined with `+`.
    pub origins: String,
    pub last_used_at: i64,
}

/// Which of a feed's packages a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageFilter {
    #[default]
    All,
    /// With a version published to the feed.
    Local,
    /// With a version saved from the upstream.
    Upstream,
    /// With a yanked version.
    Yanked,
}

impl PackageFilter {
    /// From the portal's `filter` parameter; anything else is every package.
    pub fn parse(value: &str) -> Self {
        match value {
            "local" => PackageFilter::Local,
            "upstream" => PackageFilter::Upstream,
            "yanked" => PackageFilter::Yanked,
            _ => PackageFilter::All,
        }
    }
}

/// Reads and writes a feed's packages.
pub struct PackageRepo<'a> {
    pub(crate) pool: &'a AnyPool,
}

impl<'a> PackageRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The index lines the feed itself holds for a crate (lower-cased name).
    pub async fn own_lines(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT v.index_line FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL ORDER BY v.id",
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
            "SELECT v.cksum, v.size, v.quarantine_reason, v.origin FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.version = $3 AND v.deleted_at IS NULL",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?;
        Ok(row.map(|r| StoredVersion::from_row(&r)).transpose()?)
    }

    /// Records a version (its file must already be stored). Recording one that is already
    /// there changes nothing; returns whether it was new. Ends one writer's mark on the file
    /// in the same transaction (see [`crate::crate_files`]).
    pub async fn record(&self, feed_id: i64, v: &NewVersion<'_>) -> DbResult<bool> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO packages (feed_id, name, name_key, canonical_key, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (feed_id, name_key) DO UPDATE SET last_used_at = excluded.last_used_at",
        )
        .bind(feed_id)
        .bind(v.name)
        .bind(v.name.to_ascii_lowercase())
        .bind(canonical_key(v.name))
        .bind(ts)
        .bind(ts)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "INSERT INTO package_versions (package_id, version, version_key, origin, cksum, size, index_line, created_at) \
             SELECT id, $1, $9, $2, $3, $4, $5, $6 FROM packages WHERE feed_id = $7 AND name_key = $8 \
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
        .bind(version_key(v.version))
        .execute(&mut *tx)
        .await?;
        crate::crate_files::end_mark(&mut tx, v.cksum).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Publishes a local version, in one transaction, once its file is stored. Refused
    /// (`Conflict`, with the message to show) when the feed has the name in another
    /// spelling (case, `-`/`_`), or the version already (ignoring build metadata). On
    /// success, ends one writer's mark on the file in the same transaction (see
    /// [`crate::crate_files`]); a refusal leaves the mark to its writer.
    pub async fn publish(&self, feed_id: i64, v: &LocalVersion<'_>) -> DbResult<()> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        // Write first: on SQLite this takes the write lock now (waiting for it if need be)
        // instead of failing to upgrade a read lock later. Creating the package if missing,
        // and doing nothing on any conflict, also lets concurrent first publishes of a name
        // on PostgreSQL wait for each other instead of one failing on the unique index.
        let (package_id, name) = claim_name(&mut tx, feed_id, v.name, ts).await?;
        if name != v.name {
            return Err(DbError::Conflict(format!(
                "This feed already has a crate named `{name}`; names are unique ignoring case and `-`/`_`. \
                 Publish it as `{name}` or choose another name."
            )));
        }
        let key = version_key(v.version);
        let taken = sqlx::query(
            "SELECT version, origin, deleted_at FROM package_versions WHERE package_id = $1 AND version_key = $2",
        )
        .bind(package_id)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = taken {
            let version: String = row.try_get("version")?;
            let origin: Origin = crate::get_word(&row, "origin")?;
            let deleted: Option<i64> = row.try_get("deleted_at")?;
            if deleted.is_some() {
                return Err(DbError::Conflict(format!(
                    "Version {version} of `{}` was deleted and sits in the feed's recycle bin; its number stays \
                     reserved. Restore it, or publish a new version.",
                    v.name
                )));
            }
            let how = if origin == Origin::Upstream { " (saved from the upstream)" } else { "" };
            let why = if version == v.version {
                String::new()
            } else {
                " Versions that differ only in build metadata (after `+`) are the same version.".to_owned()
            };
            return Err(DbError::Conflict(format!(
                "Version {version} of `{}` already exists in this feed{how}.{why} Bump the version in Cargo.toml and publish again.",
                v.name
            )));
        }
        sqlx::query(
            "INSERT INTO package_versions (package_id, version, version_key, origin, cksum, size, index_line, created_at, \
             published_by, description, metadata, readme) VALUES ($1, $2, $3, 'local', $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(package_id)
        .bind(v.version)
        .bind(&key)
        .bind(v.cksum)
        .bind(v.size)
        .bind(v.index_line)
        .bind(ts)
        .bind(v.published_by)
        .bind(v.description)
        .bind(v.metadata)
        .bind(v.readme)
        .execute(&mut *tx)
        .await
        .on_conflict(|| format!("Version {} of `{}` was published a moment ago by someone else.", v.version, v.name))?;
        crate::crate_files::end_mark(&mut tx, v.cksum).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A local version (name compared lower-cased).
    pub async fn local_version(&self, feed_id: i64, name_key: &str, version: &str) -> DbResult<LocalRow> {
        let row = sqlx::query(
            "SELECT v.id, v.origin, v.index_line, v.yanked FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.version = $3 AND v.deleted_at IS NULL",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("This feed has no version {version} of `{name_key}`.")))?;
        let origin: Origin = crate::get_word(&row, "origin")?;
        if origin != Origin::Local {
            return Err(DbError::Conflict(format!(
                "Version {version} of `{name_key}` was saved from the upstream; only versions published to this feed \
                 can be yanked here."
            )));
        }
        Ok(LocalRow {
            id: row.try_get("id")?,
            index_line: row.try_get("index_line")?,
            yanked: crate::get_bool(&row, "yanked")?,
        })
    }

    /// Sets a version's yanked flag and the index line that says so.
    pub async fn set_yanked(&self, version_id: i64, yanked: bool, index_line: &str) -> DbResult<()> {
        sqlx::query("UPDATE package_versions SET yanked = $1, index_line = $2 WHERE id = $3")
            .bind(yanked)
            .bind(index_line)
            .bind(version_id)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// The dependency-confusion guard for a name (canonical key): `None` when the feed has
    /// no local version of it, else whether upstream versions are allowed anyway.
    pub async fn guard(&self, feed_id: i64, canonical: &str) -> DbResult<Option<bool>> {
        let row = sqlx::query(
            "SELECT p.allow_external FROM packages p WHERE p.feed_id = $1 AND p.canonical_key = $2 \
             AND EXISTS (SELECT 1 FROM package_versions v WHERE v.package_id = p.id AND v.origin = 'local')",
        )
        .bind(feed_id)
        .bind(canonical)
        .fetch_optional(self.pool)
        .await?;
        row.map(|r| crate::get_bool(&r, "allow_external")).transpose().map_err(Into::into)
    }

    /// Turns a package's "Allow externally-sourced versions" setting on or off.
    pub async fn set_allow_external(&self, feed_id: i64, name_key: &str, allow: bool) -> DbResult<()> {
        let done = sqlx::query("UPDATE packages SET allow_external = $1 WHERE feed_id = $2 AND name_key = $3")
            .bind(allow)
            .bind(feed_id)
            .bind(name_key)
            .execute(self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("This feed has no package `{name_key}`.")));
        }
        Ok(())
    }

    /// Moves a local version to the recycle bin: hidden from the index and downloads, its
    /// number still reserved.
    pub async fn delete_version(&self, feed_id: i64, name_key: &str, version: &str) -> DbResult<()> {
        let id = self.local_version(feed_id, name_key, version).await?.id;
        sqlx::query("UPDATE package_versions SET deleted_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// Brings a version back from the recycle bin.
    pub async fn restore_version(&self, feed_id: i64, name_key: &str, version: &str) -> DbResult<()> {
        let done = sqlx::query(
            "UPDATE package_versions SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND version = $1 AND package_id = \
             (SELECT id FROM packages WHERE feed_id = $2 AND name_key = $3)",
        )
        .bind(version)
        .bind(feed_id)
        .bind(name_key)
        .execute(self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("The recycle bin has no version {version} of `{name_key}`.")));
        }
        Ok(())
    }

    /// The feed's recycle bin, newest first.
    pub async fn recycle_bin(&self, feed_id: i64) -> DbResult<Vec<BinnedVersion>> {
        let rows = sqlx::query(
            "SELECT p.name, v.version, v.deleted_at FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND v.deleted_at IS NOT NULL ORDER BY v.deleted_at DESC, p.name_key",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BinnedVersion {
                    name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    deleted_at: r.try_get("deleted_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Purges versions deleted before `before`; returns the checksums of their files.
    pub async fn purge_deleted(&self, before: i64) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "DELETE FROM package_versions WHERE deleted_at IS NOT NULL AND deleted_at < $1 RETURNING cksum",
        )
        .bind(before)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("cksum")).collect::<Result<_, _>>()?)
    }

    /// Adds counted downloads: (feed id, lower-cased name, version, how many), and notes
    /// that those versions were downloaded now.
    pub async fn add_downloads(&self, counts: &[(i64, String, String, i64)]) -> DbResult<()> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        for (feed_id, name_key, version, n) in counts {
            sqlx::query(
                "UPDATE package_versions SET downloads = downloads + $1, last_downloaded_at = $5 WHERE version = $2 \
                 AND package_id = (SELECT id FROM packages WHERE feed_id = $3 AND name_key = $4)",
            )
            .bind(*n)
            .bind(version)
            .bind(*feed_id)
            .bind(name_key)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every live version of a package with what its page shows, oldest first.
    pub async fn version_details(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<VersionDetail>> {
        let rows = sqlx::query(
            "SELECT v.version, v.origin, v.yanked, v.downloads, v.created_at, v.index_line, v.metadata, v.readme \
             FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL ORDER BY v.id",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionDetail {
                    version: r.try_get("version")?,
                    origin: crate::get_word(r, "origin")?,
                    yanked: crate::get_bool(r, "yanked")?,
                    downloads: r.try_get("downloads")?,
                    created_at: r.try_get("created_at")?,
                    index_line: r.try_get("index_line")?,
                    metadata: r.try_get("metadata")?,
                    readme: r.try_get("readme")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The description of a package's newest local version, if any.
    pub async fn description(&self, feed_id: i64, name_key: &str) -> DbResult<Option<String>> {
        let row = sqlx::query(
            "SELECT v.description FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.origin = 'local' ORDER BY v.id DESC LIMIT 1",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_optional(self.pool)
        .await?;
        Ok(row.and_then(|r| r.try_get::<Option<String>, _>("description").ok().flatten()))
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

    /// Every package of a feed whose name contains `query` (ignoring case), by name.
    pub async fn list(&self, feed_id: i64, query: &str) -> DbResult<Vec<PackageSummary>> {
        Ok(self.page(feed_id, query, PackageFilter::All, 0, i64::MAX).await?.1)
    }

    /// One page of a feed's packages whose name contains `query` (ignoring case) and that
    /// pass `filter`, by name: how many there are in all, and `limit` of them from
    /// `offset`. Searched, filtered and counted in the database, so a feed of thousands of
    /// packages costs one page.
    pub async fn page(
        &self,
        feed_id: i64,
        query: &str,
        filter: PackageFilter,
        offset: i64,
        limit: i64,
    ) -> DbResult<(i64, Vec<PackageSummary>)> {
        let pattern = format!("%{}%", query.to_ascii_lowercase().replace(['%', '_', '\\'], ""));
        let having = match filter {
            PackageFilter::All => "",
            PackageFilter::Local => "HAVING MAX(CASE WHEN v.origin = 'local' THEN 1 ELSE 0 END) = 1",
            PackageFilter::Upstream => "HAVING MAX(CASE WHEN v.origin = 'upstream' THEN 1 ELSE 0 END) = 1",
            PackageFilter::Yanked => "HAVING SUM(CASE WHEN v.yanked THEN 1 ELSE 0 END) > 0",
        };
        let from = "FROM packages p JOIN package_versions v ON v.package_id = p.id \
                    WHERE p.feed_id = $1 AND p.name_key LIKE $2 AND v.deleted_at IS NULL";
        let total: i64 =
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM (SELECT p.id {from} GROUP BY p.id {having}) t"))
                .bind(feed_id)
                .bind(&pattern)
                .fetch_one(self.pool)
                .await?
                .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT p.name, p.last_used_at, COUNT(v.id) AS versions, \
             SUM(CASE WHEN v.yanked THEN 1 ELSE 0 END) AS yanked_versions, \
             MIN(v.origin) AS min_origin, MAX(v.origin) AS max_origin, \
             (SELECT v2.version FROM package_versions v2 WHERE v2.package_id = p.id AND v2.deleted_at IS NULL \
              ORDER BY v2.id DESC LIMIT 1) AS latest \
             {from} GROUP BY p.id, p.name, p.last_used_at, p.name_key {having} ORDER BY p.name_key LIMIT $3 OFFSET $4"
        ))
        .bind(feed_id)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                let min: String = r.try_get("min_origin")?;
                let max: String = r.try_get("max_origin")?;
                Ok(PackageSummary {
                    name: r.try_get("name")?,
                    versions: r.try_get("versions")?,
                    latest: r.try_get("latest")?,
                    origins: if min == max { min } else { format!("{min}+{max}") },
                    yanked: r.try_get::<i64, _>("yanked_versions")? > 0,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((total, items))
    }
}

/// The package of `name` in the feed inside `tx`, created if missing: its id and the name
/// as the feed spells it (which differs from `name` when the feed holds it in another
/// case or with `-`/`_` swapped). Writes first: on SQLite this takes the write lock at
/// once (waiting for it if need be) instead of failing to upgrade a read lock later; doing
/// nothing on any conflict also lets concurrent first writers of a name on PostgreSQL wait
/// for each other instead of one failing on the unique index.
pub(crate) async fn claim_name(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    feed_id: i64,
    name: &str,
    ts: i64,
) -> DbResult<(i64, String)> {
    sqlx::query(
        "INSERT INTO packages (feed_id, name, name_key, canonical_key, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(feed_id)
    .bind(name)
    .bind(name.to_ascii_lowercase())
    .bind(canonical_key(name))
    .bind(ts)
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query("SELECT id, name FROM packages WHERE feed_id = $1 AND canonical_key = $2")
        .bind(feed_id)
        .bind(canonical_key(name))
        .fetch_one(&mut **tx)
        .await?;
    Ok((row.try_get("id")?, row.try_get("name")?))
}
