//! Every policy of the serving pipeline, on the feed and on each kind of view (`@local`
//! and a named one): the index, the download and the badge agree on every version. A
//! version left out of the index cannot be downloaded and its badge says "not found"; one
//! marked yanked has a yanked badge and is downloaded or refused, never missing; one served
//! plainly downloads. And each policy has its documented effect on all three registries.

use std::time::{Duration, Instant};

use serde_json::json;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{Canned, CrateSpec, LocalUpstream, index_path},
};

use crate::running::{Options, RunningWharf};

const FEED: &str = "/default/default/_apis/packaging/feeds/p";
const REGISTRIES: [&str; 3] = ["p", "p@local", "p@release"];

/// What one registry serves of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Absent,
    Listed { yanked: bool },
}

async fn text(wharf: &RunningWharf, path: &str) -> (u16, String) {
    let res = wharf.http().get(wharf.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn served(wharf: &RunningWharf, registry: &str, name: &str, version: &str) -> Served {
    let (status, body) =
        text(wharf, &format!("/default/default/_packaging/{registry}/Cargo/index/{}", index_path(name))).await;
    if status == 404 {
        return Served::Absent;
    }
    assert_eq!(status, 200, "{registry} {name}: {body}");
    wharf_index::lines(body.as_bytes())
        .find(|(_, l)| l.vers == version)
        .map_or(Served::Absent, |(_, l)| Served::Listed { yanked: l.yanked })
}

async fn download(wharf: &RunningWharf, registry: &str, name: &str, version: &str) -> (u16, String) {
    text(wharf, &format!("/default/default/_packaging/{registry}/Cargo/api/v1/crates/{name}/{version}/download")).await
}

async fn badge(wharf: &RunningWharf, registry: &str, name: &str, version: &str) -> String {
    let (status, svg) =
        text(wharf, &format!("/default/default/_packaging/{registry}/Cargo/badge/{name}.svg?version={version}")).await;
    assert!(status == 200 || status == 404, "{registry} {name} badge: {status} {svg}");
    svg
}

/// Index, download and badge of `name` `version` in `registry` agree; what it serves.
async fn agreeing(wharf: &RunningWharf, registry: &str, name: &str, version: &str) -> (Served, u16) {
    let served = served(wharf, registry, name, version).await;
    let (status, body) = download(wharf, registry, name, version).await;
    let badge = badge(wharf, registry, name, version).await;
    let at = format!("{registry}: {name} {version}");
    match served {
        Served::Absent => {
            assert_ne!(status, 200, "{at}: left out of the index, yet downloaded");
            assert!(badge.contains("not found"), "{at}: left out of the index, badge {badge}");
        }
        Served::Listed { yanked: true } => {
            assert!(status == 200 || status == 403, "{at}: marked yanked, download {status} {body}");
            assert!(badge.contains("yanked"), "{at}: marked yanked, badge {badge}");
        }
        Served::Listed { yanked: false } => {
            assert_eq!(status, 200, "{at}: served plainly, download refused: {body}");
            assert!(!badge.contains("yanked") && !badge.contains("not found"), "{at}: badge {badge}");
        }
    }
    (served, status)
}

/// Polls until the feed serves `name` `version` as `expected` (caches expire in seconds).
async fn until_served(wharf: &RunningWharf, name: &str, version: &str, expected: Served) {
    let start = Instant::now();
    loop {
        let now = served(wharf, "p", name, version).await;
        if now == expected {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{name} {version}: {now:?}, never {expected:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn index_download_and_badge_agree_under_every_policy_on_the_feed_and_its_views(engine: Engine) {
    let upstream = LocalUpstream::start(vec![
        CrateSpec::new("grd", "1.0.0"),
        CrateSpec::new("cool", "1.0.0").published_days_ago(30),
        CrateSpec::new("cool", "1.1.0").published_days_ago(1),
        CrateSpec::new("qrt", "1.0.0"),
        CrateSpec::new("adv-vuln", "1.1.0"),
        CrateSpec::new("gone", "0.9.0"),
        CrateSpec::new("gone", "1.0.0"),
        CrateSpec::new("yk", "1.0.0"),
        CrateSpec::new("plain", "1.0.0"),
    ])
    .await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(1))).await;
    wharf.create_feed("p", true).await;

    // Saved into the feed, and promoted to the view `release`.
    for (name, version) in [
        ("grd", "1.0.0"),
        ("cool", "1.0.0"),
        ("qrt", "1.0.0"),
        ("adv-vuln", "1.1.0"),
        ("gone", "1.0.0"),
        ("yk", "1.0.0"),
        ("plain", "1.0.0"),
    ] {
        assert_eq!(download(&wharf, "p", name, version).await.0, 200, "save {name} {version}");
        let path = format!("{FEED}/packages/{name}/versions/{version}/promote");
        let (status, body) = wharf.send(reqwest::Method::POST, &path, Some(json!({"view": "release"}))).await;
        assert_eq!(status, 200, "promote {name}: {body}");
    }

    // Every policy at once. The guard: the feed publishes `grd` itself.
    wharf.publish("p", &CrateSpec::new("grd", "2.0.0")).await;
    // The cooldown: upstream versions younger than 7 days.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"upstreamCooldownDays": 7}))).await;
    assert_eq!(status, 200, "{body}");
    // Quarantine.
    let path = format!("{FEED}/packages/qrt/versions/1.0.0/quarantine");
    let (status, body) = wharf.send(reqwest::Method::POST, &path, Some(json!({"reason": "under review"}))).await;
    assert_eq!(status, 200, "{body}");
    // An advisory about adv-vuln 1.1.0, blocked.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"advisoryPolicy": "block"}))).await;
    assert_eq!(status, 200, "{body}");
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisory-db");
    let (ok, _, stderr) = crate::admin::admin(wharf.test_db(), &["import-advisories", fixture.to_str().unwrap()], "");
    assert!(ok, "{stderr}");
    // Removed upstream: the source stops listing gone 1.0.0.
    let only_old: String =
        upstream.index_file("gone").lines().filter(|l| !l.contains("\"1.0.0\"")).map(|l| format!("{l}\n")).collect();
    upstream
        .answer(&format!("/index/{}", index_path("gone")), Canned::Body { content_type: "text/plain", body: only_old });
    // Yanked upstream.
    let yanked: String = upstream
        .index_file("yk")
        .lines()
        .map(|l| format!("{}\n", l.replace("\"yanked\":false", "\"yanked\":true")))
        .collect();
    upstream.answer(&format!("/index/{}", index_path("yk")), Canned::Body { content_type: "text/plain", body: yanked });
    until_served(&wharf, "gone", "1.0.0", Served::Listed { yanked: true }).await;
    until_served(&wharf, "yk", "1.0.0", Served::Listed { yanked: true }).await;
    until_served(&wharf, "adv-vuln", "1.1.0", Served::Listed { yanked: true }).await;

    // What each policy does, on the feed: (crate, version, served, download status).
    let absent = Served::Absent;
    let (yanked, plain) = (Served::Listed { yanked: true }, Served::Listed { yanked: false });
    let expected = [
        ("grd", "1.0.0", absent, 404, "the guard withholds saved upstream versions of a local name"),
        ("grd", "2.0.0", plain, 200, "the local version"),
        ("cool", "1.0.0", plain, 200, "saved before the cooldown"),
        ("cool", "1.1.0", absent, 403, "held back by the cooldown"),
        ("qrt", "1.0.0", yanked, 403, "quarantined"),
        ("adv-vuln", "1.1.0", yanked, 403, "blocked by an advisory"),
        ("gone", "1.0.0", yanked, 200, "removed upstream"),
        ("yk", "1.0.0", yanked, 200, "yanked upstream"),
        ("plain", "1.0.0", plain, 200, "no policy applies"),
    ];
    for (name, version, served, status, what) in expected {
        assert_eq!(agreeing(&wharf, "p", name, version).await, (served, status), "feed: {name} {version}: {what}");
        // A view serves what the feed serves of the versions it has, and refuses what the
        // feed refuses.
        for registry in ["p@local", "p@release"] {
            // Never saved: in no view. Published after the promotions: not in `release`.
            let never_saved = name == "cool" && version == "1.1.0";
            let unpromoted = registry == "p@release" && name == "grd" && version == "2.0.0";
            let in_view = !never_saved && !unpromoted;
            let (view_served, view_status) = agreeing(&wharf, registry, name, version).await;
            if in_view {
                assert_eq!(view_served, served, "{registry}: {name} {version}: {what}");
                assert_eq!(view_status, status, "{registry}: {name} {version}: {what}");
            } else {
                assert_eq!(view_served, Served::Absent, "{registry}: {name} {version} is not in it");
            }
        }
    }

    // Under `hide` an advisory marks without refusing, on every registry alike.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"advisoryPolicy": "hide"}))).await;
    assert_eq!(status, 200, "{body}");
    for registry in REGISTRIES {
        assert_eq!(agreeing(&wharf, registry, "adv-vuln", "1.1.0").await, (yanked, 200), "{registry} under hide");
    }
    // The feed keeps versions removed upstream in resolution when told to.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"keepRemovedUpstream": true}))).await;
    assert_eq!(status, 200, "{body}");
    for registry in REGISTRIES {
        assert_eq!(agreeing(&wharf, registry, "gone", "1.0.0").await, (plain, 200), "{registry} keeps gone 1.0.0");
    }
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(index_download_and_badge_agree_under_every_policy_on_the_feed_and_its_views);
