//! Holes of the second audit in the portal's pages: an advisory's link takes only an
//! `http(s)` address (a `javascript:` one ran in the portal's origin when a reader clicked
//! the advisory's id), and every portal page sends a Content-Security-Policy whose script
//! nonce is fresh for each response and is the one the page's scripts carry.

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use wharf_test_support::{Engine, on_both_engines, publish_body, upstream::CrateSpec};

use crate::helpers::{TestApp, form};

const PROJECT_FEEDS: &str = "/default/default/_apis/packaging/feeds";
const ORG_FEEDS: &str = "/default/_apis/packaging/feeds";

async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = app.router().oneshot(request).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    (status, headers, body)
}

async fn publish(app: &TestApp, krate: &str) {
    let meta = json!({"name": krate, "vers": "1.0.0", "deps": [], "features": {}});
    let body = publish_body(&meta, &CrateSpec::new(krate, "1.0.0").crate_file());
    let path = "/default/default/_packaging/sec/Cargo/api/v1/crates/new";
    let res = app.put_bytes_as(app.admin(), path, body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

/// A `.tar.gz` of the advisory-db layout with one advisory about `adv-js` whose `url` is
/// `url`.
fn advisory_tarball(id: &str, url: &str) -> Vec<u8> {
    let text = format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"adv-js\"\ndate = \"2099-01-01\"\nurl = \"{url}\"\n\n\
         [versions]\npatched = [\">= 9.0.0\"]\n```\n\n# A link that runs a script\n"
    );
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive.append_data(&mut header, format!("advisory-db/crates/adv-js/{id}.md"), text.as_bytes()).unwrap();
    archive.into_inner().unwrap().finish().unwrap()
}

async fn an_advisory_links_only_to_an_http_page(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app.json(Method::POST, PROJECT_FEEDS, json!({"name": "sec", "visibility": "private"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    publish(&app, "adv-js").await;

    // Imported over REST with a `javascript:` URL: kept as RustSec's page instead.
    let tarball = advisory_tarball("RUSTSEC-2099-0042", "javascript:alert(document.cookie)");
    let import = app.admin().apply(Request::post("/_apis/advisories")).body(Body::from(tarball)).unwrap();
    let (status, _, body) = send(&app, import).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = app.db().advisories().of_package("adv-js").await.unwrap();
    assert_eq!(stored[0].url, "https://rustsec.org/advisories/RUSTSEC-2099-0042.html");

    // A row stored before imports checked the scheme is checked again on the way out; an
    // http(s) address is kept.
    let row = |id: &str, url: &str| wharf_db::AdvisoryRow {
        id: id.to_owned(),
        package: "adv-js".to_owned(),
        title: "Old row".to_owned(),
        url: url.to_owned(),
        date: "2099-01-02".to_owned(),
        kind: "vulnerability".to_owned(),
        ..Default::default()
    };
    let rows = [
        stored[0].clone(),
        row("RUSTSEC-2099-0043", "JavaScript:alert(1)"),
        row("RUSTSEC-2099-0044", "https://example.com/advisory?id=44"),
    ];
    app.db().advisories().import(&rows, &[], wharf_db::unix_now()).await.unwrap();

    let (status, page) = app.page("/default/default/_artifacts/feed/sec/package/adv-js").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for href in [
        "https://rustsec.org/advisories/RUSTSEC-2099-0042.html",
        "https://rustsec.org/advisories/RUSTSEC-2099-0043.html",
        "https://example.com/advisory?id=44",
    ] {
        assert!(page.contains(&format!("<a href=\"{href}\"")), "no link to {href}: {page}");
    }
    assert!(!page.to_ascii_lowercase().contains("javascript:"), "{page}");
}

/// The nonce of a policy's `script-src`, after checking the policy is the strict one.
fn nonce_of(what: &str, policy: &str) -> String {
    let directive = |name: &str| {
        policy.split(';').map(str::trim).find(|d| d.split(' ').next() == Some(name)).unwrap_or_default().to_owned()
    };
    let scripts = directive("script-src");
    assert!(!scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"), "{what}: {policy}");
    for (name, value) in [
        ("default-src", "default-src 'self'"),
        ("object-src", "object-src 'none'"),
        ("base-uri", "base-uri 'none'"),
        ("frame-ancestors", "frame-ancestors 'none'"),
        ("form-action", "form-action 'self'"),
    ] {
        assert_eq!(directive(name), value, "{what}: {policy}");
    }
    let nonce = scripts
        .split(' ')
        .find_map(|s| s.strip_prefix("'nonce-").and_then(|s| s.strip_suffix('\'')))
        .unwrap_or_else(|| panic!("{what}: no nonce in {policy}"));
    assert!(
        nonce.len() >= 22 && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b)),
        "{what}: {nonce:?} is not a random base64 nonce"
    );
    nonce.to_owned()
}

/// The `nonce` attribute of every `<script>` of a page (`None` for a script without one).
fn script_nonces(page: &str) -> Vec<Option<String>> {
    page.split("<script")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            tag.split_once("nonce=\"").map(|(_, v)| v[..v.find('"').unwrap_or(v.len())].to_owned())
        })
        .collect()
}

/// Checks one answer: HTML with the policy, and the policy's nonce on every script.
fn checked(what: &str, headers: &HeaderMap, page: &str) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap()).unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{what}: not a page ({content_type}): {page}");
    let policy = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let nonce = nonce_of(what, policy);
    let scripts = script_nonces(page);
    assert!(!scripts.is_empty(), "{what}: no hydration script: {page}");
    assert!(scripts.iter().all(|n| n.as_deref() == Some(nonce.as_str())), "{what}: {scripts:?} vs {nonce}");
    nonce
}

