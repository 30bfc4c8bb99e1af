//! No route reads a body before it knows the caller may send it. Every route of the
//! router's inventory that takes a body is sent, over a raw connection, the head of a
//! request declaring a large body and only a few bytes of it, by a caller who may not send
//! it: the refusal must come at once (a route that read first would wait for the rest).
//! A fresh `wharf serve` keeps its memory under 16 slow anonymous uploads, and cuts off
//! an administrator's upload that does not arrive within `--body-timeout`.

use std::{
    io::Read as _,
    process::Stdio,
    time::{Duration, Instant},
};

use axum::http::Method;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use wharf_core::{Role, TokenScope};
use wharf_test_support::{Engine, on_both_engines};

use crate::{
    helpers::Caller,
    running::{Options, RunningWharf},
};

/// How soon a refusal must come. The server's body timeout is 60 s here: a route that
/// reads the body first answers only then.
const PROMPT: Duration = Duration::from_secs(8);

/// The head of a request declaring `length` bytes of body, then a few of them; the status
/// of the answer if it comes within [`PROMPT`], and how long it took.
async fn send_head(
    addr: &str,
    method: &Method,
    path: &str,
    headers: &[(&str, String)],
    length: u64,
) -> (u16, Duration) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"name\":").await.unwrap();
    let answer = tokio::time::timeout(PROMPT, async {
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while got.len() < 12 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        got
    })
    .await;
    let Ok(answer) = answer else {
        panic!("{method} {path}: no answer within {PROMPT:?}: the body is being read before the caller is known");
    };
    let status = String::from_utf8_lossy(&answer).get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, started.elapsed())
}

/// (method, path, headers, the status of the refusal).
type Case<'a> = (Method, &'a str, Vec<(&'a str, String)>, u16);

/// The route pattern with every parameter filled in: the feed `held` (private) and things
/// in it.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{org}", "default")
        .replace("{project}", "default")
        .replace("{feed}", "held")
        .replace("{package}", "demo")
        .replace("{krate}", "demo")
        .replace("{version}", "1.0.0")
        .replace("{view}", "release")
        .replace("{source}", "crates-io")
        .replace("{id}", "1")
        .replace("{job}", "1")
}

