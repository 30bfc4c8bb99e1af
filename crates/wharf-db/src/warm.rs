//! Warm jobs: saving a lockfile's packages into a feed in the background, with progress.

use sqlx::{AnyPool, Row};

use crate::{DbError, DbResult};

/// A job and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmJob {
    pub id: i64,
    pub feed_id: i64,
    pub state: wharf_core::WarmState,
    pub total: i64,
    pub saved: i64,
    pub present: i64,
    /// `(name, version, reason)` of each package that could not be saved.
    pub failed: Vec<(String, String, String)>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// How one package went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarmOutcome {
    Saved,
    Present,
    Failed { name: String, version: String, reason: String },
}

/// The outcomes of a job so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub saved: i64,
    pub present: i64,
    /// `(name, version, reason)`.
    pub failed: Vec<(String, String, String)>,
}

impl Tally {
    pub fn count(&mut self, outcome: WarmOutcome) {
        match outcome {
            WarmOutcome::Saved => self.saved += 1,
            WarmOutcome::Present => self.present += 1,
            WarmOutcome::Failed { name, version, reason } => self.failed.push((name, version, reason)),
        }
    }
}

/// How many jobs may run at once.
#[derive(Debug, Clone, Copy)]
pub struct JobLimits {
    /// For one account.
    pub per_user: i64,
    /// For one feed.
    pub per_feed: i64,
    /// Jobs started before this (Unix seconds) no longer count.
    pub since: i64,
}

/// Which limit a new job would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    User,
    Feed,
}

/// Reads and writes warm jobs.
pub struct WarmRepo<'a> {
    pool: &'a AnyPool,
}

const COLUMNS: &str = "id, feed_id, state, total, saved, present, failed, created_at, finished_at";

fn job(r: &sqlx::any::AnyRow) -> Result<WarmJob, sqlx::Error> {
    let failed: String = r.try_get("failed")?;
    Ok(WarmJob {
        id: r.try_get("id")?,
        feed_id: r.try_get("feed_id")?,
        state: r.try_get::<String, _>("state")?.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))?,
        total: r.try_get("total")?,
        saved: r.try_get("saved")?,
        present: r.try_get("present")?,
        failed: failed
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, '\t');
                Some((parts.next()?.to_owned(), parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect(),
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

impl<'a> WarmRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Creates a running job, unless `by` or the feed has as many running as `limits` allow
    /// (jobs started before `limits.since` no longer count). The count and the insert are
    /// one step: on PostgreSQL under a lock held to the commit, on SQLite one statement
    /// (it takes the database's write lock before it reads).
    pub async fn create(
        &self,
        feed_id: i64,
        total: i64,
        by: Option<i64>,
        now: i64,
        limits: JobLimits,
    ) -> DbResult<Result<WarmJob, Full>> {
        let mut tx = self.pool.begin().await?;
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('wharf-warm-jobs'))").execute(&mut *tx).await?;
        }
        let row = sqlx::query(&format!(
            "INSERT INTO warm_jobs (feed_id, state, total, created_by, created_at) \
             SELECT $1, 'running', $2, $3, $4 \
             WHERE (SELECT COUNT(*) FROM warm_jobs WHERE created_by = $3 AND state = 'running' \
                    AND created_at >= $5) < $6 \
               AND (SELECT COUNT(*) FROM warm_jobs WHERE feed_id = $1 AND state = 'running' \
                    AND created_at >= $5) < $7 \
             RETURNING {COLUMNS}"
        ))
        .bind(feed_id)
        .bind(total)
        .bind(by)
        .bind(now)
        .bind(limits.since)
        .bind(limits.per_user)
        .bind(limits.per_feed)
        .fetch_optional(&mut *tx)
        .await?;
        let created = match row {
            Some(row) => Ok(job(&row)?),
            None => {
                let mine: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM warm_jobs WHERE created_by = $1 AND state = 'running' \
                     AND created_at >= $2",
                )
                .bind(by)
                .bind(limits.since)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
                Err(if mine >= limits.per_user { Full::User } else { Full::Feed })
            }
        };
        tx.commit().await?;
        Ok(created)
    }

    /// Deletes the jobs finished before `finished_before` and those still running that
    /// started before `started_before`; how many.
    pub async fn sweep(&self, finished_before: i64, started_before: i64) -> DbResult<u64> {
        let done = sqlx::query(
            "DELETE FROM warm_jobs WHERE (state = 'done' AND finished_at < $1) \
             OR (state = 'running' AND created_at < $2)",
        )
        .bind(finished_before)
        .bind(started_before)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// A job of a feed; `NotFound` otherwise.
    pub async fn get(&self, feed_id: i64, id: i64) -> DbResult<WarmJob> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM warm_jobs WHERE feed_id = $1 AND id = $2"))
            .bind(feed_id)
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("This feed has no warm job {id}.")))?;
        Ok(job(&row)?)
    }

    /// Writes how far the job got: the counts so far, whole (a lost write is made good by
    /// the next), and `done` once the last package is counted.
    pub async fn progress(&self, id: i64, tally: &Tally, done: bool, now: i64) -> DbResult<()> {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        let failed: String =
            tally.failed.iter().map(|(n, v, r)| format!("{}\t{}\t{}\n", clean(n), clean(v), clean(r))).collect();
        sqlx::query(
            "UPDATE warm_jobs SET saved = $2, present = $3, failed = $4, \
             state = CASE WHEN $5 = 1 THEN 'done' ELSE state END, \
             finished_at = CASE WHEN $5 = 1 THEN $6 ELSE finished_at END WHERE id = $1",
        )
        .bind(id)
        .bind(tally.saved)
        .bind(tally.present)
        .bind(failed)
        .bind(i64::from(done))
        .bind(now)
        .execute(self.pool)
        .await?;
        Ok(())
    }
}