/// Routes that are not portal pages: the REST API, cargo's, the assets and the probes.
fn is_portal_page(method: &Method, pattern: &str) -> bool {
    method == Method::GET
        && !pattern.contains("/_apis/")
        && !pattern.starts_with("/_apis")
        && !pattern.contains("/_packaging/")
        && !pattern.starts_with("/_fn/")
        && !["/pkg/{*file}", "/_metrics", "/_health", "/_ready"].contains(&pattern)
}

async fn every_portal_page_sends_a_policy_with_its_scripts_nonce(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for feeds in [PROJECT_FEEDS, ORG_FEEDS] {
        let res = app.json(Method::POST, feeds, json!({"name": "sec", "visibility": "private"})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    publish(&app, "seeded").await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    let get = |path: String| {
        Request::get(path).header(header::ACCEPT, "text/html").header(header::COOKIE, &cookie).body(Body::empty())
    };

    let pages: Vec<String> = wharf::routes::inventory()
        .into_iter()
        .filter(|(method, pattern)| is_portal_page(method, pattern))
        .map(|(_, pattern)| {
            pattern
                .replace("{org}", "default")
                .replace("{project}", "default")
                .replace("{feed}", "sec")
                .replace("{package}", "seeded")
                .replace("{job}", "00000000-0000-0000-0000-000000000000")
        })
        .chain(["/no/such/page".to_owned()])
        .collect();
    assert!(pages.len() >= 20, "the route inventory lists the portal's pages: {pages:?}");
    for path in pages {
        let (status, headers, page) = send(&app, get(path.clone()).unwrap()).await;
        let first = checked(&format!("GET {path} ({status})"), &headers, &page);
        let (_, headers, page) = send(&app, get(path.clone()).unwrap()).await;
        let second = checked(&format!("GET {path}, again"), &headers, &page);
        assert_ne!(first, second, "GET {path}: the nonce is the same for two answers");
    }

    // A page answering its own form (the tokens page, with the new token) too.
    let post = Request::post(wharf_core::urls::pages::TOKENS)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::from(form(&[("csrf", &csrf), ("name", "ci"), ("scope", "read")])))
        .unwrap();
    let (status, headers, page) = send(&app, post).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    checked("POST the tokens form", &headers, &page);

    // What is not a page sends no policy of the portal's.
    let (_, headers, _) = send(&app, get("/_health".to_owned()).unwrap()).await;
    assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_none());
}

on_both_engines!(an_advisory_links_only_to_an_http_page, every_portal_page_sends_a_policy_with_its_scripts_nonce);
