//! What a feed's retention rules look at: every live version with when it arrived, when it
//! was last downloaded and whether a view holds it; and the move of chosen versions to the
//! recycle bin.

use sqlx::Row;

use crate::{DbResult, PackageRepo};

/// One live version, as retention weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainedVersion {
    pub id: i64,
    /// The package's name as written.
    pub package: String,
    pub version: String,
    pub yanked: bool,
    pub created_at: i64,
    pub last_downloaded_at: Option<i64>,
    /// Whether it was promoted to a view (retention never takes those).
    pub promoted: bool,
}

impl PackageRepo<'_> {
    /// Every live version of a feed, by package.
    pub async fn retention_candidates(&self, feed_id: i64) -> DbResult<Vec<RetainedVersion>> {
        let rows = sqlx::query(
            "SELECT v.id, p.name, v.version, v.yanked, v.created_at, v.last_downloaded_at, \
             (SELECT COUNT(*) FROM view_versions vv WHERE vv.version_id = v.id) AS views \
             FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND v.deleted_at IS NULL ORDER BY p.name_key, v.id",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RetainedVersion {
                    id: r.try_get("id")?,
                    package: r.try_get("name")?,
                    version: r.try_get("version")?,
                    yanked: crate::get_bool(r, "yanked")?,
                    created_at: r.try_get("created_at")?,
                    last_downloaded_at: r.try_get("last_downloaded_at")?,
                    promoted: r.try_get::<i64, _>("views")? > 0,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Moves versions of a feed to its recycle bin at `at`, in one transaction; a version
    /// promoted to a view meanwhile, or already deleted, stays as it is. Returns (package,
    /// version) of those moved.
    pub async fn retire(&self, feed_id: i64, ids: &[i64], at: i64) -> DbResult<Vec<crate::BinnedVersion>> {
        let mut tx = self.pool.begin().await?;
        let mut moved = Vec::new();
        for id in ids {
            let row = sqlx::query(
                "UPDATE package_versions SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL \
                 AND package_id IN (SELECT id FROM packages WHERE feed_id = $3) \
                 AND NOT EXISTS (SELECT 1 FROM view_versions vv WHERE vv.version_id = package_versions.id) \
                 RETURNING version, (SELECT name FROM packages WHERE id = package_id) AS name",
            )
            .bind(at)
            .bind(*id)
            .bind(feed_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                moved.push(crate::BinnedVersion {
                    name: row.try_get("name")?,
                    version: row.try_get("version")?,
                    deleted_at: at,
                });
            }
        }
        tx.commit().await?;
        Ok(moved)
    }
}
