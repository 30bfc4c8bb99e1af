//! Version badges: `…/Cargo/badge/{crate}.svg` shows the newest version the feed (or a
//! view) offers, or `?version=`; anonymous for public feeds, refused for private ones;
//! cacheable with an ETag; safe to serve (SVG from text only).

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use wharf_test_support::{Engine, on_both_engines, publish_body, upstream::CrateSpec};

use crate::helpers::TestApp;

const FEEDS: &str = "/default/_apis/packaging/feeds";

async fn get(app: &TestApp, path: &str, etag: Option<&str>) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::get(path);
    if let Some(etag) = etag {
        req = req.header(header::IF_NONE_MATCH, etag);
    }
    let res = app.router().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, headers, body)
}

async fn publish(app: &TestApp, feed: &str, name: &str, version: &str) {
    let meta = json!({"name": name, "vers": version, "deps": [], "features": {}});
    let body = publish_body(&meta, &CrateSpec::new(name, version).crate_file());
    let path = format!("/default/_packaging/{feed}/Cargo/api/v1/crates/new");
    let res = app.put_bytes_as(app.admin(), &path, body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

async fn a_badge_shows_the_newest_version_cargo_sees(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for (name, visibility) in [("open", "public"), ("closed", "private")] {
        let res = app.json(Method::POST, FEEDS, json!({"name": name, "visibility": visibility})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    for version in ["0.1.0", "0.2.0", "0.3.0-rc.1"] {
        publish(&app, "open", "shiny", version).await;
    }
    publish(&app, "closed", "shiny", "1.0.0").await;

    // The newest release, anonymously, cacheable, inert.
    let badge = "/default/_packaging/open/Cargo/badge/shiny.svg";
    let (status, headers, svg) = get(&app, badge, None).await;
    assert_eq!(status, StatusCode::OK, "{svg}");
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
    assert!(svg.starts_with("<svg ") && svg.contains(">shiny</text>") && svg.contains(">v0.2.0</text>"), "{svg}");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, body) = get(&app, badge, Some(&etag)).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));

    // One version; a pre-release; one that is not there.
    let (_, _, svg) = get(&app, &format!("{badge}?version=0.1.0"), None).await;
    assert!(svg.contains(">v0.1.0</text>"), "{svg}");
    let (_, _, svg) = get(&app, &format!("{badge}?version=0.3.0-rc.1"), None).await;
    assert!(svg.contains(">v0.3.0-rc.1</text>") && svg.contains("#b45309"), "{svg}");
    let (status, _, svg) = get(&app, &format!("{badge}?version=9.9.9"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(svg.contains("v9.9.9 not found"), "{svg}");

    // Yanked: the badge moves back (and its ETag changes).
    let yank = "/default/_packaging/open/Cargo/api/v1/crates/shiny/0.2.0/yank";
    let res = app.request_as(app.admin(), Method::DELETE, yank).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (status, headers, svg) = get(&app, badge, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG].to_str().unwrap(), etag);
    assert!(svg.contains(">v0.1.0</text>"), "{svg}");

    // A view's badge: only what was promoted to it.
    let promote = "/default/_apis/packaging/feeds/open/packages/shiny/versions/0.3.0-rc.1/promote";
    assert_eq!(app.json(Method::POST, promote, json!({"view": "prerelease"})).await.status, StatusCode::OK);
    let (_, _, svg) = get(&app, "/default/_packaging/open@prerelease/Cargo/badge/shiny.svg", None).await;
    assert!(svg.contains(">v0.3.0-rc.1</text>"), "{svg}");

    // A crate the feed does not have; names and queries that are wrong.
    let (status, _, svg) = get(&app, "/default/_packaging/open/Cargo/badge/nothing-here.svg", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(svg.contains("not found"), "{svg}");
    for (path, expected) in [
        ("/default/_packaging/open/Cargo/badge/shiny.png", StatusCode::NOT_FOUND),
        ("/default/_packaging/open/Cargo/badge/sh%3Cy.svg", StatusCode::NOT_FOUND),
        ("/default/_packaging/open/Cargo/badge/shiny.svg?style=flat", StatusCode::BAD_REQUEST),
    ] {
        let (status, _, body) = get(&app, path, None).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(!body.is_empty(), "{path}: a message says why");
    }

    // A private feed's badge needs a token; with one, the browser alone may cache it.
    let closed = "/default/_packaging/closed/Cargo/badge/shiny.svg";
    assert_eq!(get(&app, closed, None).await.0, StatusCode::UNAUTHORIZED);
    let req = app.admin().apply(Request::get(closed));
    let res = app.router().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "private, max-age=300");

    // The package page offers the Markdown.
    let (_, page) = app.page("/default/_artifacts/feed/open/package/shiny").await;
    assert!(
        page.contains("[![shiny](http://wharf.test/default/_packaging/open/Cargo/badge/shiny.svg)](http://wharf.test/default/_artifacts/feed/open/package/shiny)"),
        "{page}"
    );
}

/// The badge's answer once the feed's caches heard of a change (they drop it from the bus).
async fn badge_until(app: &TestApp, path: &str, expected: StatusCode) -> String {
    for _ in 0..50 {
        let (status, _, body) = get(app, path, None).await;
        if status == expected {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {expected}");
}

/// The feed setting `badgesEnabled` (on by default): off, the badge URLs answer 404 saying
/// why; the change is in the audit log. Through REST and through the portal's form.
async fn badges_can_be_turned_off(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app.json(Method::POST, FEEDS, json!({"name": "quiet", "visibility": "public"})).await;
    assert_eq!((res.status, res.body["badgesEnabled"].clone()), (StatusCode::CREATED, json!(true)), "{}", res.body);
    publish(&app, "quiet", "shiny", "1.0.0").await;
    let badge = "/default/_packaging/quiet/Cargo/badge/shiny.svg";
    assert_eq!(get(&app, badge, None).await.0, StatusCode::OK);

    // Off over REST: every badge of the feed, and of its views, answers 404.
    let feed = format!("{FEEDS}/quiet");
    let res = app.json(Method::PATCH, &feed, json!({"badgesEnabled": false})).await;
    assert_eq!((res.status, res.body["badgesEnabled"].clone()), (StatusCode::OK, json!(false)), "{}", res.body);
    let message = badge_until(&app, badge, StatusCode::NOT_FOUND).await;
    assert!(message.contains("Badges are turned off for this feed"), "{message}");
    let (status, _, _) = get(&app, "/default/_packaging/quiet@release/Cargo/badge/shiny.svg", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app.json(Method::PATCH, &feed, json!({"badgesEnabled": "no"})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.to_string().contains("badgesEnabled"), "{}", res.body);

    // The audit record names the setting, with no line of its own in the audit code.
    let log = app.get_as(app.admin(), &format!("{feed}/audit")).await;
    let update = log.body["value"].as_array().unwrap().iter().find(|r| r["action"] == "feed.update").cloned();
    assert_eq!(update.unwrap()["detail"], "badgesEnabled: true → false", "{}", log.body);

    // On again, over REST.
    let res = app.json(Method::PATCH, &feed, json!({"badgesEnabled": true})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    badge_until(&app, badge, StatusCode::OK).await;

    // The portal's settings page shows it; its form turns it off (unticked) and on.
    let (_, page) = app.page("/default/_artifacts/feed/quiet/settings").await;
    assert!(page.contains(r#"name="settings[badgesEnabled]""#), "{page}");
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    for (ticked, expected) in [(false, StatusCode::NOT_FOUND), (true, StatusCode::OK)] {
        let mut fields = vec![("csrf", csrf.as_str()), ("org", "default"), ("feed", "quiet"), ("visibility", "public")];
        fields.push(("settings[allowAnonymousSaves]", "on"));
        if ticked {
            fields.push(("settings[badgesEnabled]", "on"));
        }
        let request = Request::post("/_fn/update_feed_settings")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .body(Body::from(crate::helpers::form(&fields)))
            .unwrap();
        let res = app.router().oneshot(request).await.unwrap();
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
        badge_until(&app, badge, expected).await;
    }
    let log = app.get_as(app.admin(), &format!("{feed}/audit")).await;
    let details: Vec<&str> =
        log.body["value"].as_array().unwrap().iter().filter_map(|r| r["detail"].as_str()).collect();
    assert!(details.contains(&"badgesEnabled: false → true"), "{details:?}");
}

on_both_engines!(a_badge_shows_the_newest_version_cargo_sees, badges_can_be_turned_off);
