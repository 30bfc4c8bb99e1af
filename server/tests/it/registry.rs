//! The sparse index and downloads of a feed with an upstream, with the real `cargo`
//! against a local upstream registry the tests build (no host outside this machine).

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use wharf_test_support::{
    Engine,
    upstream::{LocalUpstream, Mode, SAMPLE_RESOLVED},
};

use crate::running::{Options, RunningWharf, assert_ok, cargo, consumer_project};

const RESOLVED: &[(&str, &str)] = SAMPLE_RESOLVED;

/// A local upstream with the sample crates, a Wharf whose feed `team` has it as upstream,
/// and a consumer project pointed at the feed.
struct Setup {
    upstream: LocalUpstream,
    wharf: RunningWharf,
    work: tempfile::TempDir,
    project: PathBuf,
}

impl Setup {
    async fn new(tweak: impl FnOnce(Options) -> Options) -> Self {
        let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
        let wharf = RunningWharf::start(Engine::Sqlite, tweak(options(&upstream))).await;
        wharf.create_feed("team", true).await;
        let work = tempfile::tempdir().unwrap();
        let project = work.path().join("consumer");
        consumer_project(&project, &wharf.index_url("team"));
        Setup { upstream, wharf, work, project }
    }

    /// Runs cargo in the consumer with the `CARGO_HOME` named `home`.
    async fn cargo(&self, home: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        cargo(&self.project, &self.work.path().join(home), args, env).await
    }

    async fn finish(self) {
        self.upstream.stop().await;
        self.wharf.stop().await;
    }
}

