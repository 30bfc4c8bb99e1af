//! The local upstream against the real `cargo` binary, and its HTTP contract on the wire.

use std::io::Read;
use std::process::Output;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wharf_test_support::upstream::{CrateSpec, DepSpec, LocalUpstream, Mode, SAMPLE_RESOLVED, index_path};

const RESOLVED: &[(&str, &str)] = SAMPLE_RESOLVED;

/// A consumer project whose crates.io is replaced by `upstream`, with its own `CARGO_HOME`.
struct Consumer {
    dir: tempfile::TempDir,
}

impl Consumer {
    fn new(upstream: &LocalUpstream, dependencies: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path().join("consumer");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::create_dir_all(dir.path().join("cargo-home")).unwrap();
        std::fs::write(
            root.join(".cargo/config.toml"),
            format!(
                "[registries]\nup = {{ index = \"{}\" }}\n\n[source.crates-io]\nreplace-with = \"up\"\n",
                upstream.index_url()
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            format!(
                "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}\n"
            ),
        )
        .unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub use top::value;\n").unwrap();
        Consumer { dir }
    }

    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("consumer")
    }

    fn lockfile(&self) -> String {
        std::fs::read_to_string(self.root().join("Cargo.lock")).expect("Cargo.lock written")
    }

    /// Runs the real cargo in the consumer, isolated from the caller's cargo settings.
    async fn cargo(&self, args: &[&str], failing: bool) -> Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = tokio::process::Command::new(cargo);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("CARGO_") {
                command.env_remove(key);
            }
        }
        command
            .args(args)
            .current_dir(self.root())
            .env("CARGO_HOME", self.dir.path().join("cargo-home"))
            .env("CARGO_TARGET_DIR", self.dir.path().join("target"))
            .env("CARGO_NET_OFFLINE", "false")
            .env("CARGO_TERM_COLOR", "never")
            .env("no_proxy", "127.0.0.1")
            .kill_on_drop(true);
        if failing {
            command.env("CARGO_NET_RETRY", "0").env("CARGO_HTTP_TIMEOUT", "5");
        }
        tokio::time::timeout(Duration::from_secs(300), command.output())
            .await
            .expect("cargo finished within 5 minutes")
            .expect("cargo runs")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_success(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed:\n{}", stderr(output));
}

