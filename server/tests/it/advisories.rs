//! Security advisories with the real cargo: the fixture database (RustSec's format, in
//! `tests/fixtures/advisory-db`) is imported from the command line and over REST; affected
//! versions are marked on the package and Security pages; the feed's policy warns, hides
//! (cargo resolves around the version, locked builds keep it) or blocks (cargo's own output
//! names the advisory); a malicious crate is blocked whatever the policy.

use std::{path::PathBuf, time::Duration};

use reqwest::Method;
use serde_json::json;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project, locked_version};

const FEED: &str = "/default/default/_apis/packaging/feeds/sec";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisory-db")
}

/// The fixture as GitHub's archive of the repository has it: a `.tar.gz` with one top
/// directory.
fn fixture_tarball() -> Vec<u8> {
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    archive.append_dir_all("advisory-db-main", fixture()).unwrap();
    archive.into_inner().unwrap().finish().unwrap()
}

async fn index_yanked(wharf: &RunningWharf, path: &str, version: &str) -> Option<bool> {
    let file = wharf.http().get(wharf.url(path)).send().await.unwrap().text().await.unwrap();
    wharf_index::lines(file.as_bytes()).find(|(_, l)| l.vers == version).map(|(_, l)| l.yanked)
}

async fn advisories_mark_hide_and_block_versions_as_the_feed_says(engine: Engine) {
    let upstream = LocalUpstream::start(vec![
        CrateSpec::new("adv-vuln", "1.0.0"),
        CrateSpec::new("adv-vuln", "1.1.0"),
        CrateSpec::new("adv-evil", "0.1.0"),
        CrateSpec::new("adv-info", "1.0.0"),
    ])
    .await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    wharf.create_feed("sec", true).await;
    let index = wharf.index_url("sec");
    let work = tempfile::tempdir().unwrap();

    // Before any advisory, a build saves adv-vuln 1.1.0 and adv-info 1.0.0, and locks them.
    let locked = work.path().join("locked");
    dependent_project(&locked, &index, &[("adv-vuln", "1"), ("adv-info", "1")]);
    let out = cargo(&locked, &work.path().join("home-1"), &["fetch"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&locked, "adv-vuln"), "1.1.0");

    // Imported from the command line: the malformed file is reported and skipped.
    let dir = fixture();
    let (ok, stdout, stderr) = crate::admin::admin(wharf.test_db(), &["import-advisories", dir.to_str().unwrap()], "");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Read 3 advisories: 3 added"), "{stdout}");
    assert!(stdout.contains("adv-bad") && stdout.contains("not a requirement"), "{stdout}");

    // Over REST, the same database again as a tarball: nothing new. Refusals first.
    let url = wharf.url("/_apis/advisories");
    let res = wharf.admin().apply(wharf.http().post(&url)).body("not a tarball").send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not a gzip-compressed tarball"));
    let user = wharf.user("sec-user", wharf_core::TokenScope::Write).await;
    let res = user.apply(wharf.http().post(&url)).body(fixture_tarball()).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = wharf.admin().apply(wharf.http().post(&url)).body(fixture_tarball()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let report: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(
        (report["read"].clone(), report["unchanged"].clone(), report["total"].clone()),
        (json!(3), json!(3), json!(3))
    );

    // Warn (the default): marked, not hidden.
    let vuln = "/default/default/_packaging/sec/Cargo/index/ad/v-/adv-vuln";
    assert_eq!(index_yanked(&wharf, vuln, "1.1.0").await, Some(false));
    let (_, page) = wharf.get_text("/default/default/_artifacts/feed/sec/package/adv-vuln").await;
    assert!(page.contains("RUSTSEC-2099-0001") && page.contains("Use after free"), "{page}");
    assert!(page.contains("Affects 1.1.0 here."), "{page}");
    let (_, security) = wharf.get_text("/default/default/_artifacts/feed/sec/security").await;
    assert!(
        security.contains(r#"data-package="adv-vuln" data-version="1.1.0" data-advisory="RUSTSEC-2099-0001""#),
        "{security}"
    );
    assert!(!security.contains(r#"data-version="1.0.0""#), "1.0.0 is unaffected: {security}");
    assert!(!security.contains("RUSTSEC-2099-0003"), "informational advisories are not affected versions");
    assert!(
        security.contains(r#"badge--critical">critical</span>"#),
        "severity from the CVSS vector (9.1): {security}"
    );

    // A malicious crate is blocked under any policy: cargo cannot select it.
    let evil = work.path().join("evil");
    dependent_project(&evil, &index, &[("adv-evil", "0.1")]);
    let out = cargo(&evil, &work.path().join("home-2"), &["generate-lockfile"], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("failed to select a version") && stderr.contains("adv-evil"), "{stderr}");
    let res = wharf
        .http()
        .get(wharf.url("/default/default/_packaging/sec/Cargo/api/v1/crates/adv-evil/0.1.0/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("RUSTSEC-2099-0002"));
    assert_eq!(upstream.hits("/files/adv-evil/0.1.0/download"), 0, "nothing of it was fetched");

    // Refused: a policy that does not exist.
    let (status, body) = wharf.send(Method::PATCH, FEED, Some(json!({"advisoryPolicy": "ignore"}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("advisoryPolicy") && body.to_string().contains("warn, hide or block"), "{body}");

    // Hide: new resolution passes 1.1.0 by; the locked build still gets it.
    let (status, body) = wharf.send(Method::PATCH, FEED, Some(json!({"advisoryPolicy": "hide"}))).await;
    assert_eq!((status, body["advisoryPolicy"].clone()), (200, json!("hide")), "{body}");
    assert_eq!(index_yanked(&wharf, vuln, "1.1.0").await, Some(true));
    assert_eq!(index_yanked(&wharf, vuln, "1.0.0").await, Some(false));
    let fresh = work.path().join("fresh");
    dependent_project(&fresh, &index, &[("adv-vuln", "1")]);
    let out = cargo(&fresh, &work.path().join("home-3"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(locked_version(&fresh, "adv-vuln"), "1.0.0");
    let out = cargo(&locked, &work.path().join("home-4"), &["fetch", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Block: the locked build is refused, and cargo says which advisory.
    let (status, body) = wharf.send(Method::PATCH, FEED, Some(json!({"advisoryPolicy": "block"}))).await;
    assert_eq!(status, 200, "{body}");
    let out = cargo(&locked, &work.path().join("home-5"), &["fetch", "--locked"], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("403") && stderr.contains("RUSTSEC-2099-0001"), "{stderr}");
    // The unmaintained crate is informational: never hidden or blocked.
    assert_eq!(
        index_yanked(&wharf, "/default/default/_packaging/sec/Cargo/index/ad/v-/adv-info", "1.0.0").await,
        Some(false)
    );

    // Every import is in the audit log.
    let (_, log) = wharf.send(Method::GET, "/_apis/audit?$top=200", None).await;
    let imports: Vec<_> = log["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "advisories.import")
        .map(|r| r["channel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(imports, ["rest", "cli"], "{log}");

    wharf.stop().await;
    upstream.stop().await;
}

/// Serves `body` at `/advisory-db.tar.gz` (and 404 elsewhere); returns the base URL.
async fn serve_tarball(body: Vec<u8>) -> String {
    let app = axum::Router::new().route("/advisory-db.tar.gz", axum::routing::get(move || async move { body.clone() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn the_database_is_fetched_from_its_url_on_a_schedule(engine: Engine) {
    let base = serve_tarball(fixture_tarball()).await;
    let url = format!("{base}/advisory-db.tar.gz");
    let app = crate::helpers::TestApp::builder(engine)
        .configure(|config| config.advisory_db = Some((url, Duration::from_secs(3600))))
        .build()
        .await;
    // The first fetch runs at start; its audit record is written after the import commits.
    let mut import = None;
    for _ in 0..100 {
        let (_, records) = app.db().audit().list(wharf_db::AuditFilter::Everything, 0, 10).await.unwrap();
        import = records.into_iter().find(|r| r.action == "advisories.import");
        if import.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let import = import.expect("the fetch ran and left an audit record");
    assert_eq!((import.actor.as_str(), import.channel.as_str()), ("system", "system"));
    assert_eq!(app.db().advisories().count().await.unwrap(), 3, "the fixture's three valid advisories");

    // A URL that fails says why, and keeps what was imported.
    let client = reqwest::Client::new();
    let missing = format!("{base}/gone.tar.gz");
    let err = wharf_service::advisories::fetch_and_import(app.core(), &client, &missing).await.unwrap_err();
    assert!(err.to_string().contains("answered 404"), "{err}");
    assert_eq!(app.db().advisories().count().await.unwrap(), 3);
}

on_both_engines!(
    advisories_mark_hide_and_block_versions_as_the_feed_says,
    the_database_is_fetched_from_its_url_on_a_schedule
);
