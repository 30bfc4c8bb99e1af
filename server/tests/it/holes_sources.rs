//! The second audit's feed-source findings: a feed's sources never give anyone more than
//! the source feed itself would, checked when each request comes (not only when the source
//! was added), and a download saves into a source feed only for a caller who may save
//! there.

use std::time::Duration;

use serde_json::{Value, json};
use wharf_core::TokenScope;
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::{
    helpers::Caller,
    running::{Options, RunningWharf, cargo, dependent_project},
};

const API: &str = "/default/default/_apis/packaging/feeds";

/// A REST call as `caller`: status and JSON.
async fn call(
    wharf: &RunningWharf,
    caller: &Caller,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = caller.apply(wharf.http().request(method, wharf.url(path)));
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn create_feed(wharf: &RunningWharf, caller: &Caller, name: &str, visibility: &str, upstream: bool) {
    let body = json!({"name": name, "visibility": visibility, "upstreamEnabled": upstream});
    let (status, body) = call(wharf, caller, reqwest::Method::POST, API, Some(body)).await;
    assert_eq!(status, 201, "create {name}: {body}");
}

async fn set_source(wharf: &RunningWharf, caller: &Caller, feed: &str, target: &str) {
    let sources = json!({"upstreamSources": [{"name": "inner", "kind": "feed", "location": target}]});
    let (status, body) = call(wharf, caller, reqwest::Method::PATCH, &format!("{API}/{feed}"), Some(sources)).await;
    assert_eq!(status, 200, "sources of {feed}: {body}");
}

async fn set_role(wharf: &RunningWharf, feed: &str, user: &str, role: Value) {
    let path = format!("{API}/{feed}/permissions");
    let (status, body) = wharf.send(reqwest::Method::PATCH, &path, Some(json!([{"user": user, "role": role}]))).await;
    assert_eq!(status, 200, "role of {user} on {feed}: {body}");
}

/// A Cargo GET on `feed` (an index path or a download) as `caller`: the status.
async fn cargo_get(wharf: &RunningWharf, caller: &Caller, feed: &str, path: &str) -> u16 {
    let req = wharf.http().get(wharf.url(&format!("/default/default/_packaging/{feed}/Cargo/{path}")));
    caller.apply_cargo(req).send().await.unwrap().status().as_u16()
}

/// The versions of `package` a feed holds, with their origins (as the administrator).
async fn held(wharf: &RunningWharf, feed: &str, package: &str) -> Vec<String> {
    let (status, body) = wharf.send(reqwest::Method::GET, &format!("{API}/{feed}/packages/{package}"), None).await;
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    body["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap().to_owned()).collect()
}

/// The audit records of `feed` with `action`, as `actor: target` lines.
async fn audited(wharf: &RunningWharf, feed: &str, action: &str) -> Vec<String> {
    let (status, body) = wharf.send(reqwest::Method::GET, &format!("{API}/{feed}/audit?$top=200"), None).await;
    assert_eq!(status, 200, "{body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| format!("{}: {}", r["actor"].as_str().unwrap_or("?"), r["target"].as_str().unwrap_or("?")))
        .collect()
}

/// Any member may add an Organization feed as a source of their own Public feed; anonymous
/// callers still get nothing of it through the public feed (index, downloads, saves), and
/// the public feed's resource does not name it to them.
async fn an_organization_feed_is_not_republished_to_anonymous_callers(engine: Engine) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    let mallory = wharf.user("mallory", TokenScope::Write).await;
    create_feed(&wharf, &wharf.admin(), "team", "organization", true).await;
    wharf.publish("team", &CrateSpec::new("team-secret", "1.0.0")).await;
    create_feed(&wharf, &mallory, "open", "public", false).await;
    set_source(&wharf, &mallory, "open", "default/default/team").await;

    // Mallory, a member, reads the organization feed through hers, as she may directly.
    assert_eq!(cargo_get(&wharf, &mallory, "open", "index/te/am/team-secret").await, 200);
    // Anonymous callers get nothing of it: not its own crate, not its upstream's.
    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "open", "index/te/am/team-secret").await, 404);
    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "open", "api/v1/crates/team-secret/1.0.0/download").await, 404);
    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "open", "index/3/a/abc").await, 404);
    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "open", "api/v1/crates/abc/1.0.0/download").await, 404);
    // Nothing was saved anywhere on an anonymous caller's behalf.
    assert!(held(&wharf, "team", "abc").await.is_empty(), "an anonymous download saved into the source");
    assert!(audited(&wharf, "team", "version.save").await.is_empty());

    // The real cargo, anonymous, through the public feed: the private crate is not found.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("anon");
    dependent_project(&dir, &wharf.index_url("open"), &[("team-secret", "1")]);
    let out = cargo(&dir, &work.path().join("home"), &["generate-lockfile"], &[]).await;
    assert!(!out.status.success(), "anonymous cargo resolved a crate of an organization feed");

    // The public feed's resource names the source feed only to those who may read it.
    let (status, anon) = call(&wharf, &Caller::Anonymous, reqwest::Method::GET, &format!("{API}/open"), None).await;
    assert_eq!(status, 200, "{anon}");
    let source = &anon["upstreamSources"][0];
    assert!(!source.to_string().contains("team"), "the source feed is named to anonymous callers: {source}");
    assert_eq!(source["lastError"], Value::Null);
    let (_, member) = call(&wharf, &mallory, reqwest::Method::GET, &format!("{API}/open"), None).await;
    assert_eq!(member["upstreamSources"][0]["location"], "default/default/team");
    wharf.stop().await;
}

