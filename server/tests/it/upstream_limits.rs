//! The upstream is not trusted with the server's memory or network: index files,
//! `config.json` and `.crate` files are read only up to a bound, redirects are followed only
//! within the origin asked, and a `.crate` is streamed into storage and kept only when its
//! sha256 is the index's. Each refusal is a clear error to the client, and nothing is saved.

use std::time::Duration;

use wharf::config::UpstreamLimits;
use wharf_test_support::{
    Engine,
    upstream::{Canned, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, consumer_project};

const FEED: &str = "/default/default/_packaging/team/Cargo";

/// Small limits, so that the tests serve little; the sample crates are far below them.
const LIMITS: UpstreamLimits = UpstreamLimits { index_file: 64 * 1024, config_json: 4 * 1024, crate_file: 64 * 1024 };

async fn setup() -> (LocalUpstream, RunningWharf) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let options = Options {
        upstream_index: upstream.index_url(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(2),
        tls: None,
        limits: LIMITS,
        clock: Default::default(),
    };
    let wharf = RunningWharf::start(Engine::Sqlite, options).await;
    wharf.create_feed("team", true).await;
    (upstream, wharf)
}

/// Status and body text of a `GET` on the feed.
async fn get(wharf: &RunningWharf, path: &str) -> (u16, String) {
    let res = wharf.http().get(wharf.url(&format!("{FEED}{path}"))).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Nothing saved: no package in the feed, no file (not even a partial one) in storage.
async fn assert_nothing_saved(wharf: &RunningWharf, upstream: &LocalUpstream) {
    let scope = wharf.db.scopes().resolve("default", Some("default")).await.unwrap();
    let feed_id = wharf.db.feeds().get(&scope, "team").await.unwrap().id;
    let saved = wharf.db.packages().list(feed_id, "").await.unwrap();
    assert!(saved.is_empty(), "saved: {saved:?}; upstream saw {:?}", upstream.requests());
    let files = crate::helpers::files_under(&wharf.data_dir().join("storage"));
    assert!(files.is_empty(), "files left in storage: {files:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_upstream_answers_are_refused_and_nothing_is_saved() {
    let (upstream, wharf) = setup().await;

    // config.json: read up to 4 KiB here, so a download cannot be saved.
    upstream.answer("/index/config.json", Canned::Filler(64 * 1024));
    let (status, body) = get(&wharf, "/api/v1/crates/abc/1.0.0/download").await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("the upstream's config.json is larger than 4 KiB, the most Wharf takes"), "{body}");
    upstream.clear_answer("/index/config.json");

    // An index file, chunked with no Content-Length: refused once past 64 KiB.
    upstream.answer("/index/ch/ai/chain-mid", Canned::Filler(1024 * 1024));
    let (status, body) = get(&wharf, "/index/ch/ai/chain-mid").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("the upstream's index file for `chain-mid` is larger than 64 KiB"), "{body}");
    let (status, body) = get(&wharf, "/api/v1/crates/chain-mid/0.3.0/download").await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("index file for `chain-mid` is larger"), "{body}");

    // A .crate past 64 KiB, chunked: refused while streaming, no partial file kept.
    upstream.answer("/files/ab/1.0.0/download", Canned::Filler(1024 * 1024));
    let (status, body) = get(&wharf, "/api/v1/crates/ab/1.0.0/download").await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("the upstream's .crate file is larger than 64 KiB, the most Wharf takes"), "{body}");

    // A .crate whose bytes are not the index's: streamed, checked, discarded.
    upstream.answer("/files/a/1.0.0/download", Canned::Filler(10 * 1024));
    let (status, body) = get(&wharf, "/api/v1/crates/a/1.0.0/download").await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("served a .crate file whose sha256 is"), "{body}");
    assert_nothing_saved(&wharf, &upstream).await;

    // The real cargo shows the reason too.
    upstream.answer("/index/3/t/top", Canned::Filler(1024 * 1024));
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("consumer");
    consumer_project(&project, &wharf.index_url("team"));
    let out = cargo(&project, &work.path().join("home"), &["generate-lockfile"], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("the upstream's index file for `top` is larger than 64 KiB"), "{stderr}");

    // Answered normally again, the same files are saved.
    for path in ["/files/ab/1.0.0/download", "/files/a/1.0.0/download"] {
        upstream.clear_answer(path);
    }
    for (name, version) in [("ab", "1.0.0"), ("a", "1.0.0")] {
        let res = wharf.http().get(wharf.url(&format!("{FEED}/api/v1/crates/{name}/{version}/download"))).send().await;
        let bytes = res.unwrap().bytes().await.unwrap();
        assert!(bytes.as_ref() == upstream.crate_bytes(name, version).as_slice(), "{name}");
    }
    upstream.stop().await;
    wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_to_another_host_are_not_followed() {
    let (upstream, wharf) = setup().await;
    let port = upstream.port();

    // Another host (the same server under another name, so following it would work).
    upstream.answer("/index/3/a/abc", Canned::Redirect(format!("http://localhost:{port}/index/1/a")));
    let (status, body) = get(&wharf, "/index/3/a/abc").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(&format!("redirected to http://localhost:{port}, another host")), "{body}");
    assert_eq!(upstream.hits("/index/1/a"), 0, "the redirect was followed");

    upstream.answer(
        "/files/ab/1.0.0/download",
        Canned::Redirect(format!("http://localhost:{port}/files/AB/1.0.0/download")),
    );
    let (status, body) = get(&wharf, "/api/v1/crates/ab/1.0.0/download").await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body.contains("another host; Wharf follows redirects only within the scheme, host and port it asked"),
        "{body}"
    );
    assert_eq!(upstream.hits("/files/AB/1.0.0/download"), 0, "the redirect was followed");
    assert_nothing_saved(&wharf, &upstream).await;

    // Within the same origin, redirects are still followed.
    upstream
        .answer("/files/a/1.0.0/download", Canned::Redirect(format!("http://127.0.0.1:{port}/files/A/1.0.0/download")));
    let res = wharf.http().get(wharf.url(&format!("{FEED}/api/v1/crates/a/1.0.0/download"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().as_ref() == upstream.crate_bytes("a", "1.0.0").as_slice());
    assert_eq!(upstream.hits("/files/A/1.0.0/download"), 1);
    upstream.stop().await;
    wharf.stop().await;
}
