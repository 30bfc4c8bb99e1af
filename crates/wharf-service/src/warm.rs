//! Warming a feed from a `Cargo.lock`: every crates.io package it pins is saved into the
//! feed, as cargo's first use would, in a background job that outlives the request. Each
//! file must have the checksum the lockfile pins: the feed's index line is compared
//! before the save, and the save itself checks the bytes against that line. A job takes
//! at most two of the process's [`WARM_PERMITS`] at a time, so a lockfile of a thousand
//! crates never starves cargo's own requests.

use std::sync::Arc;

use wharf_auth::{FeedAction, Principal};
use wharf_db::{Feed, Tally, WarmJob, WarmOutcome};
use wharf_index::lockfile::{self, Locked};

use crate::{Authorized, Core, CoreError, CoreResult, FeedRef, audit::Entry, registry::Registry};

/// Saves running at once for every warm job of the process together.
static WARM_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Only accounts start or follow warm jobs: a bulk save is never anonymous, even where
/// anonymous cargo may save one crate at a time.
fn signed_in(principal: &Principal) -> CoreResult<()> {
    match principal {
        Principal::Anonymous => Err(wharf_auth::Denied::Unauthenticated.into()),
        Principal::User { .. } => Ok(()),
    }
}

/// Starts warming `feed` from the lockfile `text` (Collaborator and up: saving from the
/// upstream); the job, running.
pub async fn start(
    core: &Core,
    registry: Arc<Registry>,
    principal: &Principal,
    feed: &FeedRef,
    text: &str,
) -> CoreResult<WarmJob> {
    signed_in(principal)?;
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::SaveFromUpstream).await?;
    if !feed.upstream_enabled {
        return Err(CoreError::Conflict(format!(
            "Feed '{}' has no upstream source to save packages from: add one in its settings first.",
            feed.name
        )));
    }
    let index = feed.location().index_url(&core.public_url);
    let (packages, _) =
        lockfile::crates_io_packages(text, Some(&index)).map_err(|e| CoreError::invalid("lockfile", e.to_string()))?;
    if packages.is_empty() {
        return Err(CoreError::invalid("lockfile", "This Cargo.lock pins no package from crates.io."));
    }
    let by = principal.user().map(|u| u.id);
    let job = core.db.warm_jobs().create(feed.id, packages.len() as i64, by, wharf_db::unix_now()).await?;
    let entry =
        Entry::feed("feed.warm", &feed, &feed.name).detail(format!("{} packages from a Cargo.lock", packages.len()));
    core.record(principal, entry).await;
    tracing::info!(feed = %feed.name, job = job.id, packages = packages.len(), "warming from a lockfile");
    let (db, job_id) = (core.db.clone(), job.id);
    // The job runs as its own task: closing the page or dropping the request does not stop it.
    tokio::spawn(crate::audit::within(
        crate::audit::origin(),
        run(db, registry, Arc::new(feed), job_id, packages, Arc::new(principal.clone())),
    ));
    Ok(job)
}

/// Who started a job: it saves as them, through the feed sources they may read.
type Starter = Arc<Principal>;

async fn run(
    db: wharf_db::Db,
    registry: Arc<Registry>,
    feed: Arc<Feed>,
    job: i64,
    packages: Vec<Locked>,
    starter: Starter,
) {
    use futures_util::StreamExt;
    let packages_total = packages.len();
    let outcomes = futures_util::stream::iter(packages)
        .map(|package| {
            let (db, registry, feed, starter) = (db.clone(), registry.clone(), feed.clone(), starter.clone());
            async move {
                let _permit = WARM_PERMITS.acquire().await;
                let outcome = warm_one(&db, &registry, &feed, &package, &starter).await;
                (package, outcome)
            }
        })
        .buffer_unordered(2);
    futures_util::pin_mut!(outcomes);
    let mut tally = Tally::default();
    let mut left = packages_total;
    while let Some((package, outcome)) = outcomes.next().await {
        if let WarmOutcome::Failed { reason, .. } = &outcome {
            tracing::info!(krate = %package.name, version = %package.version, reason, "warming: not saved");
        }
        tally.count(outcome);
        left -= 1;
        if left > 0
            && let Err(e) = db.warm_jobs().progress(job, &tally, false, wharf_db::unix_now()).await
        {
            tracing::warn!(error = %e, job, "warming: the progress could not be recorded; the next count will");
        }
    }
    // The last write carries every count and the end: tried until it lands (a few times).
    for attempt in 1..=5 {
        match db.warm_jobs().progress(job, &tally, true, wharf_db::unix_now()).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, job, attempt, "warming: the end of the job could not be recorded");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
        }
    }
}

async fn warm_one(
    db: &wharf_db::Db,
    registry: &Registry,
    feed: &Feed,
    package: &Locked,
    caller: &Principal,
) -> WarmOutcome {
    let failed =
        |reason: String| WarmOutcome::Failed { name: package.name.clone(), version: package.version.clone(), reason };
    let file = match registry.index_file(feed, &package.name.to_ascii_lowercase(), caller).await {
        Ok((rendered, _)) => rendered,
        Err(e) => return failed(e.to_string()),
    };
    let line = wharf_index::lines(&file.body).map(|(_, l)| l).find(|l| l.vers == package.version);
    match line {
        None => return failed("the feed's index does not offer this version (held back, hidden or unknown)".into()),
        Some(line) if !line.cksum.eq_ignore_ascii_case(&package.checksum) => {
            return failed(format!(
                "checksum mismatch: the lockfile pins {}, the feed's index has {}; nothing was saved",
                package.checksum, line.cksum
            ));
        }
        Some(_) => {}
    }
    let key = package.name.to_ascii_lowercase();
    match db.packages().find_version(feed.id, &key, &package.version).await {
        Ok(Some(_)) => return WarmOutcome::Present,
        Ok(None) => {}
        Err(e) => return failed(e.to_string()),
    }
    match registry.download(feed, &package.name, &package.version, Ok(()), caller).await {
        // The file is stored once the download answers; its body is not needed here.
        Ok(_) => WarmOutcome::Saved,
        Err(e) => failed(e.to_string()),
    }
}

/// A job of the feed (readers of the feed who may save: the job's own kind).
pub async fn get(core: &Core, principal: &Principal, feed: &FeedRef, id: i64) -> CoreResult<WarmJob> {
    signed_in(principal)?;
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::SaveFromUpstream).await?;
    Ok(core.db.warm_jobs().get(feed.id, id).await?)
}
