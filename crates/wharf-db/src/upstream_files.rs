//! The last good copy of each upstream index file, shared by every replica and kept across
//! restarts.

use sqlx::{AnyPool, Row};

use crate::DbResult;

/// An upstream index file as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIndexFile {
    /// `None`: the upstream does not know the crate.
    pub body: Option<Vec<u8>>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the upstream last confirmed this copy (Unix seconds).
    pub checked_at: i64,
}

/// Reads and writes `upstream_index_files`.
pub struct UpstreamFileRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> UpstreamFileRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The copy of `name`'s file from the upstream whose index is `upstream`.
    pub async fn get(&self, upstream: &str, name: &str) -> DbResult<Option<StoredIndexFile>> {
        let row = sqlx::query(
            "SELECT body, etag, last_modified, checked_at FROM upstream_index_files WHERE upstream = $1 AND name = $2",
        )
        .bind(upstream)
        .bind(name)
        .fetch_optional(self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(StoredIndexFile {
            body: row.try_get("body")?,
            etag: row.try_get("etag")?,
            last_modified: row.try_get("last_modified")?,
            checked_at: row.try_get("checked_at")?,
        }))
    }

    /// Keeps `file` as the copy of `name`'s file, unless a copy checked later is kept already
    /// (two replicas may write one after the other in either order).
    pub async fn put(&self, upstream: &str, name: &str, file: &StoredIndexFile) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO upstream_index_files (upstream, name, body, etag, last_modified, checked_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (upstream, name) DO UPDATE SET body = excluded.body, etag = excluded.etag, \
             last_modified = excluded.last_modified, checked_at = excluded.checked_at \
             WHERE upstream_index_files.checked_at <= excluded.checked_at",
        )
        .bind(upstream)
        .bind(name)
        .bind(file.body.clone())
        .bind(file.etag.clone())
        .bind(file.last_modified.clone())
        .bind(file.checked_at)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Notes that the upstream confirmed the kept copy (a `304`) at `at`; `false` when no
    /// copy is kept.
    pub async fn confirm(&self, upstream: &str, name: &str, at: i64) -> DbResult<bool> {
        let exists = sqlx::query("SELECT 1 FROM upstream_index_files WHERE upstream = $1 AND name = $2")
            .bind(upstream)
            .bind(name)
            .fetch_optional(self.pool)
            .await?
            .is_some();
        if !exists {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE upstream_index_files SET checked_at = $1 WHERE upstream = $2 AND name = $3 AND checked_at < $1",
        )
        .bind(at)
        .bind(upstream)
        .bind(name)
        .execute(self.pool)
        .await?;
        Ok(true)
    }
}