fn options(upstream: &LocalUpstream) -> Options {
    Options {
        upstream_index: upstream.index_url(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(2),
        tls: None,
        limits: Default::default(),
        clock: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_builds_through_the_feed_and_every_version_is_saved() {
    // TTL 0: every index request revalidates, so the steps below also exercise 304s
    // and, once the upstream is gone, stale serving.
    let s = Setup::new(|o| Options { ttl: Duration::ZERO, ..o }).await;
    assert_ok(&s.cargo("home1", &["generate-lockfile"], &[]).await, "cargo generate-lockfile");
    let lock = std::fs::read_to_string(s.project.join("Cargo.lock")).unwrap();
    for (name, version) in RESOLVED {
        assert!(
            lock.contains(&format!("name = \"{name}\"\nversion = \"{version}\"")),
            "{name} {version} not in\n{lock}"
        );
    }
    assert_ok(&s.cargo("home2", &["fetch"], &[]).await, "cargo fetch");
    assert_ok(&s.cargo("home3", &["build"], &[]).await, "cargo build");

    // Every resolved version is saved, with the upstream's checksum.
    let scope = s.wharf.db.scopes().resolve("default", Some("default")).await.unwrap();
    let feed_id = s.wharf.db.feeds().get(&scope, "team").await.unwrap().id;
    for (name, version) in RESOLVED {
        let versions = s.wharf.db.packages().versions(feed_id, &name.to_ascii_lowercase()).await.unwrap();
        let expected = wharf_db::VersionEntry {
            version: version.to_string(),
            origin: wharf_db::Origin::Upstream,
            cksum: s.upstream.cksum(name, version),
        };
        assert_eq!(versions, [expected], "{name}");
    }
    // Each file came from the upstream once, however many CARGO_HOMEs asked.
    assert_eq!(s.upstream.hits("/files/top/0.1.0/download"), 1);
    // The portal lists them, and finds them by name.
    let page = s.wharf.http().get(s.wharf.url("/default/default/_artifacts/feed/team")).send().await.unwrap();
    let html = page.text().await.unwrap();
    for (name, _) in RESOLVED {
        assert!(html.contains(&format!("data-package=\"{name}\"")), "{name} not on the feed page");
    }
    let url = s.wharf.url("/default/default/_artifacts/feed/team?q=chain");
    let html = s.wharf.http().get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-package=\"chain-mid\"") && !html.contains("data-package=\"top\""));

    // The upstream goes away: a fresh CARGO_HOME still builds, and still resolves.
    s.upstream.stop().await;
    assert_ok(&s.cargo("home4", &["build"], &[]).await, "cargo build, upstream down");
    std::fs::remove_file(s.project.join("Cargo.lock")).unwrap();
    assert_ok(&s.cargo("home5", &["generate-lockfile"], &[]).await, "cargo generate-lockfile, upstream down");
    assert!(s.wharf.metric("wharf_index_requests_stale_total").await > 0);
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_versions_survive_a_restart_with_the_upstream_gone() {
    let Setup { upstream, wharf, work, project } = Setup::new(|o| o).await;
    assert_ok(&cargo(&project, &work.path().join("h1"), &["generate-lockfile"], &[]).await, "generate-lockfile");
    assert_ok(&cargo(&project, &work.path().join("h1"), &["fetch"], &[]).await, "fetch");
    upstream.stop().await;

    // A new process: no cache, no upstream; only what was stored.
    let wharf = wharf.restart().await;
    assert_ok(&cargo(&project, &work.path().join("h2"), &["build"], &[]).await, "build after restart, upstream gone");
    std::fs::remove_file(project.join("Cargo.lock")).unwrap();
    assert_ok(
        &cargo(&project, &work.path().join("h3"), &["generate-lockfile"], &[]).await,
        "generate-lockfile after restart, upstream gone",
    );
    let url = wharf.url("/default/default/_packaging/team/Cargo/api/v1/crates/meta/1.0.1+build5/download");
    let body = wharf.http().get(url).send().await.unwrap().bytes().await.unwrap();
    assert!(body.as_ref() == upstream.crate_bytes("meta", "1.0.1+build5").as_slice(), "not byte-identical");
    wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_upstream_crate_is_refused_and_nothing_is_saved() {
    let s = Setup::new(|o| o).await;
    assert_ok(&s.cargo("h1", &["generate-lockfile"], &[]).await, "generate-lockfile");

    s.upstream.set_mode(Mode::CorruptCrates);
    let out = s.cargo("h2", &["fetch"], &[]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("502"), "{stderr}");
    assert!(stderr.contains("served a .crate file whose sha256 is"), "{stderr}");
    let feed_id = s.wharf.db.feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(1)).await.unwrap()[0].id;
    assert!(s.wharf.db.packages().list(feed_id, "").await.unwrap().is_empty(), "something was saved");
    assert!(s.wharf.metric("wharf_upstream_checksum_mismatches_total").await > 0);

    // A good upstream afterwards works.
    s.upstream.set_mode(Mode::Normal);
    assert_ok(&s.cargo("h3", &["fetch"], &[]).await, "fetch after repair");
    assert_eq!(s.wharf.db.packages().list(feed_id, "").await.unwrap().len(), RESOLVED.len());
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_or_hanging_upstream_gets_cached_data_in_bounded_time() {
    let s = Setup::new(|o| Options { ttl: Duration::ZERO, ..o }).await;
    assert_ok(&s.cargo("h1", &["generate-lockfile"], &[]).await, "generate-lockfile");

    for (mode, home) in [(Mode::Fail500, "h2"), (Mode::Hang, "h3")] {
        s.upstream.set_mode(mode);
        let started = Instant::now();
        let out = s.cargo(home, &["generate-lockfile"], &[]).await;
        assert_ok(&out, &format!("generate-lockfile with the upstream in {mode:?}"));
        // The upstream timeout is 2 s and the dependency chain 5 deep.
        assert!(started.elapsed() < Duration::from_secs(20), "{mode:?} took {:?}", started.elapsed());
    }
    assert!(s.wharf.metric("wharf_index_requests_stale_total").await >= RESOLVED.len() as u64);
    s.upstream.set_mode(Mode::Normal);
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_resolution_revalidates_with_304s() {
    let s = Setup::new(|o| o).await;
    assert_ok(&s.cargo("home", &["generate-lockfile"], &[]).await, "first generate-lockfile");
    assert_eq!(s.wharf.metric("wharf_index_not_modified_total").await, 0);

    let debug = [("CARGO_HTTP_DEBUG", "true"), ("CARGO_LOG", "network=debug")];
    let out = s.cargo("home", &["generate-lockfile"], &debug).await;
    assert_ok(&out, "second generate-lockfile");
    let log = String::from_utf8_lossy(&out.stderr);
    let not_modified = log.lines().filter(|l| l.contains("< HTTP/1.1 304")).count();
    // Every index file cargo touched (one per crate) came back 304.
    assert!(not_modified >= RESOLVED.len(), "only {not_modified} 304s:\n{log}");
    // cargo fetches config.json without a validator; nothing else comes in full.
    assert_eq!(log.matches("< HTTP/1.1 200").count(), 1, "something was sent again in full:\n{log}");
    assert!(s.wharf.metric("wharf_index_not_modified_total").await >= RESOLVED.len() as u64);
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_downloads_fetch_from_the_upstream_once() {
    let s = Setup::new(|o| o).await;
    let url = s.wharf.url("/default/default/_packaging/team/Cargo/api/v1/crates/chain-mid/0.3.0/download");
    let requests = (0..24).map(|_| {
        let (http, url) = (s.wharf.http().clone(), url.clone());
        tokio::spawn(async move {
            let res = http.get(url).send().await.unwrap();
            (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
        })
    });
    let expected = s.upstream.crate_bytes("chain-mid", "0.3.0");
    for result in futures_util::future::join_all(requests).await {
        let (status, body) = result.unwrap();
        assert_eq!(status, 200);
        assert!(body == expected, "a download differs from the upstream's bytes");
    }
    assert_eq!(s.upstream.hits("/files/chain-mid/0.3.0/download"), 1);
    // Byte-identical later too, whatever the upstream does.
    s.upstream.set_mode(Mode::CorruptCrates);
    let again = s.wharf.http().get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(again.as_ref() == expected.as_slice());
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_endpoints_speak_cargo() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let wharf = RunningWharf::start(Engine::Sqlite, options(&upstream)).await;
    wharf.create_feed("team", true).await;
    wharf.create_feed("own", false).await;
    let http = wharf.http();
    let base = "/default/default/_packaging";

    // config.json: dl and api without trailing slashes, a strong ETag, 304.
    let res = http.get(wharf.url(&format!("{base}/team/Cargo/index/config.json"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));
    let body: serde_json::Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(body["dl"], wharf.url(&format!("{base}/team/Cargo/api/v1/crates")));
    assert_eq!(body["api"], wharf.url(&format!("{base}/team/Cargo")));
    let res = http
        .get(wharf.url(&format!("{base}/team/Cargo/index/config.json")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // Index files pass through byte for byte (rust_version and all), gzip when asked.
    let path = format!("{base}/team/Cargo/index/3/a/abc");
    let raw = http.clone();
    let identity = raw.get(wharf.url(&path)).send().await.unwrap();
    assert!(identity.headers().get("content-encoding").is_none());
    assert_eq!(identity.text().await.unwrap(), upstream.index_file("abc"));
    let gzipped = raw.get(wharf.url(&path)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let mut unzipped = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&gzipped.bytes().await.unwrap()[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, upstream.index_file("abc"));
    let a = raw.get(wharf.url(&format!("{base}/team/Cargo/index/1/a"))).send().await.unwrap().text().await.unwrap();
    assert!(a.contains("\"rust_version\":\"1.60\""), "{a}");
    assert_eq!(a, upstream.index_file("a"));

    // Names are looked up lower-cased; the index path must match the name.
    let upper = raw.get(wharf.url(&format!("{base}/team/Cargo/index/up/pe/upper_leaf"))).send().await.unwrap();
    assert_eq!(upper.status(), 200);
    let wrong = raw.get(wharf.url(&format!("{base}/team/Cargo/index/xx/yy/upper_leaf"))).send().await.unwrap();
    assert_eq!(wrong.status(), 404);
    let missing = raw.get(wharf.url(&format!("{base}/team/Cargo/index/no/ne/nonexistent"))).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("crate `nonexistent` is not in feed `team`"));

    // A feed without upstream serves only its own versions.
    let own = raw.get(wharf.url(&format!("{base}/own/Cargo/index/3/a/abc"))).send().await.unwrap();
    assert_eq!(own.status(), 404);
    let dl = raw.get(wharf.url(&format!("{base}/own/Cargo/api/v1/crates/abc/1.0.0/download"))).send().await.unwrap();
    assert_eq!(dl.status(), 404);
    assert!(dl.text().await.unwrap().contains("version 1.0.0 of crate `abc` is not in feed `own`"));

    // Unknown feed: to an anonymous caller 401, as for a private feed (whose name must not
    // be probed); to a signed-in caller 404 with a clear body.
    let res = raw.get(wharf.url(&format!("{base}/nope/Cargo/index/config.json"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = wharf
        .admin()
        .apply_cargo(raw.get(wharf.url(&format!("{base}/nope/Cargo/index/config.json"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.text().await.unwrap(), "Feed 'nope' does not exist in project 'default' of organization 'default'.");
    let res = wharf
        .admin()
        .apply_cargo(raw.get(wharf.url("/default/_packaging/team/Cargo/index/config.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a project feed is not visible at organization scope");
    upstream.stop().await;
    wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_uses_http2_over_native_tls() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
    let tls = Some((cert.clone(), key));
    let s = Setup::new(|o| Options { tls, ..o }).await;
    assert!(s.wharf.base.starts_with("https://"));
    let env =
        [("CARGO_HTTP_CAINFO", cert.to_str().unwrap()), ("CARGO_HTTP_DEBUG", "true"), ("CARGO_LOG", "network=debug")];
    let out = s.cargo("home", &["fetch"], &env).await;
    assert_ok(&out, "cargo fetch over https");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("ALPN: server accepted h2"), "no HTTP/2:\n{log}");
    assert!(!log.contains("HTTP/1.1 200"), "some request used HTTP/1.1");
    assert_eq!(s.upstream.hits("/files/top/0.1.0/download"), 1);
    s.finish().await;
}
