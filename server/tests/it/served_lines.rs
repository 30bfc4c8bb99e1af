//! Served index lines are always valid, and "yanked" never breaks a locked build (the
//! second audit, part 2), with an upstream that writes its JSON with spaces: a version
//! removed upstream, one quarantined and one an advisory hides are each marked yanked as
//! data (strict JSON, the saved line's fields with only `yanked` changed), the real cargo
//! builds `--locked` through the removed and the hidden one and is refused the quarantined
//! one with its reason; the feed's views serve every mark and refusal alike (finding 5),
//! and the running server hears of `wharf admin import-advisories` at once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{Canned, CrateSpec, LocalUpstream, index_path},
};

use crate::running::{Options, RunningWharf, assert_ok, cargo, dependent_project};

const FEED: &str = "/default/default/_apis/packaging/feeds/s";

/// JSON written as some registries do: `", "` and `": "` between tokens.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b" " } else { b", " })
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"" } else { b", " })
    }
}

/// An index file with each line rewritten spaced (the same data); only the versions `keep`
/// accepts.
fn spaced(file: &str, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    for line in file.lines() {
        let mut value: Value = serde_json::from_str(line).unwrap();
        // As a JSON library writes it: `yanked` always present.
        value["yanked"] = value.get("yanked").cloned().unwrap_or(json!(false));
        if !keep(value["vers"].as_str().unwrap()) {
            continue;
        }
        let mut bytes = Vec::new();
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut bytes, Spaced)).unwrap();
        out.push_str(std::str::from_utf8(&bytes).unwrap());
        out.push('\n');
    }
    assert!(out.contains("\"yanked\": false"), "{out}");
    out
}

use serde::Serialize as _;

