//! Warm after a restart: the last good copy of each upstream index file is kept in the
//! database with its validators, so a restarted (or new) server revalidates instead of
//! fetching, and serves the whole copy as stale while the upstream is down, versions
//! never saved included.

use std::time::{Duration, Instant};

use wharf_test_support::{Engine, upstream::LocalUpstream};

use crate::running::{Options, RunningWharf, assert_ok, cargo, consumer_project};

fn options(upstream: &LocalUpstream, ttl: Duration) -> Options {
    Options {
        upstream_index: upstream.index_url(),
        ttl,
        timeout: Duration::from_secs(2),
        tls: None,
        limits: Default::default(),
        clock: Default::default(),
    }
}

/// Waits until the copy of `name`'s index file is kept (it is written in the background).
async fn kept(wharf: &RunningWharf, upstream: &LocalUpstream, name: &str) -> wharf_db::StoredIndexFile {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // Kept under the index URL without cargo's `sparse+`.
        let index = upstream.index_url().replacen("sparse+", "", 1);
        if let Some(file) = wharf.db.upstream_files().get(&index, name).await.unwrap() {
            return file;
        }
        assert!(Instant::now() < deadline, "the copy of {name} was never kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn beta_index(wharf: &RunningWharf) -> (u16, String) {
    let res = wharf.http().get(wharf.url("/default/default/_packaging/team/Cargo/index/be/ta/beta")).send().await;
    let res = res.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn restarts_revalidate_and_serve_kept_copies_stale(engine: Engine) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    // TTL zero: every request revalidates, so the restarted server must ask the upstream.
    let wharf = RunningWharf::start(engine, options(&upstream, Duration::ZERO)).await;
    wharf.create_feed("team", true).await;
    let (status, first) = beta_index(&wharf).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.contains("\"1.0.0\"") && first.contains("\"2.0.0-beta.1\""), "{first}");
    let copy = kept(&wharf, &upstream, "beta").await;
    assert_eq!(copy.body.as_deref(), Some(upstream.index_file("beta").as_bytes()));
    assert!(copy.etag.is_some(), "the validator is kept with the copy");

    // A new process: it revalidates the kept copy (304) instead of fetching it again.
    let wharf = wharf.restart().await;
    let before = upstream.not_modified();
    let (status, again) = beta_index(&wharf).await;
    assert_eq!((status, again.as_str()), (200, first.as_str()));
    assert_eq!(upstream.not_modified(), before + 1, "revalidated with a 304");
    assert_eq!(wharf.metric("wharf_index_requests_miss_total").await, 0, "nothing fetched as new");
    assert_eq!(wharf.metric("wharf_index_requests_revalidated_total").await, 1);

    // The upstream goes away and the server restarts again: the whole copy is served,
    // stale (no version of `beta` was ever saved), and cargo resolves with it.
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("consumer");
    consumer_project(&project, &wharf.index_url("team"));
    assert_ok(&cargo(&project, &work.path().join("h1"), &["generate-lockfile"], &[]).await, "generate-lockfile");
    for (name, _) in wharf_test_support::upstream::SAMPLE_RESOLVED {
        kept(&wharf, &upstream, &name.to_ascii_lowercase()).await;
    }
    upstream.stop().await;
    let wharf = wharf.restart().await;
    let (status, stale) = beta_index(&wharf).await;
    assert_eq!((status, stale.as_str()), (200, first.as_str()));
    assert!(wharf.metric("wharf_index_requests_stale_total").await >= 1);
    std::fs::remove_file(project.join("Cargo.lock")).unwrap();
    assert_ok(
        &cargo(&project, &work.path().join("h2"), &["generate-lockfile"], &[]).await,
        "generate-lockfile after a restart with the upstream down (nothing was ever downloaded)",
    );
    wharf.stop().await;
}

wharf_test_support::on_both_engines!(restarts_revalidate_and_serve_kept_copies_stale);
