//! The upstream cooldown's records: when Wharf first saw versions that carry no `pubtime`,
//! and the versions or packages an Administrator released early.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyPool, Row};

use crate::DbResult;

/// What an Administrator released from a feed's cooldown for one package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Released {
    /// The whole package.
    pub package: bool,
    pub versions: HashSet<String>,
}

/// Reads and writes the cooldown's records.
pub struct CooldownRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> CooldownRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// When each of `versions` of a crate (lower-cased name) was first seen; those never
    /// seen before are recorded as seen at `now`.
    pub async fn first_seen(&self, name_key: &str, versions: &[&str], now: i64) -> DbResult<HashMap<String, i64>> {
        let mut seen = self.read_first_seen(name_key).await?;
        let missing: Vec<&&str> = versions.iter().filter(|v| !seen.contains_key(**v)).collect();
        if missing.is_empty() {
            return Ok(seen);
        }
        let mut tx = self.pool.begin().await?;
        for version in missing {
            sqlx::query(
                "INSERT INTO version_first_seen (name_key, version, first_seen_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name_key, version) DO NOTHING",
            )
            .bind(name_key)
            .bind(*version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        seen = self.read_first_seen(name_key).await?;
        Ok(seen)
    }

    async fn read_first_seen(&self, name_key: &str) -> DbResult<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT version, first_seen_at FROM version_first_seen WHERE name_key = $1")
            .bind(name_key)
            .fetch_all(self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("version")?, r.try_get("first_seen_at")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// What was released early for a package of a feed.
    pub async fn released(&self, feed_id: i64, name_key: &str) -> DbResult<Released> {
        let rows = sqlx::query("SELECT version FROM cooldown_exceptions WHERE feed_id = $1 AND name_key = $2")
            .bind(feed_id)
            .bind(name_key)
            .fetch_all(self.pool)
            .await?;
        let mut released = Released::default();
        for row in rows {
            let version: String = row.try_get("version")?;
            if version.is_empty() {
                released.package = true;
            } else {
                released.versions.insert(version);
            }
        }
        Ok(released)
    }

    /// Releases a version (`None`: the whole package) from the feed's cooldown, with the
    /// reason; releasing again keeps the first reason. Whether it was new.
    pub async fn release(
        &self,
        feed_id: i64,
        name_key: &str,
        version: Option<&str>,
        reason: &str,
        by: Option<i64>,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO cooldown_exceptions (feed_id, name_key, version, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (feed_id, name_key, version) DO NOTHING",
        )
        .bind(feed_id)
        .bind(name_key)
        .bind(version.unwrap_or(""))
        .bind(reason)
        .bind(by)
        .bind(now)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
