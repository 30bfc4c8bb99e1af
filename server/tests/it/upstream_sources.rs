//! Ordered upstream sources with the real cargo: a chain of feeds (B has A@release as its
//! upstream, and A has the local stand-in for crates.io), a whole feed as a source (saving
//! on first use goes through it), a private sparse registry reached with its sealed token,
//! and the precedence rule applied alike to the index and to downloads. Refusals over REST
//! are clear and leave the list as it was; a race of two changes never closes a cycle.

use std::time::Duration;

use axum::http::Method;
use serde_json::{Value, json};
use wharf_core::TokenScope;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::{
    helpers::TestApp,
    running::{Options, RunningWharf, assert_ok, cargo, dependent_project},
};

const API: &str = "/default/default/_apis/packaging/feeds";

async fn start(engine: Engine, upstream_index: String) -> RunningWharf {
    let options = Options::upstream(upstream_index, Duration::from_secs(300));
    RunningWharf::start(engine, options).await
}

async fn set_sources(wharf: &RunningWharf, feed: &str, sources: Value) -> (u16, Value) {
    wharf.send(reqwest::Method::PATCH, &format!("{API}/{feed}"), Some(json!({ "upstreamSources": sources }))).await
}

async fn publish(wharf: &RunningWharf, feed: &str, name: &str, version: &str) {
    let spec = CrateSpec::new(name, version);
    let meta = json!({"name": name, "vers": version, "deps": [], "features": {}});
    let body = wharf_test_support::publish_body(&meta, &spec.crate_file());
    let res = wharf
        .admin()
        .apply_cargo(
            wharf.http().put(wharf.url(&format!("/default/default/_packaging/{feed}/Cargo/api/v1/crates/new"))),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn promote(wharf: &RunningWharf, feed: &str, name: &str, version: &str) {
    let path = format!("{API}/{feed}/packages/{name}/versions/{version}/promote");
    let (status, body) = wharf.send(reqwest::Method::POST, &path, Some(json!({"view": "release"}))).await;
    assert_eq!(status, 200, "promote {name} {version}: {body}");
}

/// A project with `deps` (crates.io replaced by the feed at `index`), fetched by the real
/// cargo with a fresh `CARGO_HOME`; the lockfile's versions by name.
async fn fetch(work: &std::path::Path, label: &str, index: &str, deps: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = work.join(label);
    dependent_project(&dir, index, deps);
    let out = cargo(&dir, &work.join(format!("home-{label}")), &["fetch"], &[]).await;
    assert_ok(&out, &format!("cargo fetch through {label}"));
    let lock: toml_lock::Lock = toml_lock::parse(&std::fs::read_to_string(dir.join("Cargo.lock")).unwrap());
    lock.into_iter().filter(|(name, _)| name != "consumer").collect()
}

/// Just enough of a lockfile: `(name, version)` of each `[[package]]`.
mod toml_lock {
    pub type Lock = Vec<(String, String)>;

    pub fn parse(text: &str) -> Lock {
        let mut out = Vec::new();
        let mut name = None;
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("name = ") {
                name = Some(n.trim_matches('"').to_owned());
            } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
                out.push((n, v.trim_matches('"').to_owned()));
            }
        }
        out
    }
}

fn has(lock: &[(String, String)], name: &str, version: &str) -> bool {
    lock.iter().any(|(n, v)| n == name && v == version)
}

/// Origins of the versions of a package in a feed, as the REST API lists them.
async fn origins(wharf: &RunningWharf, feed: &str, package: &str) -> Vec<(String, String)> {
    let (status, body) = wharf.send(reqwest::Method::GET, &format!("{API}/{feed}/packages/{package}"), None).await;
    assert_eq!(status, 200, "{feed}/{package}: {body}");
    body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap().to_owned(), v["origin"].as_str().unwrap().to_owned()))
        .collect()
}

