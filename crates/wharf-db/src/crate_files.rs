//! Stored crate files, one per sha256 however many feeds hold it, and the discipline that
//! keeps a file while anything needs it. It holds across replicas, because every step is a
//! transaction in the one database:
//!
//! - A **writer** (a publish, a save from the upstream) calls [`CrateFileRepo::acquire`]
//!   before it stores the file: a committed `writers + 1` on the file's row (created if
//!   missing). Recording its version (`PackageRepo::publish`, `record`) ends the mark in
//!   the same transaction; when it records nothing, it calls [`CrateFileRepo::release`].
//! - A file's **references** are the `package_versions` rows with its cksum (recycle-bin
//!   versions included), so a feed's deletion or a purge drops them with the rows.
//! - A **deleter** ([`CrateFileRepo::release`] of the last writer, or
//!   [`CrateFileRepo::claim_unreferenced`]) locks the row, checks that no writer holds a
//!   lease and no version refers to the file, deletes the row, and hands back a
//!   [`Removal`]: the caller deletes the object **while the transaction is still open**
//!   and commits after. A writer's `acquire` waits for that lock; it then creates a new row
//!   and stores the file again after the delete is done. (Deleting after the commit would
//!   let a writer store the file in between, and the late delete remove it.)

use sqlx::{Any, AnyPool, Row, Transaction};

use crate::{DbResult, now};

/// How long a writer's mark protects a file: far longer than any write takes (uploads and
/// upstream fetches have timeouts), so only a writer that crashed stops counting.
pub const WRITER_LEASE_SECS: i64 = 3600;

/// The lock on one unreferenced file, its row already deleted in the open transaction.
/// Delete the object, then [`Removal::commit`]; dropping it rolls back and keeps the row.
#[must_use = "delete the object, then commit"]
pub struct Removal {
    tx: Transaction<'static, Any>,
}

impl Removal {
    /// Ends the removal once the object is gone.
    pub async fn commit(self) -> DbResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Reads and writes the `crate_files` rows.
pub struct CrateFileRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> CrateFileRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Marks the file as being written, in a committed transaction: no deleter removes it
    /// until [`CrateFileRepo::release`]. Waits while a deleter holds the row.
    pub async fn acquire(&self, cksum: &str) -> DbResult<()> {
        let ts = now();
        sqlx::query(
            "INSERT INTO crate_files (cksum, writers, lease_until) VALUES ($1, 1, $2) \
             ON CONFLICT (cksum) DO UPDATE SET \
             writers = CASE WHEN crate_files.lease_until < $3 THEN 1 ELSE crate_files.writers + 1 END, \
             lease_until = CASE WHEN crate_files.lease_until > $2 THEN crate_files.lease_until ELSE $2 END",
        )
        .bind(cksum)
        .bind(ts + WRITER_LEASE_SECS)
        .bind(ts)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Ends one writer's mark. When that leaves the file with no writer and no reference
    /// (a refused publish, a failed save), its removal is handed back.
    pub async fn release(&self, cksum: &str) -> DbResult<Option<Removal>> {
        let mut tx = self.pool.begin().await?;
        // The write comes first: it takes the row's lock (on SQLite the write lock).
        let locked = sqlx::query("UPDATE crate_files SET writers = writers - 1 WHERE cksum = $1 AND writers > 0")
            .bind(cksum)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            // Not marked (an expired lease was taken over, or no row): nothing of ours to end.
            tx.commit().await?;
            return Ok(None);
        }
        removable(tx, cksum).await
    }

    /// The removal of a file nothing refers to and nobody is writing, if so.
    pub async fn claim_unreferenced(&self, cksum: &str) -> DbResult<Option<Removal>> {
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query("UPDATE crate_files SET writers = writers WHERE cksum = $1")
            .bind(cksum)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(None);
        }
        removable(tx, cksum).await
    }

    /// Up to `limit` files that look unreferenced and unwritten (each is checked again
    /// under its lock by [`CrateFileRepo::claim_unreferenced`]).
    pub async fn unreferenced(&self, limit: i64) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT c.cksum FROM crate_files c WHERE (c.writers <= 0 OR c.lease_until < $1) \
             AND NOT EXISTS (SELECT 1 FROM package_versions v WHERE v.cksum = c.cksum) ORDER BY c.cksum LIMIT $2",
        )
        .bind(now())
        .bind(limit)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("cksum")).collect::<Result<_, _>>()?)
    }

    /// Whether the database knows the file (for tests and checks).
    pub async fn exists(&self, cksum: &str) -> DbResult<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM crate_files WHERE cksum = $1")
            .bind(cksum)
            .fetch_optional(self.pool)
            .await?;
        Ok(row.is_some())
    }
}

/// Ends one writer's mark inside the transaction that records the writer's version, so
/// that a deleter sees either the mark or the reference, never neither.
pub(crate) async fn end_mark(tx: &mut Transaction<'static, Any>, cksum: &str) -> DbResult<()> {
    sqlx::query("UPDATE crate_files SET writers = writers - 1 WHERE cksum = $1 AND writers > 0")
        .bind(cksum)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// With the row locked by `tx`: deletes it and hands back the removal when no writer holds
/// a lease and no version refers to the file; else ends the transaction and answers `None`.
async fn removable(mut tx: Transaction<'static, Any>, cksum: &str) -> DbResult<Option<Removal>> {
    // Each statement sees every commit made before it (PostgreSQL: read committed), and
    // no writer can commit a new mark while the lock is held.
    let row = sqlx::query("SELECT writers, lease_until FROM crate_files WHERE cksum = $1")
        .bind(cksum)
        .fetch_one(&mut *tx)
        .await?;
    let (writers, lease_until): (i64, i64) = (row.try_get("writers")?, row.try_get("lease_until")?);
    let referenced = sqlx::query("SELECT 1 AS one FROM package_versions WHERE cksum = $1 LIMIT 1")
        .bind(cksum)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if referenced || (writers > 0 && lease_until >= now()) {
        tx.commit().await?;
        return Ok(None);
    }
    sqlx::query("DELETE FROM crate_files WHERE cksum = $1").bind(cksum).execute(&mut *tx).await?;
    Ok(Some(Removal { tx }))
}
