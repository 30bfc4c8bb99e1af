//! Views with the real cargo: versions promoted to `@release` are all that its registry
//! lists and serves, `@local` holds everything the feed has, and publishing through a
//! view's URL goes to the feed. Views are managed over REST with clear refusals.

use std::time::Duration;

use serde_json::json;
use wharf_test_support::{Engine, on_both_engines, upstream::CrateSpec};

use crate::running::{Options, RunningWharf, assert_ok, cargo};

const FEED_API: &str = "/default/default/_apis/packaging/feeds/team";

async fn start(engine: Engine) -> RunningWharf {
    // No upstream: the feed holds only what is published to it.
    let options = Options {
        upstream_index: "http://127.0.0.1:9/".into(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(2),
        tls: None,
        limits: Default::default(),
        clock: Default::default(),
    };
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("team", false).await;
    wharf
}

async fn publish(wharf: &RunningWharf, version: &str) {
    let spec = CrateSpec::new("vw-lib", version);
    let meta = json!({"name": "vw-lib", "vers": version, "deps": [], "features": {}});
    let body = wharf_test_support::publish_body(&meta, &spec.crate_file());
    let res = wharf
        .admin()
        .apply_cargo(wharf.http().put(wharf.url("/default/default/_packaging/team/Cargo/api/v1/crates/new")))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn send(
    wharf: &RunningWharf,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = wharf.admin().apply(wharf.http().request(method, wharf.url(path)));
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

async fn get_text(wharf: &RunningWharf, path: &str) -> (u16, String) {
    let res = wharf.http().get(wharf.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A project depending on `vw-lib` through the registry at `index`.
fn consumer(dir: &std::path::Path, index: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         vw-lib = { version = \"0.1\", registry = \"here\" }\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join(".cargo/config.toml"), format!("[registries]\nhere = {{ index = \"{index}\" }}\n"))
        .unwrap();
}

/// Which version of `vw-lib` cargo resolved and downloaded through `index`.
async fn resolve(work: &std::path::Path, name: &str, index: &str) -> String {
    let dir = work.join(name);
    consumer(&dir, index);
    let home = work.join(format!("home-{name}"));
    let out = cargo(&dir, &home, &["fetch"], &[]).await;
    assert_ok(&out, &format!("cargo fetch through {name}"));
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let at = lock.find("name = \"vw-lib\"").expect("vw-lib in the lockfile");
    let version = lock[at..].lines().nth(1).unwrap().trim().trim_start_matches("version = ").trim_matches('"');
    version.to_owned()
}

async fn cargo_resolves_through_a_view_only_what_was_promoted(engine: Engine) {
    let wharf = start(engine).await;
    publish(&wharf, "0.1.0").await;
    publish(&wharf, "0.1.5").await;

    // Every feed starts with @local, @prerelease and @release.
    let (status, list) = send(&wharf, reqwest::Method::GET, &format!("{FEED_API}/views"), None).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<_> = list["value"].as_array().unwrap().iter().map(|v| v["name"].clone()).collect();
    assert_eq!(names, [json!("local"), json!("prerelease"), json!("release")]);
    assert_eq!(
        list["value"][2]["indexUrl"],
        json!(format!("sparse+{}/default/default/_packaging/team@release/Cargo/index/", wharf.base))
    );

    // Nothing promoted yet: the view knows no vw-lib.
    let (status, body) = get_text(&wharf, "/default/default/_packaging/team@release/Cargo/index/vw/-l/vw-lib").await;
    assert_eq!(status, 404, "{body}");

    let promote = |version: &str| format!("{FEED_API}/packages/vw-lib/versions/{version}/promote");
    let (status, body) = send(&wharf, reqwest::Method::POST, &promote("0.1.0"), Some(json!({"view": "release"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["versions"], json!(1));
    // Promoting again changes nothing.
    let (status, body) = send(&wharf, reqwest::Method::POST, &promote("0.1.0"), Some(json!({"view": "Release"}))).await;
    assert_eq!((status, body["versions"].clone()), (200, json!(1)), "{body}");

    // The view's index lists only the promoted version; @local and the feed list both.
    let (status, file) = get_text(&wharf, "/default/default/_packaging/team@release/Cargo/index/vw/-l/vw-lib").await;
    assert_eq!(status, 200);
    assert!(file.contains("\"vers\":\"0.1.0\"") && !file.contains("\"vers\":\"0.1.5\""), "{file}");
    let (_, local) = get_text(&wharf, "/default/default/_packaging/team@local/Cargo/index/vw/-l/vw-lib").await;
    assert!(local.contains("\"vers\":\"0.1.0\"") && local.contains("\"vers\":\"0.1.5\""), "{local}");
    let (status, prerelease) =
        get_text(&wharf, "/default/default/_packaging/team@prerelease/Cargo/index/vw/-l/vw-lib").await;
    assert_eq!(status, 404, "promoted to @release only: {prerelease}");
    assert!(prerelease.contains("not in feed `team@prerelease`"), "{prerelease}");

    // The view's config.json: downloads from the view, publishing to the feed.
    let (_, config) = get_text(&wharf, "/default/default/_packaging/team@release/Cargo/index/config.json").await;
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        config["dl"],
        json!(format!("{}/default/default/_packaging/team@release/Cargo/api/v1/crates", wharf.base))
    );
    assert_eq!(config["api"], json!(format!("{}/default/default/_packaging/team/Cargo", wharf.base)));

    // Real cargo: through the view it resolves (and downloads) 0.1.0, through the feed 0.1.5.
    let work = tempfile::tempdir().unwrap();
    let view_index = format!("sparse+{}/default/default/_packaging/team@release/Cargo/index/", wharf.base);
    assert_eq!(resolve(work.path(), "view", &view_index).await, "0.1.0");
    assert_eq!(resolve(work.path(), "feed", &wharf.index_url("team")).await, "0.1.5");

    // A version not promoted is not served by the view, whoever asks.
    let dl = "/default/default/_packaging/team@release/Cargo/api/v1/crates/vw-lib";
    let (status, body) = get_text(&wharf, &format!("{dl}/0.1.5/download")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("not in feed `team@release`"), "{body}");
    assert_eq!(get_text(&wharf, &format!("{dl}/0.1.0/download")).await.0, 200);

    // A view the feed does not have.
    let (status, body) = get_text(&wharf, "/default/default/_packaging/team@nope/Cargo/index/config.json").await;
    assert_eq!(status, 404);
    assert!(body.contains("no view named 'nope'"), "{body}");
    wharf.stop().await;
}

async fn views_are_managed_over_rest_with_clear_refusals(engine: Engine) {
    let wharf = start(engine).await;
    publish(&wharf, "1.0.0").await;
    let views = format!("{FEED_API}/views");
    let (status, body) = send(&wharf, reqwest::Method::POST, &views, Some(json!({"name": "beta"}))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], json!("beta"));

    for (name, detail) in [
        ("BETA", "This feed already has a view named 'BETA'. Choose another name."),
        ("local", "Every feed has @local already; choose another name."),
        ("bad name", "a space is not allowed"),
        ("", "Enter a name."),
    ] {
        let (status, body) = send(&wharf, reqwest::Method::POST, &views, Some(json!({"name": name}))).await;
        assert!(status == 409 || status == 422, "{name:?}: {status} {body}");
        let text = body.to_string();
        assert!(text.contains(detail), "{name:?}: {text}");
    }

    // Rename keeps what was promoted; the old name is gone.
    let promote = format!("{FEED_API}/packages/vw-lib/versions/1.0.0/promote");
    let (status, _) = send(&wharf, reqwest::Method::POST, &promote, Some(json!({"view": "beta"}))).await;
    assert_eq!(status, 200);
    let (status, body) =
        send(&wharf, reqwest::Method::PATCH, &format!("{views}/beta"), Some(json!({"name": "candidate"}))).await;
    assert_eq!((status, body["versions"].clone()), (200, json!(1)), "{body}");
    let (status, _) = get_text(&wharf, "/default/default/_packaging/team@beta/Cargo/index/vw/-l/vw-lib").await;
    assert_eq!(status, 404);
    let (status, _) = get_text(&wharf, "/default/default/_packaging/team@candidate/Cargo/index/vw/-l/vw-lib").await;
    assert_eq!(status, 200);

    // Promotion refusals: no such view, no such version, @local.
    for (body, status_wanted, detail) in [
        (json!({"view": "missing"}), 422, "This feed has no view named 'missing'."),
        (json!({"view": "local"}), 422, "in @local already"),
        (json!({"veiw": "release"}), 422, "unknown field"),
    ] {
        let (status, res) = send(&wharf, reqwest::Method::POST, &promote, Some(body.clone())).await;
        assert_eq!(status, status_wanted, "{body}: {res}");
        assert!(res.to_string().contains(detail), "{body}: {res}");
    }
    let missing = format!("{FEED_API}/packages/vw-lib/versions/9.9.9/promote");
    let (status, res) = send(&wharf, reqwest::Method::POST, &missing, Some(json!({"view": "release"}))).await;
    assert_eq!(status, 404, "{res}");
    assert!(res.to_string().contains("holds no version 9.9.9"), "{res}");

    // The package lists the views of each version.
    let (_, package) = send(&wharf, reqwest::Method::GET, &format!("{FEED_API}/packages/vw-lib"), None).await;
    assert_eq!(package["versions"][0]["views"], json!(["candidate"]), "{package}");

    // Deleting a view keeps its versions in the feed.
    let (status, _) = send(&wharf, reqwest::Method::DELETE, &format!("{views}/candidate"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&wharf, reqwest::Method::DELETE, &format!("{views}/candidate"), None).await;
    assert_eq!(status, 404);
    let (status, file) = get_text(&wharf, "/default/default/_packaging/team/Cargo/index/vw/-l/vw-lib").await;
    assert!(status == 200 && file.contains("1.0.0"), "{file}");
    wharf.stop().await;
}

on_both_engines!(cargo_resolves_through_a_view_only_what_was_promoted, views_are_managed_over_rest_with_clear_refusals);
