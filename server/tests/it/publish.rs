//! The publishing lifecycle with the real `cargo`: a workspace of crates depending on each
//! other and on the local upstream (renamed, optional, target-specific, build and dev
//! dependencies) is published to a feed, a consumer builds against it, and yank, search,
//! owner and every refusal are checked in cargo's own output.

use std::{path::Path, time::Duration};

use axum::http::StatusCode;
use wharf_core::{Role, TokenScope};
use wharf_test_support::{Engine, upstream::LocalUpstream};

use crate::running::{Options, RunningWharf, assert_ok, cargo};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A crate of the workspace: its manifest body (after `[package]`) and library.
fn member(root: &Path, name: &str, version: &str, rest: &str) {
    write(
        &root.join(name).join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
             description = \"The {name} crate\"\n\n{rest}"
        ),
    );
    write(&root.join(name).join("src/lib.rs"), "pub fn value() -> u32 { 42 }\n");
}

fn config(root: &Path, index_url: &str) {
    write(
        &root.join(".cargo/config.toml"),
        &format!("[registries]\nteam = {{ index = \"{index_url}\" }}\n\n[source.crates-io]\nreplace-with = \"team\"\n"),
    );
}

/// A running Wharf with a public feed `team` whose upstream is the local sample registry.
async fn team_feed(engine: Engine) -> (LocalUpstream, RunningWharf) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let options = Options {
        upstream_index: upstream.index_url(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(5),
        tls: None,
        limits: Default::default(),
        clock: Default::default(),
    };
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("team", true).await;
    (upstream, wharf)
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn cargo_publishes_yanks_searches_and_is_refused_clearly() {
    let (_upstream, wharf) = team_feed(Engine::Sqlite).await;
    let db = &wharf.db;
    let scope = db.scopes().resolve("default", Some("default")).await.unwrap();
    let feed = db.feeds().get(&scope, "team").await.unwrap();
    let mut tokens = Vec::new();
    for (name, role) in [("dev", Role::Contributor), ("viewer", Role::Reader)] {
        let user = db.users().create(name, "not a real hash", false).await.unwrap();
        db.roles().set(feed.id, user.id, Some(role)).await.unwrap();
        tokens.push(wharf::auth::issue_token(db, user.id, "cargo", TokenScope::Write, None, None).await.unwrap().1);
    }
    let (dev, viewer) = (tokens[0].clone(), tokens[1].clone());
    let index_url = wharf.index_url("team");
    let work = tempfile::tempdir().unwrap();
    let ws = work.path().join("ws");
    let home = work.path().join("cargo-home");
    write(&ws.join("Cargo.toml"), "[workspace]\nmembers = [\"ws-core\", \"ws-app\"]\nresolver = \"2\"\n");
    member(
        &ws,
        "ws-core",
        "0.1.0",
        "links = \"wscore\"\nrust-version = \"1.70\"\n\n[dependencies]\nchain-mid = \"0.3\"\naliased = { package = \"real-name\", version = \"0.2\" }\n\
         opt-dep = { version = \"1\", optional = true }\n\n[target.'cfg(unix)'.dependencies]\nunix-only = \"1\"\n\n\
         [build-dependencies]\nbuild-helper = \"1\"\n\n[dev-dependencies]\na = \"1\"\n\n[features]\nextra = [\"dep:opt-dep\"]\n",
    );
    // `links` needs a build script; with `rust-version`, the publish metadata must say what
    // the packaged manifest says, and cargo's does.
    write(&ws.join("ws-core/build.rs"), "fn main() {}\n");
    member(
        &ws,
        "ws-app",
        "0.1.0",
        "[dependencies]\nws-core = { version = \"0.1\", path = \"../ws-core\", registry = \"team\" }\n",
    );
    config(&ws, &index_url);
    let env = |token: &str| {
        vec![
            ("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token".to_owned()),
            ("CARGO_REGISTRIES_TEAM_TOKEN", token.to_owned()),
        ]
    };
    let run = |dir: std::path::PathBuf, args: Vec<&'static str>, token: String| {
        let home = home.clone();
        async move {
            let env = env(&token);
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            cargo(&dir, &home, &args, &env).await
        }
    };

    // Too little role: cargo prints the server's reason.
    let out =
        run(ws.clone(), vec!["publish", "--registry", "team", "-p", "ws-core", "--no-verify"], viewer.clone()).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("viewer has the reader role on this feed; this needs contributor or more"),
        "{}",
        text(&out)
    );

    // The whole workspace in one go: cargo publishes ws-core, waits until the feed's index
    // shows it, then publishes ws-app, which depends on it.
    let out = run(ws.clone(), vec!["publish", "--registry", "team", "--workspace", "--no-verify"], dev.clone()).await;
    assert_ok(&out, "publish --workspace");
    assert!(text(&out).contains("Published ws-core") && text(&out).contains("Published ws-app"), "{}", text(&out));

    // The index lines as published: renamed, optional, target, build and dev deps.
    let lines =
        wharf.http().get(wharf.url("/default/default/_packaging/team/Cargo/index/ws/-c/ws-core")).send().await.unwrap();
    let body = lines.text().await.unwrap();
    let line: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    // `pubtime` exactly as cargo reads it: `YYYY-MM-DDThh:mm:ssZ`, no fraction.
    let pubtime = line["pubtime"].as_str().unwrap_or_else(|| panic!("no pubtime in {body}"));
    let parsed = time::OffsetDateTime::parse(pubtime, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(pubtime.len(), 20, "{pubtime}");
    assert!((time::OffsetDateTime::now_utc() - parsed).whole_seconds().abs() < 600, "{pubtime}");
    let mut deps: Vec<_> = line["deps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["package"].as_str().map(str::to_owned),
                d["req"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["optional"].as_bool().unwrap(),
                d["target"].as_str().map(str::to_owned),
            )
        })
        .collect();
    deps.sort();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        deps,
        vec![
            (s("a"), None, s("^1"), s("dev"), false, None),
            (s("aliased"), Some(s("real-name")), s("^0.2"), s("normal"), false, None),
            (s("build-helper"), None, s("^1"), s("build"), false, None),
            (s("chain-mid"), None, s("^0.3"), s("normal"), false, None),
            (s("opt-dep"), None, s("^1"), s("normal"), true, None),
            (s("unix-only"), None, s("^1"), s("normal"), false, Some(s("cfg(unix)"))),
        ]
    );
    assert_eq!(line["features2"], serde_json::json!({"extra": ["dep:opt-dep"]}));
    assert_eq!(line["v"], 2);
    assert_eq!((&line["links"], &line["rust_version"]), (&serde_json::json!("wscore"), &serde_json::json!("1.70")));
    let stored = db.packages().versions(feed.id, "ws-core").await.unwrap();
    assert_eq!(stored[0].origin, wharf_db::Origin::Local);
    assert_eq!(line["cksum"], stored[0].cksum);

    // A consumer builds against the published crates and the upstream ones, through the feed.
    let consumer = work.path().join("consumer");
    write(
        &consumer.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nws-app = { version = \"0.1\", registry = \"team\" }\n",
    );
    write(&consumer.join("src/main.rs"), "fn main() { println!(\"{}\", ws_app::value()); }\n");
    config(&consumer, &index_url);
    let out = run(consumer.clone(), vec!["build"], viewer.clone()).await;
    assert_ok(&out, "consumer build");
    let built = text(&out);
    for krate in
        ["ws-app v0.1.0 (registry `team`)", "ws-core v0.1.0 (registry `team`)", "chain-mid v0.3.0", "real-name v0.2.0"]
    {
        assert!(built.contains(&format!("Compiling {krate}")), "{krate} in {built}");
    }

    // Yank and unyank.
    let out = run(ws.clone(), vec!["yank", "--registry", "team", "ws-core@0.1.0"], dev.clone()).await;
    assert_ok(&out, "yank");
    let body = wharf
        .http()
        .get(wharf.url("/default/default/_packaging/team/Cargo/index/ws/-c/ws-core"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(r#""yanked":true"#), "{body}");
    let out = run(ws.clone(), vec!["yank", "--registry", "team", "ws-core@0.1.0", "--undo"], dev.clone()).await;
    assert_ok(&out, "unyank");
    let body = wharf
        .http()
        .get(wharf.url("/default/default/_packaging/team/Cargo/index/ws/-c/ws-core"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(r#""yanked":false"#), "{body}");

    // Search and owners.
    let out = run(ws.clone(), vec!["search", "--registry", "team", "ws-core"], viewer.clone()).await;
    assert_ok(&out, "search");
    let found = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(found.starts_with("ws-core = \"0.1.0\""), "{found}");
    assert!(found.contains("The ws-core crate"), "{found}");
    let out = run(ws.clone(), vec!["owner", "--registry", "team", "--list", "ws-core"], viewer.clone()).await;
    assert_ok(&out, "owner --list");
    assert!(String::from_utf8_lossy(&out.stdout).contains("dev"), "{}", text(&out));

    // Refusals, in cargo's words.
    let out = run(ws.clone(), vec!["publish", "--registry", "team", "-p", "ws-core", "--no-verify"], dev.clone()).await;
    assert!(
        text(&out).contains("crate ws-core@0.1.0 already exists") || text(&out).contains("already exists in this feed"),
        "{}",
        text(&out)
    );
    member(&ws, "ws-core", "0.1.0+other", "");
    let out = run(
        ws.clone(),
        vec!["publish", "--registry", "team", "-p", "ws-core", "--no-verify", "--allow-dirty"],
        dev.clone(),
    )
    .await;
    // cargo itself sees that build metadata does not make a new version (the server
    // refuses it too: see the raw publish test).
    assert!(text(&out).contains("crate ws-core@0.1.0+other already exists on `team` index"), "{}", text(&out));
    let twin = work.path().join("twin");
    write(&twin.join("Cargo.toml"), "[workspace]\nmembers = [\"WS_core\"]\nresolver = \"2\"\n");
    member(&twin, "WS_core", "9.0.0", "");
    config(&twin, &index_url);
    let out =
        run(twin.clone(), vec!["publish", "--registry", "team", "-p", "WS_core", "--no-verify"], dev.clone()).await;
    assert!(text(&out).contains("already has a crate named `ws-core`"), "{}", text(&out));
    assert_eq!(db.packages().versions(feed.id, "ws-core").await.unwrap().len(), 1);
    assert!(db.packages().versions(feed.id, "ws_core").await.unwrap().is_empty());

    // A deleted version keeps its number: publishing it again is refused with the reason.
    let res = wharf
        .admin()
        .apply(
            wharf
                .http()
                .delete(wharf.url("/default/default/_apis/packaging/feeds/team/packages/ws-app/versions/0.1.0")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let out = run(
        ws.clone(),
        vec!["publish", "--registry", "team", "-p", "ws-app", "--no-verify", "--allow-dirty"],
        dev.clone(),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("was deleted and sits in the feed's recycle bin; its number stays reserved"),
        "{}",
        text(&out)
    );
    wharf.stop().await;
}

/// A local crate named like an upstream one hides the upstream's versions (index and
/// downloads) until the package allows externally-sourced versions.
#[tokio::test]
async fn a_local_name_hides_upstream_versions_until_allowed() {
    let (_upstream, wharf) = team_feed(Engine::Postgres).await;
    let index = wharf.url("/default/default/_packaging/team/Cargo/index/se/rd/serde");
    let get = |url: String| {
        let http = wharf.http().clone();
        async move {
            let res = http.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let versions = |body: &str| -> Vec<String> {
        body.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["vers"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body) = get(index.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions(&body), ["1.0.200"]);

    // The team publishes its own `serde`.
    let spec = wharf_test_support::upstream::CrateSpec::new("serde", "9.0.0");
    let meta = serde_json::json!({"name": "serde", "vers": "9.0.0", "deps": [], "features": {}});
    let res = wharf
        .admin()
        .apply_cargo(wharf.http().put(wharf.url("/default/default/_packaging/team/Cargo/api/v1/crates/new")))
        .body(wharf_test_support::publish_body(&meta, &spec.crate_file()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let (_, body) = get(index.clone()).await;
    assert_eq!(versions(&body), ["9.0.0"], "upstream versions are hidden");
    let download = wharf.url("/default/default/_packaging/team/Cargo/api/v1/crates/serde/1.0.200/download");
    assert_eq!(get(download.clone()).await.0, StatusCode::NOT_FOUND);
    let package = wharf.url("/default/default/_apis/packaging/feeds/team/packages/serde");
    let res = wharf.admin().apply(wharf.http().get(&package)).send().await.unwrap();
    let info: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(info["allowExternalVersions"], false);

    // The Owner allows externally-sourced versions for this package.
    let res = wharf
        .admin()
        .apply(wharf.http().patch(&package))
        .header("content-type", "application/json")
        .body(r#"{"allowExternalVersions": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, body) = get(index.clone()).await;
    assert_eq!(versions(&body), ["1.0.200", "9.0.0"]);
    assert_eq!(get(download).await.0, StatusCode::OK);
    wharf.stop().await;
}
