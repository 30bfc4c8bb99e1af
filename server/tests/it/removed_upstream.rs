//! Upstream removals, mirrored, with the real cargo: a saved version its upstream stops
//! listing (as removed malware is) is flagged "removed upstream" and hidden from new
//! resolution, while a locked build still gets the saved copy; a feed may opt out of the
//! hiding; listed again, it is back; yanked upstream, it shows yanked.

use std::time::Duration;

use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{Canned, CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project, locked_version};

/// Polls until `check` holds for the feed's index file of `rm` and its package page.
async fn until(wharf: &RunningWharf, what: &str, check: impl Fn(&str, &str) -> bool) {
    let (mut file, mut page) = (String::new(), String::new());
    for _ in 0..100 {
        file = wharf
            .http()
            .get(wharf.url("/default/default/_packaging/r/Cargo/index/2/rm"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        page = wharf
            .http()
            .get(wharf.url("/default/default/_artifacts/feed/r/package/rm"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if check(&file, &page) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: index {file}\npage {page}");
}

fn yanked_of(file: &str, version: &str) -> Option<bool> {
    wharf_index::lines(file.as_bytes()).find(|(_, l)| l.vers == version).map(|(_, l)| l.yanked)
}

async fn a_version_removed_upstream_is_hidden_from_new_builds_but_serves_locked_ones(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("rm", "1.0.0"), CrateSpec::new("rm", "1.1.0")]).await;
    // Revalidated every second, so the removal is seen quickly.
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(1));
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("r", true).await;
    let index = wharf.index_url("r");
    let work = tempfile::tempdir().unwrap();

    // A build saves rm 1.1.0 and locks it.
    let locked = work.path().join("locked");
    dependent_project(&locked, &index, &[("rm", "1")]);
    let out = cargo(&locked, &work.path().join("home-1"), &["fetch"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&locked, "rm"), "1.1.0");

    // The upstream stops listing 1.1.0.
    let only_old: String =
        upstream.index_file("rm").lines().filter(|l| l.contains("\"1.0.0\"")).map(|l| format!("{l}\n")).collect();
    upstream.answer("/index/2/rm", Canned::Body { content_type: "text/plain", body: only_old });
    until(&wharf, "1.1.0 flagged removed upstream", |file, page| {
        yanked_of(file, "1.1.0") == Some(true) && page.contains("removed upstream</span>")
    })
    .await;
    assert_eq!(
        yanked_of(
            &wharf
                .http()
                .get(wharf.url("/default/default/_packaging/r/Cargo/index/2/rm"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "1.0.0"
        ),
        Some(false)
    );

    // New resolution passes it by; the locked build still gets the saved copy.
    let fresh = work.path().join("fresh");
    dependent_project(&fresh, &index, &[("rm", "1")]);
    let out = cargo(&fresh, &work.path().join("home-2"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&fresh, "rm"), "1.0.0");
    let out = cargo(&locked, &work.path().join("home-3"), &["fetch", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(upstream.hits("/files/rm/1.1.0/download"), 1, "served from the saved copy");

    // A feed that opts out keeps it in new resolution, still flagged on the page.
    let feed = "/default/default/_apis/packaging/feeds/r";
    let (status, body) =
        wharf.send(reqwest::Method::PATCH, feed, Some(serde_json::json!({"keepRemovedUpstream": true}))).await;
    assert_eq!((status, body["keepRemovedUpstream"].clone()), (200, serde_json::json!(true)), "{body}");
    until(&wharf, "1.1.0 kept in resolution", |file, page| {
        yanked_of(file, "1.1.0") == Some(false) && page.contains("removed upstream</span>")
    })
    .await;
    let out = cargo(&fresh, &work.path().join("home-4"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&fresh, "rm"), "1.1.0");
    let (status, body) =
        wharf.send(reqwest::Method::PATCH, feed, Some(serde_json::json!({"keepRemovedUpstream": "yes"}))).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) =
        wharf.send(reqwest::Method::PATCH, feed, Some(serde_json::json!({"keepRemovedUpstream": false}))).await;
    assert_eq!(status, 200, "{body}");

    // Listed again: back to normal.
    upstream.clear_answer("/index/2/rm");
    until(&wharf, "1.1.0 listed again", |file, page| {
        yanked_of(file, "1.1.0") == Some(false) && !page.contains("removed upstream</span>")
    })
    .await;

    // The upstream yanks it: once its copy is revalidated, the feed shows it yanked (the
    // upstream's line wins over the saved one), not as removed; new resolution passes it by.
    let yanked: String = upstream
        .index_file("rm")
        .lines()
        .map(|l| if l.contains("\"1.1.0\"") { l.replace("\"yanked\":false", "\"yanked\":true") } else { l.to_owned() })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(yanked.contains("\"yanked\":true"), "{yanked}");
    upstream.answer("/index/2/rm", Canned::Body { content_type: "text/plain", body: yanked });
    until(&wharf, "1.1.0 yanked upstream", |file, page| {
        yanked_of(file, "1.1.0") == Some(true) && !page.contains("removed upstream</span>")
    })
    .await;
    let out = cargo(&fresh, &work.path().join("home-5"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&fresh, "rm"), "1.0.0");
    // A yank is no removal: the locked build still downloads it.
    let out = cargo(&locked, &work.path().join("home-6"), &["fetch", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(a_version_removed_upstream_is_hidden_from_new_builds_but_serves_locked_ones);