/// A raw HTTP/1.1 GET; returns the status, the headers (lowercased names) and the body.
async fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string())).collect();
    (status, headers, response[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread")]
async fn real_cargo_resolves_downloads_and_builds_the_sample() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let consumer =
        Consumer::new(&upstream, "top = { version = \"0.1\", features = [\"extra\"] }\nbeta = \"=2.0.0-beta.1\"");

    assert_success(&consumer.cargo(&["generate-lockfile"], false).await, "cargo generate-lockfile");
    let lock = consumer.lockfile();
    for (name, version) in RESOLVED {
        let entry = format!(
            "name = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"",
            upstream.cksum(name, version)
        );
        assert!(lock.contains(&entry), "missing {name} {version} in Cargo.lock:\n{lock}");
    }
    assert!(!lock.contains("version = \"1.1.0\""), "yanked ab 1.1.0 was chosen:\n{lock}");
    assert_eq!(lock.matches("[[package]]").count(), RESOLVED.len() + 1, "{lock}");
    assert_eq!(upstream.hits("/files/a/1.0.0/download"), 0, "resolution downloads nothing");
    assert!(upstream.hits("/index/config.json") >= 1);
    assert!(upstream.hits("/index/up/pe/upper_leaf") >= 1);

    let build = consumer.cargo(&["build"], false).await;
    assert_success(&build, "cargo build");
    for compiled in ["Compiling top v0.1.0", "Compiling meta v1.0.1+build5", "Compiling opt-dep"] {
        assert!(stderr(&build).contains(compiled), "{}", stderr(&build));
    }
    for (name, version) in RESOLVED {
        let path = format!("/files/{name}/{version}/download");
        assert_eq!(upstream.hits(&path), 1, "{path}; requests: {:?}", upstream.requests());
    }
    assert_eq!(upstream.hits("/files/ab/1.1.0/download"), 0);
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fail500_makes_the_download_fail() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let consumer = Consumer::new(&upstream, "abc = \"1\"");
    assert_success(&consumer.cargo(&["generate-lockfile"], true).await, "cargo generate-lockfile");

    upstream.set_mode(Mode::Fail500);
    let fetch = consumer.cargo(&["fetch"], true).await;
    assert!(!fetch.status.success(), "cargo fetch succeeded against a failing upstream");
    assert!(stderr(&fetch).contains("500"), "{}", stderr(&fetch));
    assert!(
        upstream.requests().iter().any(|p| p.starts_with("/files/")),
        "the failed downloads are counted: {:?}",
        upstream.requests()
    );
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_crates_fail_the_checksum() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    upstream.set_mode(Mode::CorruptCrates);
    let consumer = Consumer::new(&upstream, "abc = \"1\"");
    assert_success(&consumer.cargo(&["generate-lockfile"], true).await, "cargo generate-lockfile");

    let fetch = consumer.cargo(&["fetch"], true).await;
    assert!(!fetch.status.success(), "cargo fetch accepted corrupt crates");
    assert!(stderr(&fetch).contains("checksum"), "{}", stderr(&fetch));
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_config_index_and_files_with_validators() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let port = upstream.port();

    let (status, headers, body) = get(port, "/index/config.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, format!("{{\"dl\":\"http://127.0.0.1:{port}/files\"}}").as_bytes());
    assert!(header(&headers, "etag").is_some());

    let (status, headers, body) = get(port, "/index/3/a/abc", &[]).await;
    assert_eq!(status, 200);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(body, upstream.index_file("abc"));
    assert_eq!(
        body,
        format!(
            "{{\"name\":\"abc\",\"vers\":\"1.0.0\",\"deps\":[{{\"name\":\"ab\",\"req\":\"^1\",\"features\":[],\"optional\":false,\"default_features\":true,\"target\":null,\"kind\":\"normal\",\"registry\":null}}],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":false,\"links\":null}}\n",
            upstream.cksum("abc", "1.0.0")
        )
    );
    let etag = header(&headers, "etag").unwrap().to_string();
    assert_eq!(etag, format!("\"{:x}\"", Sha256::digest(body.as_bytes())));
    let (status, _, body) = get(port, "/index/3/a/abc", &[("If-None-Match", &etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = get(port, "/index/3/a/abc", &[("If-None-Match", "\"other\"")]).await;
    assert_eq!(status, 200);

    let top = upstream.index_file("top");
    assert!(top.contains("{\"name\":\"aliased\",\"req\":\"^0.2\",\"features\":[],\"optional\":false,\"default_features\":true,\"target\":null,\"kind\":\"normal\",\"registry\":null,\"package\":\"real-name\"}"), "{top}");
    assert!(top.contains("\"target\":\"cfg(unix)\""), "{top}");
    assert!(top.contains("\"kind\":\"build\"") && top.contains("\"kind\":\"dev\""), "{top}");
    assert!(top.contains("\"features\":{\"default\":[],\"extra\":[\"opt-dep\"]}"), "{top}");
    assert!(top.ends_with(",\"rust_version\":\"1.70\"}\n"), "{top}");
    let ab = upstream.index_file("ab");
    assert_eq!(ab.lines().count(), 2);
    assert!(ab.lines().nth(1).unwrap().contains("\"vers\":\"1.1.0\"") && ab.contains("\"yanked\":true"));
    assert_eq!(upstream.index_file("META").lines().count(), 2);
    assert_eq!(index_path("Upper_Leaf"), "up/pe/upper_leaf");

    assert_eq!(get(port, "/index/no/ne/none-such", &[]).await.0, 404);
    assert_eq!(get(port, "/index/3/a/abd", &[]).await.0, 404);
    assert_eq!(get(port, "/files/abc/9.9.9/download", &[]).await.0, 404);

    for path in ["/files/meta/1.0.1+build5/download", "/files/meta/1.0.1%2Bbuild5/download"] {
        let (status, headers, body) = get(port, path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "content-type"), Some("application/octet-stream"));
        assert_eq!(body, upstream.crate_bytes("meta", "1.0.1+build5"));
        assert_eq!(upstream.hits(path), 1);
    }
    assert_eq!(upstream.hits("/index/3/a/abc"), 3);

    upstream.set_mode(Mode::CorruptCrates);
    let (status, _, body) = get(port, "/files/a/1.0.0/download", &[]).await;
    let good = upstream.crate_bytes("a", "1.0.0");
    assert_eq!((status, body.len()), (200, good.len()));
    assert_eq!(body.iter().zip(&good).filter(|(x, y)| x != y).count(), 1);
    assert_eq!(get(port, "/index/1/a", &[]).await.0, 200);

    upstream.set_mode(Mode::Fail500);
    assert_eq!(get(port, "/index/1/a", &[]).await.0, 500);
    upstream.set_mode(Mode::Normal);
    assert_eq!(get(port, "/index/1/a", &[]).await.0, 200);
    assert_eq!(upstream.hits("/index/1/a"), 3);
    upstream.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crate_files_are_deterministic_and_well_formed() {
    let first = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let second = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    for (name, version) in RESOLVED {
        let bytes = first.crate_bytes(name, version);
        assert_eq!(bytes, second.crate_bytes(name, version), "{name} {version}");
        assert_eq!(first.cksum(name, version), format!("{:x}", Sha256::digest(&bytes)));
    }

    let bytes = first.crate_bytes("top", "0.1.0");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut entries = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header();
        assert_eq!((header.mode().unwrap(), header.mtime().unwrap()), (0o644, 1));
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        entries.push((path, contents));
    }
    let paths: Vec<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["top-0.1.0/Cargo.toml", "top-0.1.0/build.rs", "top-0.1.0/src/lib.rs"]);
    let manifest = &entries[0].1;
    assert!(manifest.contains("\"aliased\" = { version = \"^0.2\", package = \"real-name\" }"), "{manifest}");
    assert!(manifest.contains("[target.'cfg(unix)'.dependencies]"), "{manifest}");

    let custom = CrateSpec::new("x", "1.0.0").dep(DepSpec::new("y", "1").features(&["f"]));
    let custom = LocalUpstream::start(vec![custom]).await;
    assert!(custom.index_file("x").contains("\"features\":[\"f\"]"));
    for upstream in [first, second, custom] {
        upstream.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_then_stop_refuses_connections_and_restart_serves() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let port = upstream.port();
    upstream.set_mode(Mode::Hang);

    let hanging = tokio::spawn(get(port, "/index/1/a", &[]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!hanging.is_finished(), "a hanging upstream answered");
    assert_eq!(upstream.hits("/index/1/a"), 1, "hanging requests are counted");

    tokio::time::timeout(Duration::from_secs(10), upstream.stop())
        .await
        .expect("stop is not blocked by a hanging request");
    let error =
        TcpStream::connect(("127.0.0.1", port)).await.expect_err("the port still accepts connections after stop");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    upstream.stop().await; // idempotent
    hanging.abort();

    let again = LocalUpstream::start_on(port, LocalUpstream::sample_crates()).await;
    assert_eq!(again.port(), port);
    let (status, _, _) = get(port, "/index/config.json", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(again.crate_bytes("a", "1.0.0"), upstream.crate_bytes("a", "1.0.0"));
    again.stop().await;
}
