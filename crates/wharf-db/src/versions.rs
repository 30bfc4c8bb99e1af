//! A package's versions as its page shows them: the version on display, and one page of
//! the rest, read in the database so a package of thousands of versions costs one page.

use sqlx::Row;

use crate::{DbResult, PackageRepo, packages::VersionDetail};

/// A live version of a package, as listings name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    pub version: String,
    pub origin: crate::Origin,
    pub cksum: String,
}

/// One version in a package's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: String,
    pub origin: crate::Origin,
    pub yanked: bool,
    pub downloads: i64,
    pub created_at: i64,
    /// Why it is quarantined, when it is.
    pub quarantine: Option<String>,
}

impl PackageRepo<'_> {
    /// How many live versions a package has, and `limit` of them from `offset`, newest
    /// first.
    pub async fn version_page(
        &self,
        feed_id: i64,
        name_key: &str,
        offset: i64,
        limit: i64,
    ) -> DbResult<(i64, Vec<VersionRow>)> {
        let from = "FROM package_versions v JOIN packages p ON p.id = v.package_id \
                    WHERE p.feed_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL";
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {from}"))
            .bind(feed_id)
            .bind(name_key)
            .fetch_one(self.pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT v.version, v.origin, v.yanked, v.downloads, v.created_at, v.quarantine_reason {from} \
             ORDER BY v.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(feed_id)
        .bind(name_key)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(VersionRow {
                    version: r.try_get("version")?,
                    origin: crate::get_word(r, "origin")?,
                    quarantine: r.try_get("quarantine_reason")?,
                    yanked: crate::get_bool(r, "yanked")?,
                    downloads: r.try_get("downloads")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((total, items))
    }

    /// The version a package's page shows: the newest not yanked, else the newest; and
    /// whether any of its versions is local.
    pub async fn shown_version(&self, feed_id: i64, name_key: &str) -> DbResult<Option<(VersionDetail, bool)>> {
        let row = sqlx::query(
            "SELECT v.version, v.origin, v.yanked, v.downloads, v.created_at, v.index_line, v.metadata, v.readme, \
             (SELECT COUNT(*) FROM package_versions l WHERE l.package_id = p.id AND l.origin = 'local' \
              AND l.deleted_at IS NULL) AS locals \
             FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL \
             ORDER BY CASE WHEN v.yanked THEN 1 ELSE 0 END, v.id DESC LIMIT 1",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_optional(self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let detail = VersionDetail {
            version: r.try_get("version")?,
            origin: crate::get_word(&r, "origin")?,
            yanked: crate::get_bool(&r, "yanked")?,
            downloads: r.try_get("downloads")?,
            created_at: r.try_get("created_at")?,
            index_line: r.try_get("index_line")?,
            metadata: r.try_get("metadata")?,
            readme: r.try_get("readme")?,
        };
        Ok(Some((detail, r.try_get::<i64, _>("locals")? > 0)))
    }

    /// Every version of a feed's package (for tests and the portal), oldest first.
    pub async fn versions(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<VersionEntry>> {
        let rows = sqlx::query(
            "SELECT v.version, v.origin, v.cksum FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL ORDER BY v.id",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionEntry {
                    version: r.try_get("version")?,
                    origin: crate::get_word(r, "origin")?,
                    cksum: r.try_get("cksum")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
