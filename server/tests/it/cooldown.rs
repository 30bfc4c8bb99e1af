//! The upstream cooldown with the real cargo: upstream versions younger than the feed's
//! days are absent from its index and cannot be saved; versions saved before stay; an
//! Administrator releases a version or a package early with a reason. Ages come from the
//! local upstream's `pubtime` (set relative to now), or, for lines without one, from when
//! Wharf first saw the version: the test moves the server's clock forward to let time pass.

use std::time::Duration;

use serde_json::json;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project, locked_version};

const FEED: &str = "/default/default/_apis/packaging/feeds/cool";

/// The versions of `name` the feed's index lists, in version order (a saved version's own
/// line may come after the upstream's).
async fn listed(wharf: &RunningWharf, name: &str) -> Vec<String> {
    let path = format!("/default/default/_packaging/cool/Cargo/index/{}", wharf_index::index_path(name));
    let (status, body) = wharf.get_text(&path).await;
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    let mut versions: Vec<String> = wharf_index::lines(body.as_bytes()).map(|(_, l)| l.vers).collect();
    versions.sort_by_key(|v| semver::Version::parse(v).expect("a semver version"));
    versions
}

/// Runs the real cargo on a project depending on `hb = "{req}"` through the feed.
async fn resolve(work: &std::path::Path, label: &str, index: &str, req: &str) -> std::process::Output {
    let dir = work.join(label);
    dependent_project(&dir, index, &[("hb", req)]);
    cargo(&dir, &work.join(format!("home-{label}")), &["generate-lockfile"], &[]).await
}

async fn young_upstream_versions_are_held_back_until_released(engine: Engine) {
    let upstream = LocalUpstream::start(vec![
        CrateSpec::new("hb", "1.0.0").published_days_ago(30),
        CrateSpec::new("hb", "1.1.0").published_days_ago(20),
        CrateSpec::new("hb", "1.2.0").published_days_ago(1),
        // No `pubtime`: its age counts from when Wharf first sees it.
        CrateSpec::new("hb", "1.3.0"),
        CrateSpec::new("young", "1.0.0").published_days_ago(2),
    ])
    .await;
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(300));
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("cool", true).await;
    let dl = |name: &str, version: &str| {
        format!("/default/default/_packaging/cool/Cargo/api/v1/crates/{name}/{version}/download")
    };

    // Before the cooldown: 1.2.0 is saved into the feed.
    assert_eq!(wharf.get_text(&dl("hb", "1.2.0")).await.0, 200);

    // A bad setting is refused and changes nothing.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"upstreamCooldownDays": 400}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("upstreamCooldownDays"), "{body}");
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"upstreamCooldownDays": 7}))).await;
    assert_eq!((status, body["upstreamCooldownDays"].clone()), (200, json!(7)), "{body}");

    // 1.3.0 (first seen now) is held back; 1.2.0 stays, saved before; `young` is all held.
    assert_eq!(listed(&wharf, "hb").await, ["1.0.0", "1.1.0", "1.2.0"]);
    assert!(listed(&wharf, "young").await.is_empty());
    let (status, text) = wharf.get_text(&dl("hb", "1.3.0")).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("held back by this feed's upstream cooldown until"), "{text}");
    assert_eq!(upstream.hits("/files/hb/1.3.0/download"), 0, "nothing fetched for a held-back version");

    // Real cargo resolves around it: the newest it may have is 1.2.0, and asking for 1.3.0
    // fails in cargo's own words.
    let work = tempfile::tempdir().unwrap();
    let index = wharf.index_url("cool");
    let out = resolve(work.path(), "any", &index, "1").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&work.path().join("any"), "hb"), "1.2.0");
    let out = resolve(work.path(), "pinned", &index, "=1.3.0").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("failed to select a version for the requirement `hb = \"=1.3.0\"`"), "{stderr}");

    // The package page lists what is held back and when it is released; the feed page
    // counts it for the packages it lists (hb 1.3.0: the feed holds nothing of `young`).
    // Computed by the same policies cargo is served through, at once.
    let package_page = "/default/default/_artifacts/feed/cool/package/hb";
    let feed_page = "/default/default/_artifacts/feed/cool";
    let pages = (wharf.get_text(package_page).await.1, wharf.get_text(feed_page).await.1);
    assert!(pages.0.contains("Held back by the upstream cooldown"), "{}", pages.0);
    assert!(pages.0.contains(r#"<li data-version="1.3.0">"#), "{}", pages.0);
    assert!(pages.1.contains("holds back 1 upstream version of the packages below"), "{}", pages.1);

    // Releasing needs a reason; with one, 1.3.0 is in and cargo takes it.
    let release = "/default/default/_apis/packaging/feeds/cool/packages/hb/versions/1.3.0/release-now";
    let (status, body) = wharf.send(reqwest::Method::POST, release, Some(json!({"reason": "  "}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("Say why it cannot wait"), "{body}");
    assert_eq!(listed(&wharf, "hb").await, ["1.0.0", "1.1.0", "1.2.0"], "a refused release changes nothing");
    let (status, body) =
        wharf.send(reqwest::Method::POST, release, Some(json!({"reason": "fixes CVE-2026-0001"}))).await;
    assert_eq!((status, body["released"].clone()), (200, json!(true)), "{body}");
    assert_eq!(listed(&wharf, "hb").await, ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    let out = resolve(work.path(), "released", &index, "1").await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&work.path().join("released"), "hb"), "1.3.0");
    let reason: String = sqlx::query_scalar("SELECT reason FROM cooldown_exceptions WHERE version = '1.3.0'")
        .fetch_one(wharf.db.pool())
        .await
        .unwrap();
    assert_eq!(reason, "fixes CVE-2026-0001");

    // A whole package, released.
    let (status, body) = wharf
        .send(
            reqwest::Method::POST,
            "/default/default/_apis/packaging/feeds/cool/packages/young/release-now",
            Some(json!({"reason": "our own fork"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed(&wharf, "young").await, ["1.0.0"]);
    // Nothing is held back any more.
    assert!(!wharf.get_text(package_page).await.1.contains("Held back by the upstream cooldown"));

    // Turned off, nothing is held back.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"upstreamCooldownDays": 0}))).await;
    assert_eq!((status, body["upstreamCooldownDays"].clone()), (200, json!(0)), "{body}");
    assert_eq!(listed(&wharf, "hb").await, ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    wharf.stop().await;
    upstream.stop().await;
}

async fn a_version_without_pubtime_ages_from_when_it_was_first_seen(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("undated", "1.0.0")]).await;
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(300));
    let clock = options.clock.clone();
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("cool", true).await;
    let (status, _) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"upstreamCooldownDays": 3}))).await;
    assert_eq!(status, 200);
    assert!(listed(&wharf, "undated").await.is_empty(), "first seen now: held back");
    // The server's clock moves: two days later, still held; four days later, released.
    for (days, expected) in [(2, false), (4, true)] {
        clock.advance(2 * 86_400);
        // The rendered file lives 5 s at most.
        let mut seen = Vec::new();
        for _ in 0..70 {
            seen = listed(&wharf, "undated").await;
            if seen.is_empty() != expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(!seen.is_empty(), expected, "{days} days after it was first seen: {seen:?}");
    }
    // Released by time, cargo resolves it.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("late");
    dependent_project(&dir, &wharf.index_url("cool"), &[("undated", "1")]);
    let out = cargo(&dir, &work.path().join("home"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(crate::running::locked_version(&dir, "undated"), "1.0.0");
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(
    young_upstream_versions_are_held_back_until_released,
    a_version_without_pubtime_ages_from_when_it_was_first_seen
);
