//! The runner on real databases: an exclusive job never runs on two replicas at once, and a
//! failing job is logged and tried again while the others go on.

use std::{
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use wharf_db::Db;
use wharf_test_support::{Engine, TestDatabase};

use super::*;
use crate::{
    CoreError,
    metrics::Metrics,
    registry::{sources::Upstreams, upstream::UpstreamConfig},
    storage::{Storage, StorageUrl},
};

/// One replica's core and registry on the database at `url`, its crate files in `dir`.
async fn replica(url: &str, dir: &std::path::Path) -> (Core, Arc<Registry>) {
    let db = Db::connect(url).await.unwrap();
    let metrics = Arc::new(Metrics::default());
    // Never reached: these tests serve no crate.
    let upstream = UpstreamConfig::new("http://127.0.0.1:9/", Duration::from_secs(60), Duration::from_secs(1)).unwrap();
    let upstreams = Upstreams::new(upstream, None, db.clone(), metrics.clone());
    let core = Core::new(db, wharf_core::PublicUrl::parse("http://wharf.test").unwrap(), upstreams);
    let storage = Storage::open(&StorageUrl::File(dir.to_owned())).unwrap();
    let registry = Arc::new(Registry::new(core.clone(), storage, metrics, 1024 * 1024));
    (core, registry)
}

/// When a run of a job started and ended, and on which replica.
type RunLog = Arc<Mutex<Vec<(usize, Instant, Instant)>>>;

/// A job that records each run, each lasting 10 ms, ticking every 3 ms: the runner of a
/// replica is always about to run it again.
fn probe(replica: usize, runs: Runs, log: &RunLog) -> Job {
    let log = log.clone();
    Job::new("overlap-probe", Duration::from_millis(3), runs, move |_ctx: Ctx| {
        let log = log.clone();
        async move {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(10)).await;
            log.lock().unwrap().push((replica, start, Instant::now()));
            Ok(None)
        }
    })
}

