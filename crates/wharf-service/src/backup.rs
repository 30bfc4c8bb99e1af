//! Backups of a whole instance, taken while it runs, and their restore.
//!
//! A backup directory holds:
//! - `wharf.db`: on SQLite, a consistent copy of the database (`VACUUM INTO`, one
//!   moment's state, while writers go on);
//! - `storage/`: every stored crate file, in the layout of a `file://` store (each named by
//!   its sha256, checked as it is copied);
//! - `storage-listing.txt`: `sha256 size` of every file, for an operator who backs the
//!   bucket up by other means;
//! - `wharf-backup.json`, written last: a directory without it is not a whole backup.
//!
//! The database is copied first, the files after: files are never changed, only added, and
//! one is deleted only when no version refers to it; so every file the copy of the
//! database refers to is still there to be copied, unless its version was purged in
//! between, which the backup checks (and then fails, to be run again).
//!
//! On PostgreSQL, Wharf copies the files and the listing; the database is backed up with
//! `pg_dump` (the README's recipe), and restored with `pg_restore` before `wharf admin
//! restore` puts the files back.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wharf_db::{Backend, Db, DbError};

use crate::storage::Storage;

/// The backup format this Wharf writes and restores.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "wharf-backup.json";
pub const DATABASE: &str = "wharf.db";
pub const STORAGE: &str = "storage";
pub const LISTING: &str = "storage-listing.txt";

/// What a backup directory says of itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    pub generator: String,
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// The database copy's file name, when Wharf copied the database (SQLite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    pub files: usize,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Invalid(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("the crate file store failed: {0}")]
    Storage(#[source] object_store::Error),
    #[error("the database failed: {0}")]
    Db(#[from] DbError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// A stored file, whole, checked against its name.
async fn read_checked(storage: &Storage, cksum: &str) -> Result<Bytes, BackupError> {
    let (_, mut stream) = storage.get(cksum).await.map_err(BackupError::Storage)?;
    let mut bytes = Vec::new();
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BackupError::Storage)?;
        hasher.update(&chunk);
        bytes.extend_from_slice(&chunk);
    }
    if hex::encode(hasher.finalize()) != cksum {
        return Err(BackupError::Invalid(format!(
            "the stored file {cksum} does not match its name; the store is damaged"
        )));
    }
    Ok(Bytes::from(bytes))
}

