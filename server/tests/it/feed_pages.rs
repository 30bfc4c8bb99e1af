//! A large feed's page: the packages are searched, filtered and paged on the server, so
//! the page stays small however many packages the feed holds.

use axum::http::StatusCode;
use serde_json::json;
use wharf_db::{NewVersion, Origin};
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::TestApp;

const PAGE: &str = "/default/default/_artifacts/feed/team";

/// Rows of the packages table in a rendered page.
fn rows(html: &str) -> usize {
    html.matches("<tr data-package=").count()
}

async fn a_large_feed_is_paged_on_the_server(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app
        .json(
            axum::http::Method::POST,
            "/default/default/_apis/packaging/feeds",
            json!({"name": "team", "visibility": "public", "upstreamEnabled": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let scope = app.db().scopes().resolve("default", Some("default")).await.unwrap();
    let feed = app.db().feeds().get(&scope, "team").await.unwrap();
    for i in 0..120 {
        let (name, cksum) = (format!("pkg-{i:03}"), format!("{i:064x}"));
        let line = format!(r#"{{"name":"{name}","vers":"1.0.0","deps":[],"cksum":"{cksum}"}}"#);
        let v = NewVersion {
            name: &name,
            version: "1.0.0",
            origin: Origin::Upstream,
            cksum: &cksum,
            size: 1,
            index_line: &line,
        };
        app.db().packages().record(feed.id, &v).await.unwrap();
    }

    let (status, first) = app.page(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&first), 50, "one page of 50");
    assert!(first.contains("Packages 1–50 of 120"), "what is shown is said");
    assert!(first.contains("data-package=\"pkg-000\"") && !first.contains("data-package=\"pkg-050\""));
    assert!(first.contains(r#"href="?page=2""#), "a link to the next page");
    assert!(!first.contains("rel=\"prev\""), "no previous page on the first");

    let (_, third) = app.page(&format!("{PAGE}?page=3")).await;
    assert_eq!(rows(&third), 20);
    assert!(third.contains("Packages 101–120 of 120") && third.contains("data-package=\"pkg-119\""));
    assert!(third.contains(r#"href="?page=2""#) && !third.contains("rel=\"next\""));

    // The search runs on the server and the links keep it.
    let (_, found) = app.page(&format!("{PAGE}?q=pkg-1&filter=upstream")).await;
    assert_eq!(rows(&found), 20, "pkg-100 … pkg-119");
    assert!(found.contains("Packages 1–20 of 20"));
    let (_, none) = app.page(&format!("{PAGE}?q=pkg-1&filter=local")).await;
    assert!(none.contains("No package matches."));
    let (_, searched) = app.page(&format!("{PAGE}?q=pkg-0")).await;
    // (`&` in an attribute is written `&amp;`.)
    assert!(searched.contains(r#"href="?q=pkg-0&amp;page=2""#), "the next page keeps the search");

    // Past the last page, or nonsense: an empty page that says so, or the first page.
    let (status, past) = app.page(&format!("{PAGE}?page=99")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(past.contains("No packages on page 99 of 3"));
    assert!(past.contains(r#"href="?page=3""#), "Previous leads to the last page");
    let (_, nonsense) = app.page(&format!("{PAGE}?page=-4")).await;
    assert_eq!(rows(&nonsense), 50);
}

on_both_engines!(a_large_feed_is_paged_on_the_server);