/// Two replicas' runners race on one job for a while; answers the runs and how many
/// overlapped the run before them.
async fn race(runs: Runs) -> (Vec<(usize, Instant, Instant)>, usize) {
    let test_db = TestDatabase::new(Engine::Postgres).await;
    let (one, two) = (replica(&test_db.url, test_db.dir.path()).await, replica(&test_db.url, test_db.dir.path()).await);
    let log = RunLog::default();
    spawn_all(vec![probe(0, runs, &log)], &one.0, &one.1);
    spawn_all(vec![probe(1, runs, &log)], &two.0, &two.1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The runners stop at their next tick once the registries are gone.
    drop((one.1, two.1));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ran = log.lock().unwrap().clone();
    ran.sort_by_key(|(_, start, _)| *start);
    let overlaps = ran.windows(2).filter(|pair| pair[1].1 < pair[0].2).count();
    one.0.db.close().await;
    two.0.db.close().await;
    test_db.remove().await;
    (ran, overlaps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusive_job_runs_on_one_replica_at_a_time() {
    let (ran, overlaps) = race(Runs::Exclusive).await;
    assert_eq!(overlaps, 0, "no two runs of an exclusive job overlap: {ran:?}");
    assert!(ran.len() >= 30, "the job ran all along: {} runs", ran.len());
    for replica in [0, 1] {
        assert!(ran.iter().any(|(r, ..)| *r == replica), "replica {replica} ran it too: {ran:?}");
    }
    // The check above sees overlaps when there are: the same race without the lock has them.
    let (ran, overlaps) = race(Runs::EveryReplica).await;
    assert!(overlaps > 0, "runs on every replica overlap: {ran:?}");
}

/// The log, captured for one test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines_with(&self, needles: &[&str]) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines().filter(|line| needles.iter().all(|n| line.contains(n))).count()
    }
}

/// Waits until `done` holds, for at most 10 s.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// On the current thread, where the spawned runners log to the subscriber set here.
#[tokio::test]
async fn a_failing_job_is_logged_and_tried_again_while_the_others_go_on() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .with_ansi(false)
        .finish();
    let _log = tracing::subscriber::set_default(subscriber);

    let test_db = TestDatabase::new(Engine::Sqlite).await;
    let (core, registry) = replica(&test_db.url, test_db.dir.path()).await;
    let (flaky_runs, steady_runs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let flaky = {
        let runs = flaky_runs.clone();
        Job::new("flaky", Duration::from_millis(20), Runs::Exclusive, move |_ctx: Ctx| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if run <= 3 {
                    return Err(CoreError::Unavailable { message: format!("flaky failure {run}"), retry_after: 1 });
                }
                Ok(Some(format!("flaky succeeded on run {run}")))
            }
        })
    };
    let steady = {
        let runs = steady_runs.clone();
        Job::new("steady", Duration::from_millis(20), Runs::EveryReplica, move |ctx: Ctx| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move {
                // A real query: the job works on the database while the other fails.
                ctx.core.db.sessions().delete_expired().await?;
                Ok(None)
            }
        })
    };
    spawn_all(vec![flaky, steady], &core, &registry);

    until("five runs of each", || flaky_runs.load(Ordering::SeqCst) >= 5 && steady_runs.load(Ordering::SeqCst) >= 5)
        .await;
    for run in 1..=3 {
        let failure = format!("flaky failure {run}");
        assert_eq!(
            captured.lines_with(&["WARN", "background job failed", "job=\"flaky\"", &failure]),
            1,
            "run {run}'s failure is logged once, with the job's name"
        );
    }
    assert_eq!(captured.lines_with(&["INFO", "job=\"flaky\"", "flaky succeeded on run 4"]), 1);
    assert_eq!(captured.lines_with(&["job=\"steady\""]), 0, "a run with nothing to say logs nothing");

    // Once the registry is gone, the runners stop.
    drop(registry);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (flaky_after, steady_after) = (flaky_runs.load(Ordering::SeqCst), steady_runs.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(flaky_runs.load(Ordering::SeqCst), flaky_after, "no run once the registry is dropped");
    assert_eq!(steady_runs.load(Ordering::SeqCst), steady_after, "no run once the registry is dropped");
    core.db.close().await;
    test_db.remove().await;
}

/// The advisory fetch's waits after failures in a row: a minute, doubling, at most half
/// the interval; back to a minute after a success.
#[test]
fn failures_back_off_up_to_half_the_interval() {
    let (first, every) = (Duration::from_secs(60), Duration::from_secs(3600));
    let mut backoff = Backoff { first, next: first, cap: every / 2 };
    let waits: Vec<u64> = (0..7).map(|_| backoff.failed().as_secs()).collect();
    assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800]);
}

/// The table: each job's name, interval and replicas, as the README lists them.
#[test]
fn the_table_of_jobs() {
    let settings = Settings {
        audit_retention_days: 365,
        advisory_db: Some(("https://example.com/advisory-db.tar.gz".into(), Duration::from_secs(24 * 3600))),
    };
    let table: Vec<(&str, u64, Runs, Option<u64>)> = all(&settings)
        .iter()
        .map(|job| (job.name, job.every.as_secs(), job.runs, job.retry.map(|r| r.as_secs())))
        .collect();
    assert_eq!(
        table,
        [
            ("download-counts", 5, Runs::EveryReplica, None),
            ("retention", 3600, Runs::Exclusive, None),
            ("purge-recycle-bins", 3600, Runs::Exclusive, None),
            ("audit-sweep", 3600, Runs::EveryReplica, None),
            ("warm-sweep", 3600, Runs::EveryReplica, None),
            ("session-sweep", 3600, Runs::Exclusive, None),
            ("webhook-deliveries", 1, Runs::EveryReplica, None),
            ("advisory-fetch", 24 * 3600, Runs::Exclusive, Some(60)),
        ]
    );
    assert!(all(&Settings::default()).iter().all(|job| job.name != "advisory-fetch"), "no URL, no fetch");
}
