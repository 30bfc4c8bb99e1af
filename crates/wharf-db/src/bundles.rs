//! A feed's versions as a whole, for export bundles and static registries, and the import
//! of one version from a bundle: the same rows a publish or a save writes, with the index
//! line kept byte for byte.

use sqlx::Row;

use crate::{DbError, DbResult, PackageRepo, canonical_key, now, packages::Origin, version_key};

/// One live version of a feed, with everything an export carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedVersion {
    pub name: String,
    pub version: String,
    pub origin: Origin,
    pub cksum: String,
    pub size: i64,
    pub index_line: String,
    pub quarantine: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<String>,
    pub readme: Option<String>,
}

/// A version to import into a feed (its file already stored).
#[derive(Debug, Clone)]
pub struct ImportedVersion<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub origin: Origin,
    pub cksum: &'a str,
    pub size: i64,
    pub index_line: &'a str,
    pub yanked: bool,
    pub description: Option<&'a str>,
    pub metadata: Option<&'a str>,
    pub readme: Option<&'a str>,
}

/// What importing one version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Added,
    /// The feed had this version with the same file already.
    Present,
}

impl PackageRepo<'_> {
    /// Every live version of a feed (not in the recycle bin), by package then in the order
    /// they came.
    pub async fn feed_versions(&self, feed_id: i64) -> DbResult<Vec<FeedVersion>> {
        let rows = sqlx::query(
            "SELECT p.name, v.version, v.origin, v.cksum, v.size, v.index_line, v.quarantine_reason, v.description, \
             v.metadata, v.readme FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND v.deleted_at IS NULL ORDER BY p.name_key, v.id",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedVersion {
                    name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    origin: crate::get_word(r, "origin")?,
                    cksum: r.try_get("cksum")?,
                    size: r.try_get("size")?,
                    index_line: r.try_get("index_line")?,
                    quarantine: r.try_get("quarantine_reason")?,
                    description: r.try_get("description")?,
                    metadata: r.try_get("metadata")?,
                    readme: r.try_get("readme")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)
    }

    /// Why importing this version would conflict with what the feed holds, if it would:
    /// the name in another spelling, the version with another file (also in the recycle
    /// bin), or a local version equal but for build metadata. Reads only.
    pub async fn import_conflict(
        &self,
        feed_id: i64,
        name: &str,
        version: &str,
        cksum: &str,
        local: bool,
    ) -> DbResult<Option<String>> {
        let row = sqlx::query("SELECT id, name FROM packages WHERE feed_id = $1 AND canonical_key = $2")
            .bind(feed_id)
            .bind(canonical_key(name))
            .fetch_optional(self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let held: String = row.try_get("name")?;
        if held != name {
            return Ok(Some(format!(
                "{name} {version}: the feed has the crate as `{held}` (names are unique ignoring case and `-`/`_`)"
            )));
        }
        let package_id: i64 = row.try_get("id")?;
        let rows = sqlx::query(
            "SELECT version, origin, cksum FROM package_versions WHERE package_id = $1 AND version_key = $2",
        )
        .bind(package_id)
        .bind(version_key(version))
        .fetch_all(self.pool)
        .await?;
        for r in rows {
            let (held, origin, held_cksum): (String, Origin, String) =
                (r.try_get("version")?, crate::get_word(&r, "origin")?, r.try_get("cksum")?);
            if held == version && held_cksum != cksum {
                return Ok(Some(format!(
                    "{name} {version}: the feed holds another file for this version (sha256 {} here, {} in the bundle)",
                    &held_cksum[..12.min(held_cksum.len())],
                    &cksum[..12.min(cksum.len())]
                )));
            }
            if held != version && origin == Origin::Local && local {
                return Ok(Some(format!(
                    "{name} {version}: the feed has {held}, the same version but for build metadata"
                )));
            }
        }
        Ok(None)
    }

    /// Imports one version in one transaction; one that is there with the same file is left
    /// as it is. A conflict (see [`PackageRepo::import_conflict`], checked again under the
    /// write lock) is refused with its message. Ends one writer's mark on the file either way
    /// but on error (see [`crate::crate_files`]).
    pub async fn import(&self, feed_id: i64, v: &ImportedVersion<'_>) -> DbResult<ImportOutcome> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        let (package_id, held) = crate::packages::claim_name(&mut tx, feed_id, v.name, ts).await?;
        if held != v.name {
            return Err(DbError::Conflict(format!(
                "{} {}: the feed has the crate as `{held}` (names are unique ignoring case and `-`/`_`)",
                v.name, v.version
            )));
        }
        let key = version_key(v.version);
        let rows = sqlx::query(
            "SELECT version, origin, cksum FROM package_versions WHERE package_id = $1 AND version_key = $2",
        )
        .bind(package_id)
        .bind(&key)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let (held, origin, cksum): (String, Origin, String) =
                (r.try_get("version")?, crate::get_word(&r, "origin")?, r.try_get("cksum")?);
            if held == v.version && cksum == v.cksum {
                crate::crate_files::end_mark(&mut tx, v.cksum).await?;
                tx.commit().await?;
                return Ok(ImportOutcome::Present);
            }
            if held == v.version || (origin == Origin::Local && v.origin == Origin::Local) {
                return Err(DbError::Conflict(format!(
                    "{} {}: the feed holds {held} with another file",
                    v.name, v.version
                )));
            }
        }
        sqlx::query(
            "INSERT INTO package_versions (package_id, version, version_key, origin, cksum, size, index_line, created_at, \
             yanked, description, metadata, readme) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(package_id)
        .bind(v.version)
        .bind(&key)
        .bind(v.origin.as_str())
        .bind(v.cksum)
        .bind(v.size)
        .bind(v.index_line)
        .bind(ts)
        .bind(v.yanked)
        .bind(v.description)
        .bind(v.metadata)
        .bind(v.readme)
        .execute(&mut *tx)
        .await?;
        crate::crate_files::end_mark(&mut tx, v.cksum).await?;
        tx.commit().await?;
        Ok(ImportOutcome::Added)
    }
}

impl crate::Db {
    /// Writes a consistent copy of the SQLite database to `path` while it is in use
    /// (`VACUUM INTO`: one read transaction, so writers go on and the copy is of one
    /// moment). `path` must not exist.
    pub async fn sqlite_backup_into(&self, path: &std::path::Path) -> DbResult<()> {
        if self.backend() != crate::Backend::Sqlite {
            return Err(DbError::Config(
                "only a SQLite database is copied by Wharf; use pg_dump for PostgreSQL".into(),
            ));
        }
        let path = path.to_str().ok_or_else(|| DbError::Config("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(path).execute(self.pool()).await?;
        Ok(())
    }

    /// Every crate file a version refers to (recycle bin included), sorted.
    pub async fn referenced_files(&self) -> DbResult<Vec<String>> {
        let rows =
            sqlx::query("SELECT DISTINCT cksum FROM package_versions ORDER BY cksum").fetch_all(self.pool()).await?;
        Ok(rows.iter().map(|r| r.try_get("cksum")).collect::<Result<_, _>>()?)
    }
}
