//! `wharf export` and `wharf import` with the real binary and the real cargo: a feed's
//! bundle checks out with `sha256sum -c`, loads into a second instance (again without
//! change), refuses damage and conflicts leaving the feed as it was, and the copy builds a
//! project with the upstream gone and the lockfile's checksums; the static registry does
//! the same behind Debian's nginx.

use std::{
    path::{Path, PathBuf},
    process::{Output, Stdio},
    time::Duration,
};

use reqwest::Method;
use serde_json::json;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project};

const API: &str = "/default/default/_apis/packaging/feeds";

/// Runs the real `wharf` with `args` on the database and store of `wharf`.
async fn wharf_cli(wharf: &RunningWharf, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .arg("--data-dir")
        .arg(wharf.data_dir())
        .args(["--database-url", &wharf.test_db().url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The bundle with one byte of `file`'s contents changed (the tar stays readable).
fn damaged(bundle: &[u8], file: &str) -> Vec<u8> {
    let mut bytes = bundle.to_vec();
    // Its tar header: the name at the start of a 512-byte block (the manifest names it too).
    let header = (0..bytes.len())
        .step_by(512)
        .find(|at| bytes[*at..].starts_with(file.as_bytes()))
        .expect("the file is in the bundle");
    bytes[header + 512 + 20] ^= 0xff;
    bytes
}

/// Debian's nginx serving `root` as static files on `port`.
struct StaticServer {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for StaticServer {
    /// Stops nginx with SIGTERM and waits for it, so that its worker goes with it (the
    /// SIGKILL of `kill_on_drop` alone leaves the worker running).
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            for _ in 0..100 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl StaticServer {
    async fn start(root: &Path, port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let conf = format!(
            "user root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             default_type application/octet-stream;\n  \
             server {{\n    listen 127.0.0.1:{port};\n    root {};\n  }}\n}}\n",
            root.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let nginx = ["/usr/sbin/nginx", "nginx"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("nginx");
        let child = tokio::process::Command::new(nginx)
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .args(["-g", "daemon off;"])
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("this test needs Debian's nginx (scripts/test.sh installs it): {e}"));
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return StaticServer { child, _dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not start on port {port}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn index(wharf: &RunningWharf, feed: &str, path: &str) -> (u16, String) {
    wharf.get_text(&format!("/default/default/_packaging/{feed}/Cargo/index/{path}")).await
}

/// A project depending on the three crates, its index `index`, with `lockfile`.
fn locked_project(dir: &Path, index: &str, lockfile: &str) -> PathBuf {
    dependent_project(dir, index, &[("carry-a", "1"), ("carry-b", "2"), ("carry-own", "0.1")]);
    std::fs::write(dir.join("Cargo.lock"), lockfile).unwrap();
    dir.to_owned()
}

async fn a_feed_carried_in_a_bundle_builds_offline_with_the_same_checksums(engine: Engine) {
    let upstream =
        LocalUpstream::start(vec![CrateSpec::new("carry-a", "1.0.0"), CrateSpec::new("carry-b", "2.0.0")]).await;
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(300));
    let source = RunningWharf::start(engine, options.clone()).await;
    source.create_feed("source", true).await;
    source.publish("source", &CrateSpec::new("carry-own", "0.1.0")).await;
    source.publish("source", &CrateSpec::new("carry-held", "0.1.0")).await;
    let (status, body) = source
        .send(
            Method::POST,
            &format!("{API}/source/packages/carry-held/versions/0.1.0/quarantine"),
            Some(json!({"reason": "under review"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The project's crates come through the feed: the upstream's are saved into it.
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("app");
    dependent_project(
        &project,
        &source.index_url("source"),
        &[("carry-a", "1"), ("carry-b", "2"), ("carry-own", "0.1")],
    );
    let out = cargo(&project, &work.path().join("home-gen"), &["fetch"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lockfile = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();

    // The feed's settings go with it.
    let settings = json!({"advisoryPolicy": "hide", "keepRemovedUpstream": true, "badgesEnabled": false});
    let (status, body) = source.send(Method::PATCH, &format!("{API}/source"), Some(settings.clone())).await;
    assert_eq!(status, 200, "{body}");

    // Export: three versions; the quarantined one is left out and said so.
    let bundle = work.path().join("source.bundle");
    let out =
        wharf_cli(&source, &["export", "--feed", "default/default/source", "--out", bundle.to_str().unwrap()]).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Exported 3 versions of default/default/source"), "{stdout}");
    assert!(stdout.contains("skipped carry-held 0.1.0: quarantined (under review)"), "{stdout}");
    assert!(stderr.contains("[3/4] "), "progress is shown: {stderr}");

    // It checks out on its own, with nothing but tar and sha256sum.
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let tar = std::process::Command::new("tar").arg("-xf").arg(&bundle).arg("-C").arg(&unpacked).output().unwrap();
    assert!(tar.status.success(), "{}", String::from_utf8_lossy(&tar.stderr));
    let sums =
        std::process::Command::new("sha256sum").args(["-c", "SHA256SUMS"]).current_dir(&unpacked).output().unwrap();
    assert!(sums.status.success(), "{}", String::from_utf8_lossy(&sums.stdout));
    assert_eq!(
        String::from_utf8_lossy(&sums.stdout).matches(": OK").count(),
        7,
        "the manifest, 3 index files, 3 crates"
    );
    assert!(!unpacked.join("crates/carry-held").exists(), "quarantined versions are not carried");

    // The second instance.
    let target = RunningWharf::start(engine, options).await;
    let import = |bundle: PathBuf, feed: &'static str| {
        let target = &target;
        async move {
            let path = bundle.to_str().unwrap().to_owned();
            wharf_cli(target, &["import", &path, "--feed", feed, "--owner", "root"]).await
        }
    };

    // A damaged file: refused by name, and no feed is created for it.
    let bad = work.path().join("damaged.bundle");
    std::fs::write(&bad, damaged(&std::fs::read(&bundle).unwrap(), "crates/carry-a/carry-a-1.0.0.crate")).unwrap();
    let out = import(bad, "default/default/damaged").await;
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains("checksum mismatch: crates/carry-a/carry-a-1.0.0.crate"), "{stderr}");
    let (status, _) = target.send(Method::GET, &format!("{API}/damaged"), None).await;
    assert_eq!(status, 404, "nothing is left of a refused import");

    // A feed with another carry-own 0.1.0: the conflict is named, nothing goes in.
    target.create_feed("clash", false).await;
    target.publish("clash", &CrateSpec::new("carry-own", "0.1.0").feature("other", &[])).await;
    let out = import(bundle.clone(), "default/default/clash").await;
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains("carry-own 0.1.0: the feed holds another file"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let (status, _) = target.send(Method::GET, &format!("{API}/clash/packages/carry-a"), None).await;
    assert_eq!(status, 404, "no version of the bundle went in");

    // Into a new feed, and again: the second time changes nothing.
    let out = import(bundle.clone(), "default/default/copy").await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Created feed default/default/copy."), "{stdout}");
    let (_, copy) = target.send(Method::GET, &format!("{API}/copy"), None).await;
    for (name, value) in settings.as_object().unwrap() {
        assert_eq!(&copy[name], value, "{name} carried: {copy}");
    }
    assert!(stdout.contains("3 added, 0 already there"), "{stdout}");
    assert!(stderr.contains("[3/3] "), "progress is shown: {stderr}");
    let copied = index(&target, "copy", "ca/rr/carry-own").await;
    assert_eq!(copied, index(&source, "source", "ca/rr/carry-own").await, "the same index bytes");
    let saved = std::fs::read_to_string(unpacked.join("index/ca/rr/carry-a")).unwrap();
    assert_eq!(index(&target, "copy", "ca/rr/carry-a").await, (200, saved));
    let out = import(bundle.clone(), "default/default/copy").await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 added, 3 already there"), "{stdout}");
    assert_eq!(index(&target, "copy", "ca/rr/carry-own").await, copied);
    let (_, log) = target.send(Method::GET, &format!("{API}/copy/audit"), None).await;
    assert!(log.to_string().contains("feed.import"), "{log}");

    // The upstream goes away; the copy builds the project with the same checksums.
    upstream.stop().await;
    let build = locked_project(&work.path().join("build"), &target.index_url("copy"), &lockfile);
    let out = cargo(&build, &work.path().join("home-copy"), &["build", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(build.join("Cargo.lock")).unwrap(), lockfile);

    // The static registry behind nginx does too.
    let port = free_port();
    let site = work.path().join("static");
    let base = format!("http://127.0.0.1:{port}");
    let out = wharf_cli(
        &source,
        &["export", "--feed", "default/default/source", "--static-dir", site.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("sparse+{base}/")), "{stdout}");
    let nginx = StaticServer::start(&site, port).await;
    let build = locked_project(&work.path().join("build-static"), &format!("sparse+{base}/"), &lockfile);
    let out = cargo(&build, &work.path().join("home-static"), &["build", "--locked"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(build.join("Cargo.lock")).unwrap(), lockfile);
    drop(nginx);
    target.stop().await;
    source.stop().await;
}

/// A `.crate` of `entries` (path, kind, data; a symbolic link points at its data), the paths
/// written as given, `..` included.
fn raw_crate(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, kind, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        let body = if *kind == tar::EntryType::Symlink {
            header.set_link_name(data).unwrap();
            ""
        } else {
            data
        };
        header.set_size(body.len() as u64);
        header.set_cksum();
        tar.append(&header, body.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// A bundle of `evil` 1.0.0 whose file is `krate`, its checksums all right.
fn bundle_of(krate: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let sum = |bytes: &[u8]| hex::encode(sha2::Sha256::digest(bytes));
    let cksum = sum(krate);
    let line = format!("{}\n", json!({"name": "evil", "vers": "1.0.0", "deps": [], "cksum": cksum, "features": {}}));
    let manifest = json!({
        "format": 1, "generator": "test", "exportedAt": "2026-01-01T00:00:00Z",
        "feed": {"org": "default", "name": "evil", "visibility": "private"},
        "versions": [{"name": "evil", "version": "1.0.0", "origin": "local", "cksum": cksum,
                      "size": krate.len(), "file": "crates/evil/evil-1.0.0.crate"}],
    })
    .to_string();
    let files = [
        ("wharf-bundle.json", manifest.as_bytes()),
        ("index/ev/il/evil", line.as_bytes()),
        ("crates/evil/evil-1.0.0.crate", krate),
    ];
    let sums: String = files.iter().map(|(name, bytes)| format!("{}  {name}\n", sum(bytes))).collect();
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in files.into_iter().chain([("SHA256SUMS", sums.as_bytes())]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes).unwrap();
    }
    tar.into_inner().unwrap()
}

async fn an_import_checks_every_crate_as_a_publish_does_before_writing(engine: Engine) {
    let target =
        RunningWharf::start(engine, Options::upstream("http://127.0.0.1:9/index/".into(), Duration::ZERO)).await;
    let work = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"evil\"\nversion = \"1.0.0\"\n";
    let file = tar::EntryType::Regular;
    let cases = [
        (
            raw_crate(&[
                ("evil-1.0.0/Cargo.toml", file, manifest),
                ("evil-1.0.0/link", tar::EntryType::Symlink, "/etc"),
            ]),
            "the .crate entry `evil-1.0.0/link` is a symbolic link",
        ),
        (
            raw_crate(&[("evil-1.0.0/Cargo.toml", file, manifest), ("evil-1.0.0/../x", file, "")]),
            "the .crate entry `evil-1.0.0/../x` is not under `evil-1.0.0/`",
        ),
        (
            raw_crate(&[("evil-1.0.0/Cargo.toml", file, manifest), ("other-1.0.0/Cargo.toml", file, manifest)]),
            "the .crate entry `other-1.0.0/Cargo.toml` is not under `evil-1.0.0/`",
        ),
        (
            raw_crate(&[("evil-1.0.0/Cargo.toml", file, manifest), ("evil-1.0.0/CARGO.TOML", file, manifest)]),
            "the .crate has both `evil-1.0.0/Cargo.toml` and `evil-1.0.0/CARGO.TOML`",
        ),
        (
            raw_crate(&[("evil-1.0.0/Cargo.toml", file, "[package]\nname = \"other\"\nversion = \"1.0.0\"\n")]),
            "the .crate's Cargo.toml says name `other`",
        ),
    ];
    for (i, (krate, why)) in cases.iter().enumerate() {
        let path = work.path().join(format!("evil-{i}.bundle"));
        std::fs::write(&path, bundle_of(krate)).unwrap();
        let out = wharf_cli(
            &target,
            &["import", path.to_str().unwrap(), "--feed", "default/default/evil", "--owner", "root"],
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{stdout}");
        assert!(stderr.contains(&format!("evil 1.0.0: {why}")), "case {i}: {stderr}");
        let (status, _) = target.send(Method::GET, &format!("{API}/evil"), None).await;
        assert_eq!(status, 404, "case {i}: nothing is written for a refused bundle");
    }
    // The same bundle with a sound file goes in.
    let sound = work.path().join("sound.bundle");
    std::fs::write(&sound, bundle_of(&raw_crate(&[("evil-1.0.0/Cargo.toml", file, manifest)]))).unwrap();
    let out =
        wharf_cli(&target, &["import", sound.to_str().unwrap(), "--feed", "default/default/evil", "--owner", "root"])
            .await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 added"), "{stdout}");
    target.stop().await;
}

on_both_engines!(
    a_feed_carried_in_a_bundle_builds_offline_with_the_same_checksums,
    an_import_checks_every_crate_as_a_publish_does_before_writing,
);
