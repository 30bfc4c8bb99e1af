//! Warming a feed from a Cargo.lock with the real cargo and the real `wharf warm`: every
//! crates.io package of the lockfile is saved; a checksum that differs is reported and
//! nothing of it saved; with the upstream stopped, a fresh `CARGO_HOME` builds with that
//! lockfile through the feed.

use std::{process::Stdio, time::Duration};

use reqwest::Method;
use serde_json::{Value, json};
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project};

const FEED: &str = "/default/default/_apis/packaging/feeds/warm";

/// Polls the job at `location` until it is done.
async fn finished(wharf: &RunningWharf, location: &str) -> Value {
    for _ in 0..200 {
        let res = wharf.admin().apply(wharf.http().get(location)).send().await.unwrap();
        let job: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        if job["state"] == "done" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job at {location} never finished");
}

async fn a_feed_warmed_from_a_lockfile_builds_it_with_the_upstream_gone(engine: Engine) {
    let upstream = LocalUpstream::start(vec![
        CrateSpec::new("warm-a", "1.0.0"),
        CrateSpec::new("warm-b", "2.1.0"),
        CrateSpec::new("warm-c", "0.3.0"),
    ])
    .await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    wharf.create_feed("lockgen", true).await;
    wharf.create_feed("warm", true).await;
    let work = tempfile::tempdir().unwrap();

    // A lockfile resolved through another feed: only the index was read, nothing saved.
    let project = work.path().join("app");
    dependent_project(&project, &wharf.index_url("lockgen"), &[("warm-a", "1"), ("warm-b", "2"), ("warm-c", "0.3")]);
    let out = cargo(&project, &work.path().join("home-gen"), &["generate-lockfile"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lockfile = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    assert!(lockfile.contains("registry+https://github.com/rust-lang/crates.io-index"), "{lockfile}");

    // Refused: what is not a lockfile.
    let post = |path: String, body: String| wharf.admin().apply(wharf.http().post(wharf.url(&path))).body(body).send();
    let res = post(format!("{FEED}/warm"), "not = [a lockfile".into()).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("this is not a Cargo.lock"));

    // With a checksum altered, that package is reported and nothing of it is saved.
    let (pinned, _) = wharf_index::lockfile::crates_io_packages(&lockfile, None).unwrap();
    let real = pinned.iter().find(|p| p.name == "warm-c").unwrap().checksum.clone();
    let tampered = lockfile.replace(&real, &"0".repeat(64));
    assert_ne!(tampered, lockfile);
    let res = post(format!("{FEED}/warm"), tampered).await.unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let job = finished(&wharf, &location).await;
    assert_eq!(
        (job["total"].clone(), job["saved"].clone(), job["present"].clone()),
        (json!(3), json!(2), json!(0)),
        "{job}"
    );
    assert_eq!(job["failed"][0]["name"], "warm-c", "{job}");
    assert!(job["failed"][0]["reason"].as_str().unwrap().contains("checksum mismatch"), "{job}");
    let (_, package) = wharf.send(Method::GET, &format!("{FEED}/packages/warm-c"), None).await;
    assert!(package.to_string().contains("has no package"), "not saved: {package}");

    // The real `wharf warm` with the real lockfile: the rest is saved, the others were there.
    let lock_path = project.join("Cargo.lock");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args([
            "warm",
            "--url",
            &wharf.base,
            "--token",
            wharf.admin().token().unwrap(),
            "--feed",
            "default/default/warm",
        ])
        .arg(&lock_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("saved 1, already there 2, failed 0"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 of 3"), "progress is shown");

    // Every download came from the upstream once; then the upstream goes away.
    for (name, version) in [("warm-a", "1.0.0"), ("warm-b", "2.1.0"), ("warm-c", "0.3.0")] {
        assert_eq!(upstream.hits(&format!("/files/{name}/{version}/download")), 1, "{name}");
    }
    upstream.stop().await;
    let build = work.path().join("build");
    dependent_project(&build, &wharf.index_url("warm"), &[("warm-a", "1"), ("warm-b", "2"), ("warm-c", "0.3")]);
    std::fs::copy(&lock_path, build.join("Cargo.lock")).unwrap();
    let out = cargo(&build, &work.path().join("home-fresh"), &["build", "--locked", "--offline"], &[]).await;
    assert!(!out.status.success(), "offline with an empty CARGO_HOME cannot build: the test means it");
    let out = cargo(&build, &work.path().join("home-fresh"), &["build", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(build.join("Cargo.lock")).unwrap(), lockfile, "the same checksums");

    // The job's progress as server-sent events.
    let res =
        wharf.admin().apply(wharf.http().get(&location)).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let events = res.text().await.unwrap();
    assert!(events.contains("event: done") && events.contains("\"saved\":2"), "{events}");
    wharf.stop().await;
}

on_both_engines!(a_feed_warmed_from_a_lockfile_builds_it_with_the_upstream_gone);
