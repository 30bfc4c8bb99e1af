//! Warming a feed from a `Cargo.lock`: every crates.io package it pins is saved into the
//! feed, as cargo's first use would, in a background job that outlives the request. Each
//! file must have the checksum the lockfile pins: the feed's index line is compared
//! before the save, and the save itself checks the bytes against that line. A job takes
//! at most two of the process's [`WARM_PERMITS`] at a time, so a lockfile of a thousand
//! crates never starves cargo's own requests. Starting one needs Collaborator or more on
//! the feed; an account and a feed each have a few jobs running at most, and finished jobs
//! are removed after [`KEEP_DAYS`].

use std::sync::Arc;

use wharf_auth::{FeedAction, FeedStanding, Principal};
use wharf_core::{Role, TokenScope};
use wharf_db::{Feed, Full, JobLimits, Tally, WarmJob, WarmOutcome};
use wharf_index::lockfile::{self, Locked};

use crate::{Authorized, Core, CoreError, CoreResult, FeedRef, audit::Entry, registry::Registry};

/// Saves running at once for every warm job of the process together.
static WARM_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Lockfiles parsed at once in the process (each one's text and what the parser builds
/// are in memory while it runs), as publish bounds its `.crate` checks.
static PARSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// How long a start waits for a parse to be free before it is answered 503.
const PARSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Jobs running (or waiting to) at once for one account, and for one feed.
pub const RUNNING_PER_USER: i64 = 2;
pub const RUNNING_PER_FEED: i64 = 4;

/// Days a finished job is kept, for its report; the hourly sweep removes it after.
pub const KEEP_DAYS: i64 = 7;

/// A job still `running` a day after it started was cut short (its process stopped): it no
/// longer counts against the limits, and the sweep removes it.
const ABANDONED_AFTER: i64 = 86_400;

/// Only accounts with Collaborator or more on the feed (or Wharf administrators) start or
/// follow warm jobs, and a start needs the read & write scope: a bulk save is never
/// anonymous, and never open to every reader of a public feed, even where anonymous cargo
/// may save one crate at a time.
fn may_warm(principal: &Principal, standing: &FeedStanding, starting: bool) -> CoreResult<()> {
    let Principal::User { user, scope, .. } = principal else {
        return Err(wharf_auth::Denied::Unauthenticated.into());
    };
    if starting && *scope == TokenScope::Read {
        return Err(CoreError::forbidden(
            "This token has the Packaging: read scope; warming a feed needs Packaging: read & write.",
        ));
    }
    let everywhere = wharf_auth::authorize_instance(principal, wharf_auth::InstanceAction::ActOnEveryFeed).is_ok();
    if everywhere || standing.role.is_some_and(|r| r >= Role::Collaborator) {
        return Ok(());
    }
    let has = standing.role.map_or_else(|| "no role".to_owned(), |r| format!("the {r} role"));
    Err(CoreError::forbidden(format!(
        "{} has {has} on this feed; warming it needs Collaborator or more: ask one of its Administrators.",
        user.name
    )))
}

/// Whether `principal` may start warming `feed`: the check a request passes before a byte
/// of its lockfile is read.
pub async fn check(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<Authorized> {
    if *principal == Principal::Anonymous {
        return Err(wharf_auth::Denied::Unauthenticated.into());
    }
    let authorized = feed.authorized(core, principal, FeedAction::SaveFromUpstream).await?;
    may_warm(principal, &authorized.standing, true)?;
    Ok(authorized)
}

/// Reads the crates.io packages of a lockfile on a blocking thread, at most [`PARSES`] at
/// once in the process.
async fn parse_bounded(text: &str, index: String) -> CoreResult<Vec<Locked>> {
    let busy = || CoreError::Unavailable {
        message: "Wharf is reading other lockfiles right now; try again in a few seconds.".into(),
        retry_after: 5,
    };
    let permit = tokio::time::timeout(PARSE_WAIT, PARSES.acquire()).await.map_err(|_| busy())?.map_err(|_| busy())?;
    let text = text.to_owned();
    let parsed = tokio::task::spawn_blocking(move || lockfile::crates_io_packages(&text, Some(&index))).await;
    drop(permit);
    let (packages, _) = parsed
        .map_err(|e| CoreError::Internal(Box::new(e)))?
        .map_err(|e| CoreError::invalid("lockfile", e.to_string()))?;
    Ok(packages)
}

/// Starts warming `feed` from the lockfile `text` (Collaborator and up, with the read &
/// write scope); the job, running. At most [`RUNNING_PER_USER`] jobs of one account and
/// [`RUNNING_PER_FEED`] of one feed run at once; past that, `Limited` (429).
pub async fn start(core: &Core, principal: &Principal, feed: &FeedRef, text: &str) -> CoreResult<WarmJob> {
    let Authorized { feed, .. } = check(core, principal, feed).await?;
    let registry = core.registry()?;
    if !feed.has_sources {
        return Err(CoreError::Conflict(format!(
            "Feed '{}' has no upstream source to save packages from: add one in its settings first.",
            feed.name
        )));
    }
    let packages = parse_bounded(text, feed.location().index_url(&core.public_url)).await?;
    if packages.is_empty() {
        return Err(CoreError::invalid("lockfile", "This Cargo.lock pins no package from crates.io."));
    }
    let by = principal.user().map(|u| u.id);
    let limits =
        JobLimits { per_user: RUNNING_PER_USER, per_feed: RUNNING_PER_FEED, since: core.clock.now() - ABANDONED_AFTER };
    let created = core.db.warm_jobs().create(feed.id, packages.len() as i64, by, wharf_db::unix_now(), limits).await?;
    let job = match created {
        Ok(job) => job,
        Err(Full::User) => {
            return Err(CoreError::Limited {
                message: format!(
                    "You have {RUNNING_PER_USER} warm jobs running already: wait until one is done (its page \
                     shows how far it got), then start this one."
                ),
                retry_after: 30,
            });
        }
        Err(Full::Feed) => {
            return Err(CoreError::Limited {
                message: format!(
                    "Feed '{}' has {RUNNING_PER_FEED} warm jobs running already: wait until one is done, then \
                     start this one.",
                    feed.name
                ),
                retry_after: 30,
            });
        }
    };
    let entry =
        Entry::feed("feed.warm", &feed, &feed.name).detail(format!("{} packages from a Cargo.lock", packages.len()));
    core.record(principal, entry).await;
    tracing::info!(feed = %feed.name, job = job.id, packages = packages.len(), "warming from a lockfile");
    let (db, job_id) = (core.db.clone(), job.id);
    // The job runs as its own task: closing the page or dropping the request does not stop it.
    tokio::spawn(crate::audit::within(
        crate::audit::via(),
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
    match registry.download_admitted(feed, &package.name, &package.version, caller).await {
        // The file is stored once the download answers; its body is not needed here.
        Ok(_) => WarmOutcome::Saved,
        Err(e) => failed(e.to_string()),
    }
}

/// A job of the feed (Collaborator and up, as starting one; any token scope).
pub async fn get(core: &Core, principal: &Principal, feed: &FeedRef, id: i64) -> CoreResult<WarmJob> {
    if *principal == Principal::Anonymous {
        return Err(wharf_auth::Denied::Unauthenticated.into());
    }
    let Authorized { feed, standing, .. } = feed.authorized(core, principal, FeedAction::SaveFromUpstream).await?;
    may_warm(principal, &standing, false)?;
    Ok(core.db.warm_jobs().get(feed.id, id).await?)
}

/// Removes the jobs finished more than [`KEEP_DAYS`] before `now`, and those a stopped
/// process left running (the hourly housekeeping); how many.
pub async fn sweep(core: &Core, now: i64) -> CoreResult<u64> {
    Ok(core.db.warm_jobs().sweep(now - KEEP_DAYS * 86_400, now - ABANDONED_AFTER).await?)
}

#[cfg(test)]
mod tests {
    /// While every parse permit is taken, a parse waits; it runs once one is free.
    #[tokio::test]
    async fn parses_wait_for_a_free_permit() {
        let lockfile = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        let held = super::PARSES.acquire_many(2).await.unwrap();
        let parse = super::parse_bounded(lockfile, "https://x/".into());
        let waited = tokio::time::timeout(std::time::Duration::from_millis(300), parse).await;
        assert!(waited.is_err(), "no parse runs while every permit is taken");
        drop(held);
        assert!(super::parse_bounded(lockfile, "https://x/".into()).await.is_ok());
    }
}