/// A Reader of a private feed who adds it as a source of a public feed loses it there the
/// moment the Owner removes them, crates published later included; while they may read it,
/// they save through it only into their own feed.
async fn a_removed_reader_keeps_nothing_through_their_public_feed(engine: Engine) {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    let rita = wharf.user("rita", TokenScope::Write).await;
    create_feed(&wharf, &wharf.admin(), "vault", "private", true).await;
    wharf.publish("vault", &CrateSpec::new("vault-lib", "1.0.0")).await;
    set_role(&wharf, "vault", "rita", json!("reader")).await;
    create_feed(&wharf, &rita, "leak", "public", false).await;
    set_source(&wharf, &rita, "leak", "default/default/vault").await;

    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "leak", "index/va/ul/vault-lib").await, 404);
    assert_eq!(cargo_get(&wharf, &rita, "leak", "index/va/ul/vault-lib").await, 200);
    // Rita reads the vault but may not save into it: `abc` is saved into her feed alone.
    assert_eq!(cargo_get(&wharf, &rita, "leak", "api/v1/crates/abc/1.0.0/download").await, 200);
    assert_eq!(held(&wharf, "leak", "abc").await, ["1.0.0"]);
    assert!(held(&wharf, "vault", "abc").await.is_empty(), "a Reader's download saved into the source feed");
    assert!(audited(&wharf, "vault", "version.save").await.is_empty());
    // The Owner, who may save there, saves into both.
    assert_eq!(cargo_get(&wharf, &wharf.admin(), "leak", "api/v1/crates/ab/1.0.0/download").await, 200);
    assert_eq!(held(&wharf, "vault", "ab").await, ["1.0.0"]);

    // The Owner removes Rita: at once, her feed gives her nothing of the vault either.
    set_role(&wharf, "vault", "rita", Value::Null).await;
    wharf.publish("vault", &CrateSpec::new("vault-lib", "1.1.0")).await;
    for caller in [&rita, &Caller::Anonymous] {
        assert_eq!(cargo_get(&wharf, caller, "leak", "index/va/ul/vault-lib").await, 404);
        assert_eq!(cargo_get(&wharf, caller, "leak", "api/v1/crates/vault-lib/1.1.0/download").await, 404);
    }
    // A visibility change takes effect through the source at once too.
    let (status, body) =
        wharf.send(reqwest::Method::PATCH, &format!("{API}/vault"), Some(json!({"visibility": "public"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cargo_get(&wharf, &Caller::Anonymous, "leak", "index/va/ul/vault-lib").await, 200);
    wharf.stop().await;
}

on_both_engines!(
    an_organization_feed_is_not_republished_to_anonymous_callers,
    a_removed_reader_keeps_nothing_through_their_public_feed,
);
