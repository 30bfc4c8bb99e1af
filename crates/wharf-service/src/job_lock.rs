//! The job lock: one replica at a time runs an exclusive job. A leaf module, so the
//! operations that take a lock themselves (`retention::apply`,
//! `Registry::purge_recycle_bins`) need not know the jobs that call them.

use std::future::Future;

use wharf_db::{Db, DbError};

/// The `retention` job's name, also its lock's: [`crate::retention::apply`] takes it too.
pub const RETENTION: &str = "retention";
/// The `purge-recycle-bins` job's name, also its lock's:
/// [`crate::registry::Registry::purge_recycle_bins`] takes it too.
pub const PURGE_RECYCLE_BINS: &str = "purge-recycle-bins";

/// Runs `work` while holding the job lock `name`, so that one replica at a time runs it;
/// `None` (and `work` not run) when another replica holds the lock. The only place that
/// takes a job lock: the runner goes through it, and so do the functions tests call
/// directly (`retention::apply`, `Registry::purge_recycle_bins`).
pub async fn exclusively<T, E>(db: &Db, name: &str, work: impl Future<Output = Result<T, E>>) -> Result<Option<T>, E>
where
    E: From<DbError>,
{
    let Some(lock) = db.try_job_lock(name).await? else { return Ok(None) };
    let outcome = work.await;
    lock.release().await;
    outcome.map(Some)
}
