//! Parser bombs against a freshly started `wharf serve` process, its peak memory (VmHWM)
//! read from /proc: Cargo.lock files of inline tables sent to the warm endpoint, 8 at once,
//! and publishes whose Cargo.toml is 1 MiB of inline tables, several at once. The peak must
//! stay within 150 MB of what the idle server holds.

use std::{io::Write as _, process::Stdio, time::Duration};

use serde_json::json;
use wharf_test_support::{Engine, TestDatabase, on_both_engines};

use crate::helpers::Caller;

/// How much above its idle size a server may grow while it answers the bombs.
const HEADROOM_KB: u64 = 150 * 1024;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `wharf serve` process of its own, with an administrator's token.
struct Fresh {
    child: tokio::process::Child,
    base: String,
    admin: Caller,
    _db: TestDatabase,
}

async fn wharf_cli(db: &TestDatabase, data_dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", &db.url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "wharf {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

impl Fresh {
    async fn start(engine: Engine) -> Self {
        let db = TestDatabase::new(engine).await;
        let data_dir = db.dir.path().join("data");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
            .args(["--database-url", &db.url, "--upstream-index", "http://127.0.0.1:9/index/"])
            .arg("--data-dir")
            .arg(&data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start wharf serve");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..600 {
            if http.get(format!("{base}/_ready")).send().await.is_ok_and(|r| r.status() == 200) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "wharf serve never became ready");
        let admin = ["admin", "create-user", "--name", "root", "--password-stdin", "--admin"];
        wharf_cli(&db, &data_dir, &admin, "correct horse battery\n").await;
        let token = ["admin", "create-token", "--user", "root", "--name", "tests", "--scope", "write"];
        let out = wharf_cli(&db, &data_dir, &token, "").await;
        let admin = Caller::User { name: "root".into(), token: out.lines().last().unwrap().trim().to_owned() };
        Fresh { child, base, admin, _db: db }
    }

    /// A line of /proc/PID/status, in kB.
    fn status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id().unwrap())).unwrap();
        let line = status.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("no {key} in {status}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

/// A `.crate` of `demo-bomb` 0.1.0 whose Cargo.toml is `manifest`.
fn crate_with_manifest(manifest: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "demo-bomb-0.1.0/Cargo.toml", manifest.as_bytes()).unwrap();
    let mut gz = tar.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

async fn parser_bombs_keep_a_fresh_server_within_150_mb_of_idle(engine: Engine) {
    let wharf = Fresh::start(engine).await;
    let http = reqwest::Client::new();
    let feeds = format!("{}/default/default/_apis/packaging/feeds", wharf.base);
    let res = wharf
        .admin
        .apply(http.post(&feeds))
        .header("content-type", "application/json")
        .body(json!({"name": "bombs", "visibility": "private", "upstreamEnabled": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = wharf.status_kb("VmRSS:");

    // Lockfiles just under 4 MiB: one array of inline tables, and one table a line.
    let limit = wharf_index::lockfile::MAX_LOCKFILE - 64;
    let array = format!("version = 4\nx = [{}]\n", "{a=1},".repeat(limit / 6 - 4));
    let mut lines = String::from("version = 4\n");
    for i in 0.. {
        let line = format!("t{i} = {{a=1}}\n");
        if lines.len() + line.len() > limit {
            break;
        }
        lines.push_str(&line);
    }
    let lockfiles = [array, lines];
    let warms = (0..8).map(|i| {
        let request = wharf.admin.apply(http.post(format!("{feeds}/bombs/warm"))).body(lockfiles[i % 2].clone());
        async move { request.send().await.expect("the server answers every bomb (it was not killed for its memory)") }
    });

    // Publishes whose Cargo.toml is 1 MiB of inline tables.
    let head = "[package]\nname = \"demo-bomb\"\nversion = \"0.1.0\"\n[package.metadata]\nx = [";
    let manifest = format!("{head}{}]\n", "{a=1},".repeat((1024 * 1024 - head.len() - 2) / 6));
    let krate = crate_with_manifest(&manifest);
    let meta = json!({"name": "demo-bomb", "vers": "0.1.0", "deps": [], "features": {}});
    let body = wharf_test_support::publish_body(&meta, &krate);
    let publish_url = format!("{}/default/default/_packaging/bombs/Cargo/api/v1/crates/new", wharf.base);
    let publishes = (0..4).map(|_| {
        let request = wharf.admin.apply_cargo(http.put(&publish_url)).body(body.clone());
        async move { request.send().await.expect("the server answers every bomb (it was not killed for its memory)") }
    });

    let (warms, publishes) =
        tokio::join!(futures_util::future::join_all(warms), futures_util::future::join_all(publishes));
    let peak = wharf.status_kb("VmHWM:");
    eprintln!("idle {} MB, peak {} MB", idle / 1024, peak / 1024);
    for res in warms {
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 422, "{text}");
        assert!(text.contains("Cargo.lock"), "{text}");
    }
    for res in publishes {
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("a statement of more than 65536 tokens"), "{text}");
    }
    assert!(peak < idle + HEADROOM_KB, "the server grew from {} MB idle to a peak of {} MB", idle / 1024, peak / 1024);
}

on_both_engines!(parser_bombs_keep_a_fresh_server_within_150_mb_of_idle);
