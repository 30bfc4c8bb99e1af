//! What Wharf tells people to paste works with the real cargo as pasted: a private feed's
//! project configuration (the Connect page's) on a fresh CI runner that has nothing but
//! the token variable, and a package page's `cargo add` line in a project that replaces
//! crates.io with the feed. And the Security page never claims "nothing is affected" when
//! no advisory database was loaded.

use std::time::Duration;

use serde_json::json;
use wharf_core::{Visibility, snippet::ConnectInfo};
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, assert_ok, cargo};

/// A project depending on `hb`, with `config` as its `.cargo/config.toml`.
fn project(dir: &std::path::Path, config: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nhb = \"1\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join(".cargo/config.toml"), config).unwrap();
}

async fn a_fresh_ci_runner_needs_only_the_project_config_and_the_token(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("hb", "1.0.0")]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    let body = json!({"name": "ci", "visibility": "private", "upstreamEnabled": true});
    let (status, body) = wharf.send(reqwest::Method::POST, "/default/default/_apis/packaging/feeds", Some(body)).await;
    assert_eq!(status, 201, "{body}");
    // What the Connect page shows for this feed.
    let info = ConnectInfo {
        feed: "ci".into(),
        index_url: wharf.index_url("ci"),
        visibility: Visibility::Private,
        includes_crates_io: true,
        tokens_url: wharf.url("/_user/tokens"),
    };
    let config = info.project_config();
    assert!(config.contains("global-credential-providers"), "{config}");
    let token = wharf.admin().token().expect("the administrator's token").to_owned();
    let ci = [(info.token_env_var(), token)];
    let env: Vec<(&str, &str)> = ci.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    // A fresh runner: an empty CARGO_HOME, the project's file as pasted, the variable.
    let work = tempfile::tempdir().unwrap();
    project(&work.path().join("pasted"), &config);
    let out = cargo(&work.path().join("pasted"), &work.path().join("home-1"), &["generate-lockfile"], &env).await;
    assert_ok(&out, "cargo generate-lockfile with the pasted configuration and the token variable");

    // Without the credential provider line, cargo itself refuses: the line is what it needs.
    let bare = config.split("\n[registry]").next().unwrap().to_owned();
    project(&work.path().join("bare"), &bare);
    let out = cargo(&work.path().join("bare"), &work.path().join("home-2"), &["generate-lockfile"], &env).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("credential-provider"), "{stderr}");
    wharf.stop().await;
    upstream.stop().await;
}

async fn a_package_page_add_line_works_as_pasted_and_security_says_what_it_knows(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("hb", "1.0.0"), CrateSpec::new("hb", "1.1.0")]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    wharf.create_feed("open", true).await;
    let (status, _) = wharf.get_text("/default/default/_packaging/open/Cargo/api/v1/crates/hb/1.0.0/download").await;
    assert_eq!(status, 200, "hb saved into the feed");

    // The package page of a crate saved from crates.io, in a feed that replaces crates.io.
    let (status, page) = wharf.get_text("/default/default/_artifacts/feed/open/package/hb").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("cargo add hb\n"), "{page}");
    assert!(!page.contains("cargo add hb --registry"), "{page}");

    // Pasted into a project set up as the Connect page says, the real cargo adds it.
    let info = ConnectInfo {
        feed: "open".into(),
        index_url: wharf.index_url("open"),
        visibility: Visibility::Public,
        includes_crates_io: true,
        tokens_url: wharf.url("/_user/tokens"),
    };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("adder");
    project(&dir, &info.project_config());
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"adder\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    )
    .unwrap();
    let line = info.add_command("hb");
    let args: Vec<&str> = line.split_whitespace().skip(1).collect();
    let out = cargo(&dir, &work.path().join("home"), &args, &[]).await;
    assert_ok(&out, &line);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("hb = \"1.1.0\""), "{manifest}");
    assert!(!manifest.contains("registry"), "one hb, from crates.io as the feed serves it: {manifest}");
    assert_ok(&cargo(&dir, &work.path().join("home"), &["generate-lockfile"], &[]).await, "generate-lockfile");

    // The Security page: no advisory database loaded is said as such, not as "nothing is
    // affected"; once one is loaded, the plain summary.
    let security = "/default/default/_artifacts/feed/open/security";
    let (status, page) = wharf.get_text(security).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No advisory database is loaded"), "{page}");
    assert!(!page.contains("No version this feed holds is affected"), "{page}");
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisory-db");
    let (ok, _, stderr) = crate::admin::admin(wharf.test_db(), &["import-advisories", fixture.to_str().unwrap()], "");
    assert!(ok, "{stderr}");
    let (_, page) = wharf.get_text(security).await;
    assert!(page.contains("No version this feed holds is affected"), "{page}");
    assert!(!page.contains("No advisory database is loaded"), "{page}");
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(
    a_fresh_ci_runner_needs_only_the_project_config_and_the_token,
    a_package_page_add_line_works_as_pasted_and_security_says_what_it_knows
);
