//! Security advisories: importing the RustSec database (Wharf administrators), and which
//! versions a feed holds that they affect. What the feeds then do with those versions
//! (warn, hide, block) is applied where cargo is served, in `registry::advisories`.

use std::path::Path;

use wharf_auth::{FeedAction, Principal};
use wharf_db::{AdvisoryRow, Imported};
use wharf_index::advisory::{self, Advisory, ArchiveError};

use crate::{
    Authorized, Change, Core, CoreError, CoreResult, FeedRef, PackageRef,
    audit::{Actor, Entry},
};

/// Largest tarball an upload or a fetch may carry.
pub const MAX_TARBALL: usize = 64 * 1024 * 1024;

/// Where an import reads from.
#[derive(Debug, Clone, Copy)]
pub enum ImportFrom<'a> {
    /// A `.tar.gz` of the advisory-db layout (uploaded, or fetched).
    Tarball(&'a [u8]),
    /// A checkout of the advisory-db repository on this machine.
    Directory(&'a Path),
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub imported: Imported,
    /// Advisories read (withdrawn ones among them).
    pub read: usize,
    /// Files that are not advisories, each with why.
    pub rejected: Vec<String>,
    /// Advisories kept after the import.
    pub total: i64,
}

/// Refuses anyone but a Wharf administrator: the check an upload passes before a byte of
/// its body is read.
pub fn may_import(principal: &Principal) -> CoreResult<()> {
    Ok(wharf_auth::authorize_instance(principal, wharf_auth::InstanceAction::ImportAdvisories)?)
}

/// Imports advisories (Wharf administrators): adds new ones, updates changed ones and
/// removes withdrawn ones. Files that are not valid advisories are reported and skipped.
pub async fn import(core: &Core, principal: &Principal, from: ImportFrom<'_>) -> CoreResult<ImportReport> {
    may_import(principal)?;
    import_as(core, Actor::of(principal), from).await
}

/// Imports a `.tar.gz` that arrives in chunks (an upload; Wharf administrators), unpacked
/// as it arrives and never held whole. The sender ends the chunks with an error when the
/// upload breaks off or grows past [`MAX_TARBALL`]; that error is the answer then.
pub async fn import_chunks(
    core: &Core,
    principal: &Principal,
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
) -> CoreResult<ImportReport> {
    may_import(principal)?;
    let reader = ChunkReader { chunks, current: bytes::Bytes::new() };
    let read = tokio::task::spawn_blocking(move || advisory::read_tarball(reader)).await;
    let report = keep(&core.db, Actor::of(principal), read).await?;
    core.announce(Change::AdvisoriesImported);
    Ok(report)
}

/// A blocking reader over chunks sent from async code (read on a blocking thread).
struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// [`import`] without the check (the scheduled fetch), announced to this replica.
pub async fn import_as(core: &Core, actor: Actor<'_>, from: ImportFrom<'_>) -> CoreResult<ImportReport> {
    let report = store(&core.db, actor, from).await?;
    core.announce(Change::AdvisoriesImported);
    Ok(report)
}

/// Reads and stores advisories, and writes the audit record; announcing the change is the
/// caller's (the command line tells running servers through the database).
pub async fn store(db: &wharf_db::Db, actor: Actor<'_>, from: ImportFrom<'_>) -> CoreResult<ImportReport> {
    let read = match from {
        ImportFrom::Tarball(bytes) => {
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || advisory::read_tarball(bytes.as_slice())).await
        }
        ImportFrom::Directory(dir) => {
            let dir = dir.to_owned();
            tokio::task::spawn_blocking(move || advisory::read_dir(&dir)).await
        }
    };
    keep(db, actor, read).await
}

