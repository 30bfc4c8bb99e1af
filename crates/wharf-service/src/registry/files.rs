//! The life of a stored crate file, shared by every feed holding it: written under a
//! writer's mark, deleted only under the file's lock when nothing refers to it (the rules
//! are in `wharf_db::crate_files`; they hold across replicas).

use wharf_db::{DbError, Removal};

use super::Registry;

/// Unreferenced files looked at per housekeeping round.
const SWEEP_BATCH: i64 = 1000;

impl Registry {
    /// Marks `cksum` as being written: from now until the version is recorded (which ends
    /// the mark) or [`Registry::end_write`], no one deletes the file, on any replica. Call
    /// it before storing the file.
    pub(super) async fn begin_write(&self, cksum: &str) -> Result<(), DbError> {
        self.db.crate_files().acquire(cksum).await
    }

    /// Ends a write begun with [`Registry::begin_write`] that recorded no version; the file
    /// goes when that leaves nothing referring to it (a refused publish, a failed save).
    pub(super) async fn end_write(&self, cksum: &str) {
        match self.db.crate_files().release(cksum).await {
            Ok(Some(removal)) => {
                self.remove(cksum, removal).await;
            }
            Ok(None) => {}
            // The mark lapses with its lease; housekeeping collects the file then.
            Err(e) => tracing::warn!(error = ?e, %cksum, "could not end a crate file's write mark"),
        }
    }

    /// Deletes the file when nothing refers to it and no one is writing it; whether it went.
    pub(super) async fn collect(&self, cksum: &str) -> Result<bool, DbError> {
        Ok(match self.db.crate_files().claim_unreferenced(cksum).await? {
            Some(removal) => self.remove(cksum, removal).await,
            None => false,
        })
    }

    /// Collects what no version refers to any more (purged versions, deleted feeds, writers
    /// that crashed); answers how many files went.
    pub(super) async fn sweep_files(&self) -> Result<usize, DbError> {
        let mut removed = 0;
        for cksum in self.db.crate_files().unreferenced(SWEEP_BATCH).await? {
            if self.collect(&cksum).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes the object while `removal` holds the file's lock, then commits. On a failure
    /// the transaction rolls back and the row stays, to be collected later.
    async fn remove(&self, cksum: &str, removal: Removal) -> bool {
        if let Err(e) = self.storage.delete(cksum).await {
            tracing::warn!(error = %e, %cksum, "could not delete an unreferenced crate file");
            return false;
        }
        match removal.commit().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = ?e, %cksum, "could not record a crate file's deletion");
                false
            }
        }
    }
}
