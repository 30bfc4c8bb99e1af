//! Quarantine with the real cargo: a saved version an Administrator quarantines is
//! refused to a locked build with the reason in cargo's own output, skipped by new
//! resolution (the index marks it yanked while its saved line is kept), and served again
//! once the quarantine is lifted.

use std::time::Duration;

use serde_json::json;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project, locked_version};

const PACKAGE: &str = "/default/default/_apis/packaging/feeds/q/packages/qv";

async fn a_quarantined_version_is_refused_to_locked_builds_and_skipped_by_new_ones(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("qv", "1.0.0"), CrateSpec::new("qv", "1.1.0")]).await;
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(300));
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("q", true).await;
    let index = wharf.index_url("q");
    let work = tempfile::tempdir().unwrap();

    // A build saves qv 1.1.0 into the feed and locks it.
    let locked = work.path().join("locked");
    dependent_project(&locked, &index, &[("qv", "1")]);
    let out = cargo(&locked, &work.path().join("home-1"), &["fetch"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&locked, "qv"), "1.1.0");

    // Refusals first: no reason, a version the feed does not hold.
    let quarantine = format!("{PACKAGE}/versions/1.1.0/quarantine");
    let (status, body) = wharf.send(reqwest::Method::POST, &quarantine, Some(json!({"reason": ""}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("Say why"), "{body}");
    let (status, body) = wharf
        .send(reqwest::Method::POST, &format!("{PACKAGE}/versions/1.0.0/quarantine"), Some(json!({"reason": "x"})))
        .await;
    assert_eq!(status, 404, "not saved in the feed: {body}");

    let reason = "contains a credential stealer (RUSTSEC-2026-0042)";
    let (status, body) = wharf.send(reqwest::Method::POST, &quarantine, Some(json!({"reason": reason}))).await;
    assert_eq!((status, body["changed"].clone()), (200, json!(true)), "{body}");

    // The index marks it yanked; the saved line itself is kept.
    let file = wharf.http().get(wharf.url("/default/default/_packaging/q/Cargo/index/2/qv")).send().await.unwrap();
    let file = file.text().await.unwrap();
    let marked: Vec<_> = wharf_index::lines(file.as_bytes()).map(|(_, l)| (l.vers, l.yanked)).collect();
    assert!(marked.contains(&("1.1.0".into(), true)) && marked.contains(&("1.0.0".into(), false)), "{file}");
    let saved: String = sqlx::query_scalar("SELECT index_line FROM package_versions WHERE version = '1.1.0'")
        .fetch_one(wharf.db.pool())
        .await
        .unwrap();
    assert!(saved.contains("\"yanked\":false"), "{saved}");

    // The package page marks it, with the reason as its title.
    let page = wharf.http().get(wharf.url("/default/default/_artifacts/feed/q/package/qv")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"badge--quarantined">quarantined</span>"#), "{page}");
    assert!(page.contains(&format!(r#"<span title="{reason}""#)), "{page}");

    // The locked build is refused, with the reason in cargo's own output.
    let out = cargo(&locked, &work.path().join("home-2"), &["fetch", "--locked"], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("403") && stderr.contains(reason), "{stderr}");
    // A new resolution passes it by.
    let fresh = work.path().join("fresh");
    dependent_project(&fresh, &index, &[("qv", "1")]);
    let out = cargo(&fresh, &work.path().join("home-3"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&fresh, "qv"), "1.0.0");

    // Lifted: the locked build works again.
    let (status, body) = wharf.send(reqwest::Method::DELETE, &quarantine, None).await;
    assert_eq!((status, body["changed"].clone()), (200, json!(true)), "{body}");
    let out = cargo(&locked, &work.path().join("home-4"), &["fetch", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(a_quarantined_version_is_refused_to_locked_builds_and_skipped_by_new_ones);