/// Stores what was read, and writes the audit record.
async fn keep(
    db: &wharf_db::Db,
    actor: Actor<'_>,
    read: Result<Result<advisory::Loaded, ArchiveError>, tokio::task::JoinError>,
) -> CoreResult<ImportReport> {
    let read = read.map_err(|e| CoreError::Internal(Box::new(e)))?.map_err(|e| match e {
        ArchiveError::Io(..) => CoreError::invalid("path", e.to_string()),
        e => CoreError::invalid("archive", e.to_string()),
    })?;
    let (withdrawn, in_force): (Vec<&Advisory>, Vec<&Advisory>) = read.advisories.iter().partition(|a| a.withdrawn);
    let rows: Vec<AdvisoryRow> = in_force.iter().map(|a| row(a)).collect();
    let withdrawn: Vec<String> = withdrawn.iter().map(|a| a.id.clone()).collect();
    let imported = db.advisories().import(&rows, &withdrawn, wharf_db::unix_now()).await?;
    let report = ImportReport {
        imported,
        read: read.advisories.len(),
        rejected: read.rejected.iter().map(ToString::to_string).collect(),
        total: db.advisories().count().await?,
    };
    tracing::info!(
        read = report.read,
        added = imported.added,
        updated = imported.updated,
        removed = imported.removed,
        rejected = report.rejected.len(),
        "advisories imported"
    );
    let entry = Entry::instance("advisories.import", format!("{} advisories", report.read)).detail(format!(
        "{} added, {} updated, {} removed, {} unchanged, {} files rejected",
        imported.added,
        imported.updated,
        imported.removed,
        imported.unchanged,
        report.rejected.len()
    ));
    crate::audit::write(db, actor, &entry).await;
    Ok(report)
}

/// Fetches the advisory-db tarball at `url` and imports it (the scheduled fetch; the
/// audit log names Wharf itself).
pub async fn fetch_and_import(core: &Core, client: &reqwest::Client, url: &str) -> CoreResult<ImportReport> {
    use futures_util::StreamExt;
    let failed = |why: String| CoreError::Unavailable { message: format!("fetching {url}: {why}"), retry_after: 3600 };
    let response = client.get(url).send().await.map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("it answered {}", response.status())));
    }
    if response.content_length().is_some_and(|n| n > MAX_TARBALL as u64) {
        return Err(failed(format!("larger than {} MiB", MAX_TARBALL / (1024 * 1024))));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| failed(e.to_string()))?;
        if body.len() + chunk.len() > MAX_TARBALL {
            return Err(failed(format!("larger than {} MiB", MAX_TARBALL / (1024 * 1024))));
        }
        body.extend_from_slice(&chunk);
    }
    import_as(core, Actor::SYSTEM, ImportFrom::Tarball(&body)).await
}

fn row(a: &Advisory) -> AdvisoryRow {
    AdvisoryRow {
        id: a.id.clone(),
        package: a.package.to_ascii_lowercase(),
        title: a.title.clone(),
        url: a.url.clone(),
        date: a.date.clone(),
        kind: a.kind.clone(),
        severity: a.severity.clone(),
        cvss: a.cvss.clone(),
        patched: a.patched.clone(),
        unaffected: a.unaffected.clone(),
        aliases: a.aliases.clone(),
    }
}

/// The advisory a row keeps, to judge versions with and to show. Its link is checked again
/// on the way out: a row stored before imports checked it may hold any scheme.
pub fn advisory_of(row: &AdvisoryRow) -> Advisory {
    Advisory {
        id: row.id.clone(),
        package: row.package.clone(),
        title: row.title.clone(),
        url: advisory::page_url(&row.id, Some(&row.url)),
        date: row.date.clone(),
        kind: row.kind.clone(),
        severity: row.severity.clone(),
        cvss: row.cvss.clone(),
        patched: row.patched.clone(),
        unaffected: row.unaffected.clone(),
        aliases: row.aliases.clone(),
        withdrawn: false,
    }
}

/// A version a feed holds that an advisory affects.
#[derive(Debug, Clone)]
pub struct Affected {
    pub package: String,
    pub version: String,
    pub advisory: Advisory,
}

/// Whether any advisory database was ever loaded: without one, "nothing is affected" says
/// nothing.
pub async fn loaded(core: &Core) -> CoreResult<bool> {
    Ok(core.db.advisories().count().await? > 0)
}

/// Every saved upstream version of the feed an advisory in force affects (readers of the
/// feed): its Security page. Informational advisories (unmaintained, unsound, notices) are
/// shown with the package only.
pub async fn of_feed(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<Vec<Affected>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Read).await?;
    Ok(core
        .db
        .advisories()
        .concerning_feed(feed.id)
        .await?
        .into_iter()
        .map(|c| Affected { advisory: advisory_of(&c.advisory), package: c.package, version: c.version })
        .filter(|a| a.advisory.is_in_force() && a.advisory.affects(&a.version))
        .collect())
}

/// The advisories about a package, each with the versions of `versions` it affects
/// (readers): the package page's marks.
pub async fn of_package(core: &Core, principal: &Principal, package: &PackageRef) -> CoreResult<Vec<Advisory>> {
    package.feed.authorized(core, principal, FeedAction::Read).await?;
    Ok(core.db.advisories().of_package(&package.key()).await?.iter().map(advisory_of).collect())
}
