//! Versions held out of new resolution: quarantined ones (their downloads refused too) and
//! saved upstream versions their upstream no longer lists. The index marks both yanked.

use sqlx::Row;

use crate::{DbError, DbResult, PackageRepo, now};

impl PackageRepo<'_> {
    /// Quarantines a version the feed holds (`Some(reason)`), or lifts its quarantine
    /// (`None`); whether anything changed. `NotFound` when the feed does not hold it.
    pub async fn set_quarantine(
        &self,
        feed_id: i64,
        name_key: &str,
        version: &str,
        reason: Option<&str>,
    ) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT v.id, v.quarantine_reason FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.version = $3 AND v.deleted_at IS NULL",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("This feed holds no version {version} of `{name_key}`.")))?;
        let id: i64 = row.try_get("id")?;
        let was: Option<String> = row.try_get("quarantine_reason")?;
        if was.is_some() == reason.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE package_versions SET quarantined_at = $1, quarantine_reason = $2 WHERE id = $3")
            .bind(reason.map(|_| now()))
            .bind(reason)
            .bind(id)
            .execute(self.pool)
            .await?;
        Ok(true)
    }

    /// The quarantined versions of a crate in a feed.
    pub async fn quarantined(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT v.version FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.quarantine_reason IS NOT NULL AND v.deleted_at IS NULL",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("version")).collect::<Result<_, _>>()?)
    }

    /// The versions of a crate published to the feed itself.
    pub async fn local_versions(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        self.versions_from(feed_id, name_key, "local").await
    }

    /// The versions of a crate the feed saved from an upstream.
    pub async fn saved_from_upstream(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        self.versions_from(feed_id, name_key, "upstream").await
    }

    async fn versions_from(&self, feed_id: i64, name_key: &str, origin: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT v.version FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.origin = $3 AND v.deleted_at IS NULL",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(origin)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("version")).collect::<Result<_, _>>()?)
    }

    /// Records which saved versions of a crate its upstream no longer lists (`removed`, at
    /// `now`); the others of the crate are listed again.
    pub async fn mark_removed_upstream(
        &self,
        feed_id: i64,
        name_key: &str,
        removed: &[String],
        now: i64,
    ) -> DbResult<()> {
        let package = "package_id = (SELECT id FROM packages WHERE feed_id = $1 AND name_key = $2)";
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!("UPDATE package_versions SET removed_upstream_at = NULL WHERE {package}"))
            .bind(feed_id)
            .bind(name_key)
            .execute(&mut *tx)
            .await?;
        for version in removed {
            sqlx::query(&format!(
                "UPDATE package_versions SET removed_upstream_at = $3 WHERE {package} AND version = $4"
            ))
            .bind(feed_id)
            .bind(name_key)
            .bind(now)
            .bind(version.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