async fn text(wharf: &RunningWharf, path: &str) -> (u16, String) {
    let res = wharf.http().get(wharf.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The index file of `name` in `registry` (`s`, `s@local`, `s@release`).
async fn index(wharf: &RunningWharf, registry: &str, name: &str) -> String {
    let (status, body) =
        text(wharf, &format!("/default/default/_packaging/{registry}/Cargo/index/{}", index_path(name))).await;
    assert_eq!(status, 200, "{registry} {name}: {body}");
    body
}

/// The served line of `version`, which must parse strictly: its value.
fn served_line(file: &str, version: &str) -> Value {
    for line in file.lines() {
        let value = wharf_index::strict_json(line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value["vers"] == version {
            return value;
        }
    }
    panic!("no line of {version} in {file}");
}

/// Waits until `name` `version` is served yanked by the feed, for at most `within`.
async fn until_yanked(wharf: &RunningWharf, name: &str, version: &str, within: Duration, what: &str) {
    let start = Instant::now();
    loop {
        let file = index(wharf, "s", name).await;
        if served_line(&file, version)["yanked"] == true {
            return;
        }
        assert!(start.elapsed() < within, "{what}: not marked within {within:?}: {file}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn every_yanked_mark_serves_locked_builds_and_views_agree(engine: Engine) {
    let crates = vec![
        CrateSpec::new("gone", "0.9.0"),
        CrateSpec::new("gone", "1.0.0"),
        CrateSpec::new("held", "1.0.0"),
        CrateSpec::new("adv-vuln", "1.1.0"),
    ];
    let upstream = LocalUpstream::start(crates).await;
    for name in ["gone", "held", "adv-vuln"] {
        let body = spaced(&upstream.index_file(name), |_| true);
        upstream.answer(&format!("/index/{}", index_path(name)), Canned::Body { content_type: "text/plain", body });
    }
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(1))).await;
    wharf.create_feed("s", true).await;
    let index_url = wharf.index_url("s");
    let work = tempfile::tempdir().unwrap();

    // Two projects lock and save their versions before any mark.
    let a = work.path().join("a");
    dependent_project(&a, &index_url, &[("gone", "1"), ("adv-vuln", "1")]);
    assert_ok(&cargo(&a, &work.path().join("home-a"), &["fetch"], &[]).await, "fetch a");
    let b = work.path().join("b");
    dependent_project(&b, &index_url, &[("held", "1")]);
    assert_ok(&cargo(&b, &work.path().join("home-b"), &["fetch"], &[]).await, "fetch b");
    let lock_a = std::fs::read_to_string(a.join("Cargo.lock")).unwrap();
    for (name, version) in [("gone", "1.0.0"), ("held", "1.0.0"), ("adv-vuln", "1.1.0")] {
        let path = format!("{FEED}/packages/{name}/versions/{version}/promote");
        let (status, body) = wharf.send(reqwest::Method::POST, &path, Some(json!({"view": "release"}))).await;
        assert_eq!(status, 200, "promote {name}: {body}");
    }

    // Removed upstream: the upstream stops listing gone 1.0.0.
    let only_old = spaced(&upstream.index_file("gone"), |v| v == "0.9.0");
    upstream
        .answer(&format!("/index/{}", index_path("gone")), Canned::Body { content_type: "text/plain", body: only_old });
    // Quarantined, with a reason.
    let path = format!("{FEED}/packages/held/versions/1.0.0/quarantine");
    let (status, body) =
        wharf.send(reqwest::Method::POST, &path, Some(json!({"reason": "under review by security"}))).await;
    assert_eq!(status, 200, "{body}");
    // Hidden by an advisory, imported from the command line while the server runs (its
    // caches were just filled): the server hears of it at once, not when a cache expires.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"advisoryPolicy": "hide"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(served_line(&index(&wharf, "s", "adv-vuln").await, "1.1.0")["yanked"], false);
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisory-db");
    let (ok, _, stderr) = crate::admin::admin(wharf.test_db(), &["import-advisories", fixture.to_str().unwrap()], "");
    assert!(ok, "{stderr}");
    until_yanked(&wharf, "adv-vuln", "1.1.0", Duration::from_millis(1500), "advisory imported by the CLI").await;
    until_yanked(&wharf, "gone", "1.0.0", Duration::from_secs(10), "removed upstream").await;
    until_yanked(&wharf, "held", "1.0.0", Duration::from_secs(2), "quarantined").await;

    // Each marked line is the saved line's data with only `yanked` changed; every line of
    // every file the feed and its views serve parses strictly.
    for (name, version) in [("gone", "1.0.0"), ("held", "1.0.0"), ("adv-vuln", "1.1.0")] {
        let saved: Value = serde_json::from_str(
            upstream.index_file(name).lines().find(|l| l.contains(&format!("\"{version}\""))).unwrap(),
        )
        .unwrap();
        for registry in ["s", "s@local", "s@release"] {
            let mut served = served_line(&index(&wharf, registry, name).await, version);
            assert_eq!(served["yanked"], true, "{registry} offers {name} {version}");
            served["yanked"] = json!(false);
            let mut expected = saved.clone();
            expected["yanked"] = json!(false);
            assert_eq!(served, expected, "{registry}: {name} {version} changed beyond `yanked`");
        }
        // The views' badges do not offer it either.
        let (_, badge) = text(&wharf, &format!("/default/default/_packaging/s@release/Cargo/badge/{name}.svg")).await;
        assert!(badge.contains("all yanked"), "{name} badge of s@release: {badge}");
    }

    // The real cargo, with a fresh cache: the lockfile builds through the removed and the
    // hidden versions, unchanged; the quarantined one is refused with its reason.
    let out = cargo(&a, &work.path().join("home-a2"), &["build", "--locked"], &[]).await;
    assert_ok(&out, "cargo build --locked through versions marked yanked");
    assert_eq!(std::fs::read_to_string(a.join("Cargo.lock")).unwrap(), lock_a);
    let out = cargo(&b, &work.path().join("home-b2"), &["fetch", "--locked"], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("under review by security"), "{stderr}");

    // Under `block` the views refuse the download as the feed does, and still mark it.
    let (status, body) = wharf.send(reqwest::Method::PATCH, FEED, Some(json!({"advisoryPolicy": "block"}))).await;
    assert_eq!(status, 200, "{body}");
    for registry in ["s", "s@local", "s@release"] {
        let (status, body) = text(
            &wharf,
            &format!("/default/default/_packaging/{registry}/Cargo/api/v1/crates/adv-vuln/1.1.0/download"),
        )
        .await;
        assert_eq!(status, 403, "{registry}: {body}");
        assert!(body.contains("RUSTSEC-2099-0001"), "{registry}: {body}");
        assert_eq!(served_line(&index(&wharf, registry, "adv-vuln").await, "1.1.0")["yanked"], true, "{registry}");
    }
    wharf.stop().await;
}

/// A version the upstream yanks after it was saved is served yanked by the views too.
async fn views_follow_upstream_yanks(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("yk", "1.0.0"), CrateSpec::new("yk", "1.1.0")]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(1))).await;
    wharf.create_feed("s", true).await;
    let (status, _) = text(&wharf, "/default/default/_packaging/s/Cargo/api/v1/crates/yk/1.1.0/download").await;
    assert_eq!(status, 200);
    let path = format!("{FEED}/packages/yk/versions/1.1.0/promote");
    let (status, body) = wharf.send(reqwest::Method::POST, &path, Some(json!({"view": "release"}))).await;
    assert_eq!(status, 200, "{body}");
    let yanked: String = upstream
        .index_file("yk")
        .lines()
        .map(|l| if l.contains("\"1.1.0\"") { l.replace("\"yanked\":false", "\"yanked\":true") } else { l.to_owned() })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(yanked.contains("\"yanked\":true"), "{yanked}");
    upstream.answer("/index/2/yk", Canned::Body { content_type: "text/plain", body: yanked });
    until_yanked(&wharf, "yk", "1.1.0", Duration::from_secs(10), "yanked upstream").await;
    for registry in ["s@local", "s@release"] {
        assert_eq!(served_line(&index(&wharf, registry, "yk").await, "1.1.0")["yanked"], true, "{registry}");
    }
    wharf.stop().await;
}

on_both_engines!(every_yanked_mark_serves_locked_builds_and_views_agree, views_follow_upstream_yanks);