async fn no_route_reads_a_body_before_it_knows_the_caller(engine: Engine) {
    let wharf =
        RunningWharf::start(engine, Options::upstream("http://127.0.0.1:9/index/".into(), Duration::from_secs(300)))
            .await;
    let res = wharf
        .admin()
        .apply(wharf.http().post(wharf.url("/default/default/_apis/packaging/feeds")))
        .header("content-type", "application/json")
        .body(serde_json::json!({"name": "held", "visibility": "private", "upstreamEnabled": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let addr = wharf.base.trim_start_matches("http://").to_owned();
    let read_only: Vec<&str> = app::server::READ_ONLY_FNS.to_vec();
    let with_body: Vec<(Method, String)> =
        wharf::routes::inventory().into_iter().filter(|(method, _)| *method != Method::GET).collect();
    assert!(with_body.len() > 40, "the inventory lists the routes with bodies: {with_body:?}");
    let json = [("Content-Type", "application/json".to_owned())];
    for (method, pattern) in &with_body {
        let path = concrete(pattern);
        // Larger than any route takes, and (where the caller might send one) a body every
        // route takes: refused at once either way, by an anonymous caller.
        for length in [60_000_000, 60_000] {
            if length == 60_000 && read_only.contains(&pattern.as_str()) {
                // Anyone may call these (they read public feeds): bounded and timed only.
                continue;
            }
            let (status, took) = send_head(&addr, method, &path, &json, length).await;
            assert!(
                matches!(status, 303 | 401 | 403 | 404 | 413),
                "{method} {pattern} (declared {length} bytes, anonymous): answered {status}"
            );
            assert!(took < PROMPT, "{method} {pattern}: {took:?}");
        }
    }

    // Signed in, but not allowed: the large bodies are not read either.
    let scope = wharf.db.scopes().resolve("default", Some("default")).await.unwrap();
    let held = wharf.db.feeds().get(&scope, "held").await.unwrap();
    let reader = wharf.user("rita", TokenScope::Write).await;
    let reader_token = reader.token().unwrap();
    let (rita, _) = wharf.db.users().by_name("rita").await.unwrap();
    wharf.db.roles().set(held.id, rita.id, Some(Role::Reader)).await.unwrap();
    let (cookie, _) = crate::helpers::session_cookie(&wharf.db, Some(&rita)).await;
    let (visitor, _) = crate::helpers::session_cookie(&wharf.db, None).await;
    let bearer = vec![("Authorization", format!("Bearer {reader_token}"))];
    let cases: [Case; 5] = [
        (Method::POST, "/_apis/advisories", bearer.clone(), 403),
        (Method::POST, "/default/default/_apis/packaging/feeds/held/warm", bearer.clone(), 403),
        (Method::PUT, "/default/default/_packaging/held/Cargo/api/v1/crates/new", bearer, 403),
        (
            Method::POST,
            "/default/default/_artifacts/feed/held/warm",
            vec![("Cookie", cookie), ("Content-Type", "multipart/form-data; boundary=x".into())],
            403,
        ),
        (Method::POST, "/_user/tokens", vec![("Cookie", visitor)], 303),
    ];
    for (method, path, headers, expected) in cases {
        for length in [60_000_000, 60_000] {
            let (status, _) = send_head(&addr, &method, path, &headers, length).await;
            assert!(
                status == expected || (length == 60_000_000 && status == 413),
                "{method} {path} (declared {length} bytes): answered {status}, expected {expected}"
            );
        }
    }

    // Every REST and cargo route, by a signed-in reader of `held` who is not a member of
    // the organization: the core admits the caller to the change before the body is read,
    // so each answers at once. Only a token of one's own may be made by any signed-in
    // caller; the portal's server functions name their feed in the body and are bounded
    // and timed (above).
    wharf.db.users().remove_member(scope.org_id, &rita).await.unwrap();
    let any_signed_in = ["/_apis/tokens"];
    let mut judged = 0;
    for (method, pattern) in &with_body {
        let rest_or_cargo = pattern.contains("/_apis/") || pattern.contains("/Cargo/");
        if !rest_or_cargo || any_signed_in.contains(&pattern.as_str()) {
            continue;
        }
        let headers = [json[0].clone(), ("Authorization", format!("Bearer {reader_token}"))];
        let (status, took) = send_head(&addr, method, &concrete(pattern), &headers, 60_000).await;
        assert!(
            matches!(status, 400 | 403 | 404),
            "{method} {pattern} (declared 60000 bytes, a reader): answered {status}"
        );
        assert!(took < PROMPT, "{method} {pattern}: {took:?}");
        judged += 1;
    }
    assert!(judged > 30, "the REST and cargo routes with bodies were sent: {judged}");
    wharf.stop().await;
}

on_both_engines!(no_route_reads_a_body_before_it_knows_the_caller);

/// VmRSS or VmHWM of a process, in bytes.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("{field} in {status}"));
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// A `.tar.gz` of one large entry that is not an advisory: the import reads through it as
/// it arrives, so sending it slowly keeps the upload going.
fn slow_tarball() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(48 * 1024 * 1024);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "advisory-db/README.bin", std::io::repeat(7).take(48 * 1024 * 1024)).unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Posts `head` and then `body` a kilobyte every 100 ms for at most `for_at_most`; the
/// status of the answer, when it came, and when it came.
async fn dribble(addr: String, head: String, body: std::sync::Arc<Vec<u8>>, for_at_most: Duration) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        for chunk in body.chunks(1024) {
            if writer.write_all(chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(for_at_most, async {
        let mut buf = [0u8; 256];
        while answer.len() < 12 {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    writing.abort();
    let status = String::from_utf8_lossy(&answer).get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, started.elapsed())
}

/// A fresh server with `--body-timeout 3`: its idle memory, then 16 slow anonymous uploads
/// of the advisory database and 16 of the Warm form, and 4 slow ones by an administrator.
/// The anonymous ones are refused unread; the administrator's are cut off with 408 after
/// the timeout; the peak stays under idle + 150 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_uploads_cost_no_memory_and_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let wharf = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(args).arg("--data-dir").arg(dir.path()).stdin(Stdio::piped()).stdout(Stdio::piped());
        cmd.stderr(Stdio::null()).kill_on_drop(true);
        cmd
    };
    let mut server =
        wharf(&["serve", "--listen", &addr, "--body-timeout", "3", "--upstream-index", "http://127.0.0.1:9/index/"])
            .spawn()
            .unwrap();
    let pid = server.id().unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http.get(format!("http://{addr}/_ready")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut create = wharf(&["admin", "create-user", "--name", "root", "--password-stdin", "--admin"]).spawn().unwrap();
    create.stdin.take().unwrap().write_all(b"correct horse battery\n").await.unwrap();
    assert!(create.wait().await.unwrap().success());
    let out =
        wharf(&["admin", "create-token", "--user", "root", "--name", "t", "--scope", "write"]).output().await.unwrap();
    let root = Caller::User {
        name: "root".into(),
        token: String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim().to_owned(),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = memory(pid, "VmRSS:");

    let tarball = std::sync::Arc::new(slow_tarball());
    let head = |path: &str, caller: &Caller| {
        let auth = caller.token().map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/octet-stream\r\nContent-Length: 60000000\r\n\r\n"
        )
    };
    let mut anonymous = Vec::new();
    for i in 0..32 {
        let path = if i % 2 == 0 { "/_apis/advisories" } else { "/default/default/_artifacts/feed/any/warm" };
        anonymous.push(tokio::spawn(dribble(
            addr.clone(),
            head(path, &Caller::Anonymous),
            tarball.clone(),
            Duration::from_secs(8),
        )));
    }
    let mut admins = Vec::new();
    for _ in 0..4 {
        let head = head("/_apis/advisories", &root);
        admins.push(tokio::spawn(dribble(addr.clone(), head, tarball.clone(), Duration::from_secs(15))));
    }
    for task in anonymous {
        let (status, took) = task.await.unwrap();
        assert!(matches!(status, 401 | 303), "an anonymous upload is refused unread: {status}");
        assert!(took < Duration::from_secs(3), "at once: {took:?}");
    }
    for task in admins {
        let (status, took) = task.await.unwrap();
        assert_eq!(status, 408, "a slow body is cut off");
        assert!(took >= Duration::from_millis(2900) && took < Duration::from_secs(10), "after the timeout: {took:?}");
    }
    let peak = memory(pid, "VmHWM:");
    eprintln!("idle {} MB, peak {} MB", idle >> 20, peak >> 20);
    assert!(peak < idle + 150 * 1024 * 1024, "idle {} MB, peak {} MB", idle >> 20, peak >> 20);
    server.kill().await.unwrap();
}
