//! Quarantined versions: their downloads are refused, and the index marks them yanked.

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
}