/// Copies every file of `from` into `to` that `to` does not hold whole; `progress` hears
/// `(done, total)`. Returns the files and their bytes.
async fn copy_files(
    from: &Storage,
    to: &Storage,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<(String, u64)>, BackupError> {
    let files = from.list().await.map_err(BackupError::Storage)?;
    let mut copied = Vec::with_capacity(files.len());
    for (i, cksum) in files.iter().enumerate() {
        let bytes = read_checked(from, cksum).await?;
        let size = bytes.len() as u64;
        if !to.holds(cksum).await {
            to.put(cksum, bytes).await.map_err(BackupError::Storage)?;
        }
        copied.push((cksum.clone(), size));
        progress(i + 1, files.len());
    }
    Ok(copied)
}

/// Backs up the instance on `db` and `storage` into `dir`, which must be new or empty.
pub async fn backup(
    db: &Db,
    storage: &Storage,
    dir: &Path,
    progress: impl FnMut(usize, usize),
) -> Result<Manifest, BackupError> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(BackupError::Invalid(format!("{} is not empty; back up into a new directory", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    let database = match db.backend() {
        Backend::Sqlite => {
            db.sqlite_backup_into(&dir.join(DATABASE)).await?;
            Some(DATABASE.to_owned())
        }
        Backend::Postgres => None,
    };
    let target = Storage::local(&dir.join(STORAGE)).map_err(io("cannot create the backup's storage directory"))?;
    let files = copy_files(storage, &target, progress).await?;
    if database.is_some() {
        // Every file the copy of the database refers to must be in the backup.
        let url = format!("sqlite://{}?mode=rw", dir.join(DATABASE).display());
        let copy = Db::connect(&url).await?;
        let referenced = copy.referenced_files().await;
        copy.close().await;
        let held: HashSet<&str> = files.iter().map(|(c, _)| c.as_str()).collect();
        if let Some(missing) = referenced?.iter().find(|c| !held.contains(c.as_str())) {
            return Err(BackupError::Invalid(format!(
                "the file {missing} went from the store while the backup ran (its version was purged); run the backup again"
            )));
        }
    }
    let listing: String = files.iter().map(|(c, size)| format!("{c} {size}\n")).collect();
    std::fs::write(dir.join(LISTING), listing).map_err(io("cannot write the storage listing"))?;
    let manifest = Manifest {
        format: FORMAT,
        generator: format!("wharf {}", env!("CARGO_PKG_VERSION")),
        created_at: crate::rfc3339(wharf_db::unix_now()),
        engine: match db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_owned(),
        database,
        files: files.len(),
        bytes: files.iter().map(|(_, size)| size).sum(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Invalid(e.to_string()))?;
    std::fs::write(dir.join(MANIFEST), json).map_err(io("cannot write the backup's manifest"))?;
    Ok(manifest)
}

/// Reads a backup directory's manifest.
pub fn manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| {
        BackupError::Invalid(format!("{} is not a whole Wharf backup: cannot read {MANIFEST} ({e})", dir.display()))
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| BackupError::Invalid(format!("{MANIFEST} cannot be read: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Invalid(format!(
            "the backup is of format {}, this Wharf restores format {FORMAT}",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// The file of a `sqlite://PATH[?…]` URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path)).filter(|p| !p.as_os_str().is_empty())
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the database copy went (SQLite), if Wharf restored it.
    pub database: Option<PathBuf>,
    pub files: usize,
}

/// Restores the backup in `dir` to the database at `database_url` and to `storage`, with
/// no server running on them. A SQLite database file must not exist yet (nothing is
/// overwritten); a PostgreSQL database is restored with `pg_restore` first.
pub async fn restore(
    dir: &Path,
    database_url: &str,
    storage: &Storage,
    progress: impl FnMut(usize, usize),
) -> Result<Restored, BackupError> {
    let manifest = manifest(dir)?;
    // Checked before anything is written.
    let database = match (manifest.database.as_deref(), Backend::from_url(database_url)?) {
        (Some(file), Backend::Sqlite) => {
            let target = sqlite_path(database_url)
                .ok_or_else(|| BackupError::Invalid(format!("{database_url} names no database file")))?;
            if target.exists() {
                return Err(BackupError::Invalid(format!(
                    "{} exists; restore into a new data directory (or move the database away first)",
                    target.display()
                )));
            }
            Some((dir.join(file), target))
        }
        (Some(_), Backend::Postgres) => {
            return Err(BackupError::Invalid(
                "this backup holds a SQLite database; restore it to a sqlite:// database URL".into(),
            ));
        }
        (None, Backend::Sqlite) => {
            return Err(BackupError::Invalid(
                "this backup of a PostgreSQL instance holds no database; restore its pg_dump with pg_restore and \
                 point --database-url at that PostgreSQL database"
                    .into(),
            ));
        }
        (None, Backend::Postgres) => None,
    };
    // The files first (copying one again changes nothing), the database last: a restore
    // that stops half-way leaves no database that refers to missing files.
    let from = Storage::local(&dir.join(STORAGE)).map_err(io("cannot open the backup's storage directory"))?;
    let files = copy_files(&from, storage, progress).await?;
    if files.len() != manifest.files {
        return Err(BackupError::Invalid(format!(
            "the backup lists {} files but holds {}; it is damaged",
            manifest.files,
            files.len()
        )));
    }
    let database = match database {
        Some((copy, target)) => {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(format!("cannot create {}", parent.display())))?;
            }
            let partial = target.with_extension("restoring");
            std::fs::copy(&copy, &partial).map_err(io(format!("cannot copy the database to {}", partial.display())))?;
            std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io("cannot write the database"))?;
            std::fs::rename(&partial, &target).map_err(io(format!("cannot write {}", target.display())))?;
            Some(target)
        }
        None => None,
    };
    Ok(Restored { database, files: files.len() })
}
