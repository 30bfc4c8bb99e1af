//! `wharf admin backup` and `wharf admin restore`: the command line of
//! `wharf_service::backup`, with progress on standard error.

use std::path::Path;

use wharf_db::Db;
use wharf_service::{audit, backup, storage::Storage};

use crate::config::StoreArgs;

fn storage(store: &StoreArgs, url: Option<&str>) -> Result<Storage, String> {
    let url = store.storage(url)?;
    Storage::open(&url).map_err(|e| format!("cannot open the crate file store {url}: {e}"))
}

/// Prints every 100th file and the last.
fn show(what: &'static str) -> impl FnMut(usize, usize) {
    move |done, total| {
        if done % 100 == 0 || done == total {
            eprintln!("{what} {done} of {total} crate files");
        }
    }
}

/// Runs `wharf admin backup --out DIR`; returns the summary.
pub async fn backup(db: &Db, store: &StoreArgs, out: &Path, storage_url: Option<&str>) -> Result<String, String> {
    let storage = storage(store, storage_url)?;
    let manifest = backup::backup(db, &storage, out, show("copied")).await.map_err(|e| e.to_string())?;
    let entry = audit::Entry::instance("instance.backup", out.display().to_string())
        .detail(format!("{} crate files, {} bytes", manifest.files, manifest.bytes));
    audit::write(db, audit::Actor::COMMAND_LINE, &entry).await;
    let mut summary = format!(
        "Backed up {} crate files ({} bytes){} to {}.",
        manifest.files,
        manifest.bytes,
        if manifest.database.is_some() { " and the database" } else { "" },
        out.display()
    );
    if manifest.database.is_none() {
        summary.push_str(
            "\nThe PostgreSQL database is not in it: take it with pg_dump before this command \
             (pg_dump --format=custom --file wharf.pgdump \"$WHARF_DATABASE_URL\"), as the README shows.",
        );
    }
    Ok(summary)
}

/// Runs `wharf admin restore DIR`; returns the summary.
pub async fn restore(store: &StoreArgs, dir: &Path, storage_url: Option<&str>) -> Result<String, String> {
    let storage = storage(store, storage_url)?;
    let restored =
        backup::restore(dir, &store.database_url(), &storage, show("restored")).await.map_err(|e| e.to_string())?;
    Ok(match restored.database {
        Some(path) => format!("Restored the database to {} and {} crate files.", path.display(), restored.files),
        None => format!("Restored {} crate files (the PostgreSQL database comes from pg_restore).", restored.files),
    })
}
