//! Wharf's background jobs, declared in one table ([`all`]) and run by one runner
//! ([`spawn_all`]). Each job says its name, how often it runs and whether one replica at a
//! time runs it; the runner alone loops on the intervals, takes the database job lock for
//! the exclusive ones ([`exclusively`], the only caller of [`Db::try_job_lock`]), logs every
//! outcome with the job's name and stops once the registry is dropped.

use std::{
    future::Future,
    sync::{Arc, Weak},
    time::Duration,
};

use futures_util::future::BoxFuture;
use wharf_db::DbError;

use crate::{Core, CoreResult, registry::Registry};

pub use crate::job_lock::{PURGE_RECYCLE_BINS, RETENTION, exclusively};

/// Whether a job runs on one replica at a time or on every replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// On one replica at a time: a tick runs the job only if it takes the job lock named
    /// after the job (PostgreSQL's advisory lock; SQLite has one process, which always
    /// takes it).
    Exclusive,
    /// On every replica, each on its own part of the work (its own download counts, its
    /// own claims) or on work that any number of replicas may do at once.
    EveryReplica,
}

/// What a job works on: the core, and the registry the job lives as long as.
#[derive(Clone)]
pub struct Ctx {
    pub core: Core,
    pub registry: Arc<Registry>,
}

/// What one run did: a line for the log when there is something to say, or why it failed.
pub type Outcome = CoreResult<Option<String>>;

type Work = Box<dyn Fn(Ctx) -> BoxFuture<'static, Outcome> + Send + Sync>;

/// One background job: its name (also the name of its job lock), its interval, whether one
/// replica at a time runs it, and the work of one run.
pub struct Job {
    pub name: &'static str,
    /// Time between two runs; the first run comes at start.
    pub every: Duration,
    pub runs: Runs,
    /// After a failure, the next run comes sooner than the schedule: after this, doubling
    /// with each failure in a row, never later than half the interval. `None`: at the next
    /// tick, as after a success.
    pub retry: Option<Duration>,
    work: Work,
}

impl Job {
    /// A job running `work` every `every` (the first run at start).
    pub fn new<F, Fut>(name: &'static str, every: Duration, runs: Runs, work: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        Job { name, every, runs, retry: None, work: Box::new(move |ctx| Box::pin(work(ctx))) }
    }