/// Polls `GET feed` until its first source has a last success (the write is in the
/// background).
async fn wait_for_success(wharf: &RunningWharf, feed: &str) -> Value {
    for _ in 0..50 {
        let (_, body) = wharf.send(reqwest::Method::GET, &format!("{API}/{feed}"), None).await;
        if !body["upstreamSources"][0]["lastSuccessAt"].is_null() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the source of {feed} never recorded a success");
}

async fn cargo_resolves_through_a_chain_of_feeds(engine: Engine) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let wharf = start(engine, upstream.index_url()).await;
    wharf.create_feed("a", true).await;
    wharf.create_feed("b", false).await;
    wharf.create_feed("c", false).await;
    publish(&wharf, "a", "chain-lib", "1.0.0").await;
    publish(&wharf, "a", "chain-lib", "1.1.0").await;
    let work = tempfile::tempdir().unwrap();

    // A saves abc and its dependencies from its crates.io on first use, then promotes them
    // and its own chain-lib 1.0.0 (not 1.1.0) to @release.
    let lock = fetch(work.path(), "through-a", &wharf.index_url("a"), &[("abc", "1")]).await;
    assert!(has(&lock, "abc", "1.0.0") && has(&lock, "ab", "1.0.0") && has(&lock, "a", "1.0.0"), "{lock:?}");
    for (name, version) in [("chain-lib", "1.0.0"), ("abc", "1.0.0"), ("ab", "1.0.0"), ("a", "1.0.0")] {
        promote(&wharf, "a", name, version).await;
    }

    // B's one upstream is A@release.
    let (status, body) = set_sources(
        &wharf,
        "b",
        json!([{"name": "a-release", "kind": "feed", "location": "default/default/a@release"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upstreamEnabled"], json!(true));
    assert_eq!(body["upstreamSources"][0]["kind"], json!("feed"));
    assert_eq!(body["upstreamSources"][0]["location"], json!("default/default/a@release"));

    // Real cargo through B: chain-lib 1.0.0, the promoted one, and abc's tree from A's copy.
    let lock = fetch(work.path(), "through-b", &wharf.index_url("b"), &[("chain-lib", "1"), ("abc", "1")]).await;
    assert!(has(&lock, "chain-lib", "1.0.0"), "1.1.0 was never promoted: {lock:?}");
    assert!(!has(&lock, "chain-lib", "1.1.0"), "{lock:?}");
    assert!(has(&lock, "abc", "1.0.0") && has(&lock, "a", "1.0.0"), "{lock:?}");
    // Saved into B on first use, as versions from its upstream.
    assert_eq!(origins(&wharf, "b", "chain-lib").await, [("1.0.0".to_owned(), "upstream".to_owned())]);
    assert_eq!(origins(&wharf, "b", "abc").await, [("1.0.0".to_owned(), "upstream".to_owned())]);
    // The B index shows only what A@release lists.
    let (status, file) = wharf.get_text("/default/default/_packaging/b/Cargo/index/ch/ai/chain-lib").await;
    assert_eq!(status, 200);
    assert!(file.contains("\"vers\":\"1.0.0\"") && !file.contains("1.1.0"), "{file}");
    // A crate A@release does not list is not in B, even though A's crates.io has it.
    let (status, body) = wharf.get_text("/default/default/_packaging/b/Cargo/index/to/p/top").await;
    assert_eq!(status, 404, "{body}");
    let body = wait_for_success(&wharf, "b").await;
    assert!(body["upstreamSources"][0]["lastError"].is_null(), "{body}");

    // C has the whole of A (with A's own crates.io) as its upstream: fetching `top` through C
    // saves its tree into A on the way, and into C.
    let (status, body) =
        set_sources(&wharf, "c", json!([{"name": "all-of-a", "kind": "feed", "location": "default/default/a"}])).await;
    assert_eq!(status, 200, "{body}");
    let lock = fetch(work.path(), "through-c", &wharf.index_url("c"), &[("top", "0.1")]).await;
    assert!(has(&lock, "top", "0.1.0") && has(&lock, "chain-mid", "0.3.0"), "{lock:?}");
    assert_eq!(origins(&wharf, "a", "top").await, [("0.1.0".to_owned(), "upstream".to_owned())]);
    assert_eq!(origins(&wharf, "c", "top").await, [("0.1.0".to_owned(), "upstream".to_owned())]);
    assert_eq!(upstream.hits("/files/top/0.1.0/download"), 1, "fetched from crates.io once, for A and C");

    // With crates.io gone, B and C still serve all they saved, byte for byte.
    upstream.stop().await;
    let lock = fetch(work.path(), "b-again", &wharf.index_url("b"), &[("chain-lib", "1"), ("abc", "1")]).await;
    assert!(has(&lock, "chain-lib", "1.0.0") && has(&lock, "abc", "1.0.0"), "{lock:?}");
    wharf.stop().await;
}

async fn a_private_registry_is_reached_with_its_sealed_token(engine: Engine) {
    const TOKEN: &str = "Bearer mirror-secret-8c1f";
    let mirror = LocalUpstream::start(vec![CrateSpec::new("mirror-only", "1.0.0")]).await;
    mirror.require_token(TOKEN);
    let wharf = start(engine, "http://127.0.0.1:9/".into()).await;
    wharf.create_feed("m", false).await;
    let location = mirror.index_url();

    // Without its token the registry refuses: the index says which source failed, and a
    // test records the error.
    let (status, body) =
        set_sources(&wharf, "m", json!([{"name": "mirror", "kind": "sparse", "location": location}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upstreamSources"][0]["hasToken"], json!(false));
    let (status, text) = wharf.get_text("/default/default/_packaging/m/Cargo/index/mi/rr/mirror-only").await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("upstream source 'mirror'") && text.contains("401"), "{text}");
    let (status, test) = wharf.send(reqwest::Method::POST, &format!("{API}/m/upstreams/mirror/test"), None).await;
    assert_eq!((status, test["ok"].clone()), (200, json!(false)), "{test}");
    let (_, feed) = wharf.send(reqwest::Method::GET, &format!("{API}/m"), None).await;
    assert!(feed["upstreamSources"][0]["lastError"].as_str().unwrap().contains("401"), "{feed}");

    // With it: the token is sealed in the database and never shown again.
    let (status, body) =
        set_sources(&wharf, "m", json!([{"name": "mirror", "kind": "sparse", "location": location, "token": TOKEN}]))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upstreamSources"][0]["hasToken"], json!(true));
    assert!(!body.to_string().contains("mirror-secret"), "{body}");
    let sealed: Vec<String> =
        sqlx::query_scalar("SELECT token_sealed FROM feed_upstreams").fetch_all(wharf.db.pool()).await.unwrap();
    assert_eq!(sealed.len(), 1);
    assert!(sealed[0].starts_with("v1.") && !sealed[0].contains("mirror-secret"), "{sealed:?}");

    // Real cargo resolves and downloads through the feed; the file is saved on first use.
    let work = tempfile::tempdir().unwrap();
    let lock = fetch(work.path(), "through-m", &wharf.index_url("m"), &[("mirror-only", "1")]).await;
    assert!(has(&lock, "mirror-only", "1.0.0"), "{lock:?}");
    assert_eq!(origins(&wharf, "m", "mirror-only").await, [("1.0.0".to_owned(), "upstream".to_owned())]);
    assert_eq!(mirror.hits("/files/mirror-only/1.0.0/download"), 1);
    let (status, test) = wharf.send(reqwest::Method::POST, &format!("{API}/m/upstreams/mirror/test"), None).await;
    assert_eq!((status, test["ok"].clone()), (200, json!(true)), "{test}");

    // Sending the list again without the token keeps it; an empty token removes it.
    let (status, body) =
        set_sources(&wharf, "m", json!([{"name": "mirror", "kind": "sparse", "location": location}])).await;
    assert_eq!((status, body["upstreamSources"][0]["hasToken"].clone()), (200, json!(true)), "{body}");
    assert!(!body["upstreamSources"][0]["lastSuccessAt"].is_null(), "the status stays: {body}");
    let (status, body) =
        set_sources(&wharf, "m", json!([{"name": "mirror", "kind": "sparse", "location": location, "token": ""}]))
            .await;
    assert_eq!((status, body["upstreamSources"][0]["hasToken"].clone()), (200, json!(false)), "{body}");
    mirror.stop().await;
    wharf.stop().await;
}

async fn the_first_source_that_knows_a_name_supplies_all_of_its_versions(engine: Engine) {
    let crates_io = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    // The mirror has its own `a` (9.0.0), and `solo` and `late` that crates.io does not have.
    let mirror = LocalUpstream::start(vec![
        CrateSpec::new("a", "9.0.0"),
        CrateSpec::new("solo", "1.0.0"),
        CrateSpec::new("late", "1.0.0"),
    ])
    .await;
    let wharf = start(engine, crates_io.index_url()).await;
    wharf.create_feed("p", false).await;
    let mirror_source = json!({"name": "mirror", "kind": "sparse", "location": mirror.index_url()});
    let crates_source = json!({"name": "crates.io", "kind": "crates-io"});
    let (status, body) = set_sources(&wharf, "p", json!([mirror_source.clone(), crates_source.clone()])).await;
    assert_eq!(status, 200, "{body}");

    let index = |name: &str| format!("/default/default/_packaging/p/Cargo/index/{}", wharf_index::index_path(name));
    let dl = |name: &str, version: &str| {
        format!("/default/default/_packaging/p/Cargo/api/v1/crates/{name}/{version}/download")
    };
    // `a` comes all from the mirror (first), `abc` from crates.io (the mirror does not know it).
    let (status, file) = wharf.get_text(&index("a")).await;
    assert_eq!(status, 200);
    assert!(file.contains("\"vers\":\"9.0.0\"") && !file.contains("\"vers\":\"1.0.0\""), "{file}");
    let (status, file) = wharf.get_text(&index("abc")).await;
    assert!(status == 200 && file.contains("\"vers\":\"1.0.0\""), "{status} {file}");
    // Downloads follow the same rule: crates.io's a 1.0.0 is not this feed's.
    assert_eq!(wharf.get_text(&dl("a", "1.0.0")).await.0, 404);

    // Reordered, crates.io supplies `a`; the mirror still answers for what only it knows.
    let (status, body) = set_sources(&wharf, "p", json!([crates_source.clone(), mirror_source.clone()])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upstreamSources"][0]["name"], json!("crates.io"));
    let (_, file) = wharf.get_text(&index("a")).await;
    assert!(file.contains("\"vers\":\"1.0.0\"") && !file.contains("9.0.0"), "{file}");
    assert_eq!(wharf.get_text(&dl("a", "9.0.0")).await.0, 404);
    let (status, file) = wharf.get_text(&index("solo")).await;
    assert!(status == 200 && file.contains("\"vers\":\"1.0.0\""), "{status} {file}");
    assert_eq!(wharf.get_text(&dl("solo", "1.0.0")).await.0, 200);

    // A source that cannot answer stops the lookup of a name it has no copy of: the
    // mirror never answers for crates.io while crates.io is down.
    crates_io.stop().await;
    let (status, text) = wharf.get_text(&index("late")).await;
    assert_eq!(status, 503, "the mirror has `late`, but crates.io comes first: {text}");
    assert!(text.contains("upstream source 'crates.io'"), "{text}");
    // What crates.io answered before is still served from its copy: `a` from crates.io, and
    // `solo`, which crates.io said it does not know, from the mirror.
    let (status, file) = wharf.get_text(&index("a")).await;
    assert!(status == 200 && file.contains("\"vers\":\"1.0.0\""), "{status} {file}");
    let (status, file) = wharf.get_text(&index("solo")).await;
    assert!(status == 200 && file.contains("\"vers\":\"1.0.0\""), "{status} {file}");
    mirror.stop().await;
    wharf.stop().await;
}

async fn upstream_sources_are_refused_clearly_and_leave_nothing_behind(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for (name, visibility) in [("a", "private"), ("b", "public"), ("hidden", "private")] {
        let res = app.json(Method::POST, API, json!({"name": name, "visibility": visibility})).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    // bob administers `a`, reads the public `b`, and cannot read `hidden`.
    let bob = app.user("bob", TokenScope::Write).await;
    let res = app
        .json(Method::PATCH, &format!("{API}/a/permissions"), json!([{"user": "bob", "role": "administrator"}]))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let good = json!({"name": "b-all", "kind": "feed", "location": "default/default/b"});
    let res = app.json(Method::PATCH, &format!("{API}/a"), json!({"upstreamSources": [good.clone()]})).await;
    assert_eq!(res.status, 200, "{}", res.body);

    let cases = [
        (
            json!([{"name": "x", "kind": "ftp"}]),
            "upstreamSources[0].kind",
            "The kind must be one of crates-io, sparse, feed.",
        ),
        (json!([{"name": "x", "kind": "sparse"}]), "upstreamSources[0].location", "Give the registry's index URL"),
        (
            json!([{"name": "x", "kind": "sparse", "location": "ftp://x/"}]),
            "upstreamSources[0].location",
            "http(s) sparse index URL",
        ),
        (
            json!([{"name": "x", "kind": "sparse", "location": "sparse+http://wharf.test/x/"}]),
            "upstreamSources[0].location",
            "That is this Wharf: use a source of kind",
        ),
        (
            json!([{"name": "x", "kind": "crates-io", "token": "t"}]),
            "upstreamSources[0].token",
            "Only a sparse registry source takes a token.",
        ),
        (json!([{"name": "bad name!", "kind": "crates-io"}]), "upstreamSources[0].name", "Give the source a name"),
        (
            json!([{"name": "x", "kind": "crates-io"}, {"name": "X", "kind": "crates-io"}]),
            "upstreamSources[1].name",
            "Two upstream sources are named 'X'.",
        ),
        (
            json!([{"name": "x", "kind": "feed", "location": "default/default/a"}]),
            "upstreamSources[0].location",
            "A feed cannot be its own upstream source.",
        ),
        (
            json!([{"name": "x", "kind": "feed", "location": "default/default/b@nope"}]),
            "upstreamSources[0].location",
            "Feed 'b' has no view named 'nope'.",
        ),
        (
            json!([{"name": "x", "kind": "feed", "location": "default/default/missing"}]),
            "upstreamSources[0].location",
            "There is no feed 'default/default/missing' that you may read.",
        ),
        (
            json!([{"name": "x", "kind": "feed", "location": "just-a-name"}]),
            "upstreamSources[0].location",
            "Name the feed as ORG/PROJECT/FEED",
        ),
    ];
    for (sources, field, detail) in cases {
        let res = app.json(Method::PATCH, &format!("{API}/a"), json!({"upstreamSources": sources})).await;
        assert_eq!(res.status, 422, "{sources}: {}", res.body);
        let text = res.body.to_string();
        assert!(text.contains(field) && text.contains(detail), "{sources}: {text}");
    }
    // bob may not name a feed he cannot read: the same answer as for a feed that does not exist.
    let res = app
        .json_as(
            &bob,
            Method::PATCH,
            &format!("{API}/a"),
            json!({"upstreamSources": [{"name": "x", "kind": "feed", "location": "default/default/hidden"}]}),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.to_string().contains("There is no feed 'default/default/hidden' that you may read."),
        "{}",
        res.body
    );
    // Only Wharf administrators name the addresses Wharf sends requests to.
    let mirror = json!([{"name": "x", "kind": "sparse", "location": "sparse+https://example.invalid/index/"}]);
    let res = app.json_as(&bob, Method::PATCH, &format!("{API}/a"), json!({"upstreamSources": mirror})).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.to_string().contains("Only a Wharf administrator may add a sparse registry"), "{}", res.body);
    // What bob may do: name a feed he can read, and crates.io.
    let mine = json!([good.clone(), {"name": "crates.io", "kind": "crates-io"}]);
    let res = app.json_as(&bob, Method::PATCH, &format!("{API}/a"), json!({"upstreamSources": mine})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = app.json(Method::PATCH, &format!("{API}/a"), json!({"upstreamSources": [good.clone()]})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    // upstreamEnabled may not contradict the list.
    let res = app
        .json(Method::PATCH, &format!("{API}/a"), json!({"upstreamEnabled": false, "upstreamSources": [good]}))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    // A cycle: b → a while a → b.
    let res = app
        .json(
            Method::PATCH,
            &format!("{API}/b"),
            json!({"upstreamSources": [{"name": "a", "kind": "feed", "location": "default/default/a"}]}),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.to_string().contains("cycle of feeds"), "{}", res.body);
    // Every refusal left both lists as they were.
    let res = app.get(&format!("{API}/a")).await;
    assert_eq!(res.body["upstreamSources"].as_array().unwrap().len(), 1, "{}", res.body);
    assert_eq!(res.body["upstreamSources"][0]["name"], json!("b-all"));
    let res = app.get(&format!("{API}/b")).await;
    assert_eq!((res.body["upstreamSources"].clone(), res.body["upstreamEnabled"].clone()), (json!([]), json!(false)));

    // upstreamEnabled is the shorthand: true gives a feed with no source crates.io alone,
    // false removes every source.
    let res = app.json(Method::PATCH, &format!("{API}/b"), json!({"upstreamEnabled": true})).await;
    assert_eq!(res.body["upstreamSources"][0]["kind"], json!("crates-io"), "{}", res.body);
    assert_eq!(res.body["upstreamSources"][0]["location"], json!("sparse+http://127.0.0.1:9/index/"));
    let res = app.json(Method::PATCH, &format!("{API}/b"), json!({"upstreamEnabled": false})).await;
    assert_eq!(res.body["upstreamSources"], json!([]), "{}", res.body);
    let res = app.json(Method::POST, &format!("{API}/b/upstreams/none/test"), json!({})).await;
    assert_eq!(res.status, 404, "{}", res.body);
}

/// Without the operator's secret key nothing can seal a token: a source with one is
/// refused, naming what to set, and one without is taken.
async fn tokens_need_the_operators_secret_key(engine: Engine) {
    let app = TestApp::builder(engine).without_secret_key().build().await;
    let res = app.json(Method::POST, API, json!({"name": "m", "visibility": "private"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let mirror = |token: Option<&str>| {
        let mut source =
            json!({"name": "mirror", "kind": "sparse", "location": "sparse+https://mirror.invalid/index/"});
        if let Some(token) = token {
            source["token"] = json!(token);
        }
        json!({ "upstreamSources": [source] })
    };
    let res = app.json(Method::PATCH, &format!("{API}/m"), mirror(Some("secret-token"))).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let text = res.body.to_string();
    assert!(text.contains("upstreamSources[0].token") && text.contains("WHARF_SECRET_KEY"), "{text}");
    assert_eq!(app.get(&format!("{API}/m")).await.body["upstreamSources"], json!([]), "nothing stored");
    let res = app.json(Method::PATCH, &format!("{API}/m"), mirror(None)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["upstreamSources"][0]["hasToken"], json!(false));
}

/// Two feeds made each other's upstream at the same moment, many times over: each time at
/// most one change wins, and no cycle is ever stored.
async fn concurrent_changes_never_close_a_cycle(engine: Engine) {
    let app = std::sync::Arc::new(TestApp::builder(engine).build().await);
    for name in ["a", "b"] {
        let res = app.json(Method::POST, API, json!({"name": name, "visibility": "public"})).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let to = |feed: &str| json!({"upstreamSources": [{"name": "other", "kind": "feed", "location": format!("default/default/{feed}")}]});
    for round in 0..12 {
        let (x, y) = (app.clone(), app.clone());
        let (ab, ba) = tokio::join!(
            tokio::spawn(async move { x.json(Method::PATCH, &format!("{API}/a"), to("b")).await.status }),
            tokio::spawn(async move { y.json(Method::PATCH, &format!("{API}/b"), to("a")).await.status }),
        );
        let (ab, ba) = (ab.unwrap().as_u16(), ba.unwrap().as_u16());
        assert!(ab == 200 || ab == 409, "round {round}: {ab}");
        assert!(ba == 200 || ba == 409, "round {round}: {ba}");
        assert!(!(ab == 200 && ba == 200), "round {round}: both changes were taken");
        let a = app.get(&format!("{API}/a")).await.body["upstreamSources"].as_array().unwrap().len();
        let b = app.get(&format!("{API}/b")).await.body["upstreamSources"].as_array().unwrap().len();
        assert!(a + b == 1, "round {round}: exactly one edge stored, got a={a} b={b}");
        for feed in ["a", "b"] {
            let res = app.json(Method::PATCH, &format!("{API}/{feed}"), json!({"upstreamSources": []})).await;
            assert_eq!(res.status, 200, "{}", res.body);
        }
    }
    drop(std::sync::Arc::into_inner(app).expect("no other handle"));
}

on_both_engines!(
    cargo_resolves_through_a_chain_of_feeds,
    a_private_registry_is_reached_with_its_sealed_token,
    the_first_source_that_knows_a_name_supplies_all_of_its_versions,
    upstream_sources_are_refused_clearly_and_leave_nothing_behind,
    tokens_need_the_operators_secret_key,
    concurrent_changes_never_close_a_cycle
);