    /// The same job, tried again after `first` when it fails (see [`Job::retry`]).
    pub fn retry_after(self, first: Duration) -> Self {
        Job { retry: Some(first), ..self }
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("every", &self.every)
            .field("runs", &self.runs)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What the table of jobs reads from the server's configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Days the audit log keeps a record (`--audit-retention-days`).
    pub audit_retention_days: i64,
    /// The advisory database to fetch, and how often (`--advisory-db-url`); no fetch
    /// without it.
    pub advisory_db: Option<(String, Duration)>,
}

/// Every background job of a server, in one table. A job whose HTTP client cannot be built
/// is left out, with an error in the log (the server still serves).
pub fn all(settings: &Settings) -> Vec<Job> {
    const HOUR: Duration = Duration::from_secs(3600);
    let mut jobs = vec![
        // Each replica counts its own downloads in memory; counts are added, never set.
        Job::new("download-counts", Duration::from_secs(5), Runs::EveryReplica, |ctx: Ctx| async move {
            let versions = ctx.registry.flush_download_counts().await?;
            // Every 5 s: worth a line only at debug level.
            if versions > 0 {
                tracing::debug!(job = "download-counts", versions, "download counts recorded");
            }
            Ok(None)
        }),
        Job::new(RETENTION, HOUR, Runs::Exclusive, |ctx: Ctx| async move {
            let moved = crate::retention::apply_under_lock(&ctx.core, ctx.core.clock.now()).await?;
            Ok((moved > 0).then(|| format!("retention rules moved {moved} version(s) to recycle bins")))
        }),
        Job::new(PURGE_RECYCLE_BINS, HOUR, Runs::Exclusive, |ctx: Ctx| async move {
            let purged = ctx.registry.purge_under_lock().await?;
            Ok((purged > 0).then(|| {
                format!("purged {purged} version(s) from recycle bins after {} days", crate::packages::RECYCLE_BIN_DAYS)
            }))
        }),
        {
            let days = settings.audit_retention_days;
            Job::new("audit-sweep", HOUR, Runs::EveryReplica, move |ctx: Ctx| async move {
                let removed = crate::audit_log::sweep(&ctx.core.db, days).await?;
                Ok((removed > 0).then(|| format!("removed {removed} audit record(s) older than {days} days")))
            })
        },
        Job::new("warm-sweep", HOUR, Runs::EveryReplica, |ctx: Ctx| async move {
            let removed = crate::warm::sweep(&ctx.core, ctx.core.clock.now()).await?;
            Ok((removed > 0).then(|| format!("removed {removed} warm job(s) finished a week ago or abandoned")))
        }),
        Job::new("session-sweep", HOUR, Runs::Exclusive, |ctx: Ctx| async move {
            let deleted = ctx.core.db.sessions().delete_expired().await?;
            Ok((deleted > 0).then(|| format!("deleted {deleted} expired session(s)")))
        }),
    ];
    // Deliveries are claimed in the database: every replica sends, none sends one twice.
    match crate::webhooks::Courier::new() {
        Ok(courier) => jobs.push(Job::new("webhook-deliveries", Duration::from_secs(1), Runs::EveryReplica, {
            move |ctx: Ctx| {
                let courier = courier.clone();
                async move {
                    courier.deliver_due(&ctx.core).await?;
                    Ok(None)
                }
            }
        })),
        Err(e) => tracing::error!(job = "webhook-deliveries", error = %e, "cannot build the webhooks' HTTP clients"),
    }
    if let Some((url, every)) = &settings.advisory_db {
        match reqwest::Client::builder().timeout(Duration::from_secs(120)).build() {
            Ok(client) => {
                let url: Arc<str> = url.as_str().into();
                let job = Job::new("advisory-fetch", *every, Runs::Exclusive, move |ctx: Ctx| {
                    let (client, url) = (client.clone(), url.clone());
                    async move {
                        let report = crate::advisories::fetch_and_import(&ctx.core, &client, &url).await?;
                        Ok(Some(format!(
                            "advisories fetched from {url}: {} read, {} in all",
                            report.read, report.total
                        )))
                    }
                });
                jobs.push(job.retry_after(Duration::from_secs(60)));
            }
            Err(e) => {
                tracing::error!(job = "advisory-fetch", error = %e, "cannot build the advisory fetch's HTTP client")
            }
        }
    }
    jobs
}

/// Starts every job in `jobs`, each in a task of its own (a slow or failing job delays no
/// other), for as long as `registry` lives.
pub fn spawn_all(jobs: Vec<Job>, core: &Core, registry: &Arc<Registry>) {
    for job in jobs {
        tracing::debug!(job = job.name, every = ?job.every, runs = ?job.runs, "background job started");
        tokio::spawn(run(job, core.clone(), Arc::downgrade(registry)));
    }
}

/// The loop of one job: a tick every `job.every` (the first at once), each running the job
/// once unless the registry is gone, which ends the loop.
async fn run(job: Job, core: Core, registry: Weak<Registry>) {
    let mut ticks = tokio::time::interval(job.every);
    let mut retry = job.retry.map(|first| Backoff { first, next: first, cap: job.every / 2 });
    loop {
        ticks.tick().await;
        // The registry is held for the run only: between ticks, this task keeps nothing alive.
        let Some(registry) = registry.upgrade() else { return };
        let ctx = Ctx { core: core.clone(), registry };
        let ran = match job.runs {
            Runs::EveryReplica => Ok(Some((job.work)(ctx).await)),
            Runs::Exclusive => exclusively(&core.db, job.name, async { Ok::<_, DbError>((job.work)(ctx).await) }).await,
        };
        match ran {
            Ok(Some(Ok(done))) => {
                if let Some(line) = done {
                    tracing::info!(job = job.name, "{line}");
                }
                if let Some(retry) = &mut retry {
                    retry.next = retry.first;
                }
            }
            Ok(Some(Err(e))) => match &mut retry {
                Some(retry) => {
                    let wait = retry.failed();
                    tracing::warn!(job = job.name, error = ?e, retry_in = ?wait, "background job failed");
                    ticks.reset_after(wait);
                }
                None => tracing::warn!(job = job.name, error = ?e, retry_in = ?job.every, "background job failed"),
            },
            Ok(None) => tracing::debug!(job = job.name, "another replica runs this job"),
            Err(e) => {
                // Not the job's failure: tried again as soon, without backing off further.
                let wait = retry.as_ref().map_or(job.every, Backoff::wait);
                tracing::warn!(job = job.name, error = ?e, retry_in = ?wait, "the job lock is unavailable");
                if retry.is_some() {
                    ticks.reset_after(wait);
                }
            }
        }
    }
}

/// The waits after failures in a row: `first`, doubling, at most `cap`.
struct Backoff {
    first: Duration,
    next: Duration,
    cap: Duration,
}

impl Backoff {
    /// The wait before the next try.
    fn wait(&self) -> Duration {
        self.next.min(self.cap)
    }

    /// The wait after one more failure; the one after that is twice as long.
    fn failed(&mut self) -> Duration {
        let wait = self.wait();
        self.next = self.next.saturating_mul(2).min(self.cap.max(self.first));
        wait
    }
}

#[cfg(test)]
mod tests;
