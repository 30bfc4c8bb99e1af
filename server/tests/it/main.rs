//! The management REST API, driven in-process through the real router, on SQLite and on
//! PostgreSQL.

mod access_api;
mod accounts;
mod admin;
mod advisories;
mod audit;
mod backup;
mod badges;
mod bodies;
mod bundles;
mod cargo_auth;
mod cooldown;
mod copied_snippets;
mod crate_files;
mod feed_pages;
mod helpers;
mod holes_access;
mod holes_portal;
mod holes_sign_in;
mod holes_sources;
mod matrix;
mod openapi;
mod parser_memory;
mod policy_agreement;
mod projects;
mod publish;
mod publish_bodies;
mod quarantine;
mod registry;
mod removed_upstream;
mod replicas;
mod retention;
mod running;
mod served_lines;
mod test_app;
mod upstream_faults;
mod upstream_limits;
mod upstream_sources;
mod views;
mod warm;
mod warm_limits;
mod warm_restart;
mod warm_upload;
mod webhooks;

use axum::http::{Method, StatusCode};
use serde_json::json;
use wharf_test_support::{Engine, on_both_engines};

use helpers::TestApp;

const PROJECT_FEEDS: &str = "/default/default/_apis/packaging/feeds";
const ORG_FEEDS: &str = "/default/_apis/packaging/feeds";

async fn create_returns_the_feed(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app
        .json(
            Method::POST,
            PROJECT_FEEDS,
            json!({"name": "Team", "description": "web crates", "visibility": "private", "upstreamEnabled": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("http://wharf.test/default/default/_apis/packaging/feeds/Team"));
    let mut body = res.body.clone();
    for volatile in ["id", "createdAt", "updatedAt"] {
        assert!(body[volatile].is_string() || body[volatile].is_number(), "{volatile} missing");
        body[volatile] = json!("…");
    }
    assert_eq!(
        body,
        json!({
            "id": "…",
            "name": "Team",
            "description": "web crates",
            "visibility": "private",
            "scope": {"type": "project", "org": "default", "project": "default"},
            "upstreamEnabled": true,
            "allowAnonymousSaves": true,
            "upstreamSources": [{
                "name": "crates.io",
                "kind": "crates-io",
                "location": "sparse+http://127.0.0.1:9/index/",
                "hasToken": false,
                "lastSuccessAt": null,
                "lastError": null,
                "lastErrorAt": null
            }],
            "retentionMaxVersions": 0,
            "retentionDays": 0,
            "upstreamCooldownDays": 0,
            "advisoryPolicy": "warn",
            "keepRemovedUpstream": false,
            "badgesEnabled": true,
            "indexUrl": "sparse+http://wharf.test/default/default/_packaging/Team/Cargo/index/",
            "connectUrl": "http://wharf.test/default/default/_artifacts/feed/Team/connect",
            "url": "http://wharf.test/default/default/_apis/packaging/feeds/Team",
            "createdAt": "…",
            "updatedAt": "…"
        })
    );

    // Organization scope: no project in the scope or the URLs, no upstream unless asked.
    let res = app.json(Method::POST, ORG_FEEDS, json!({"name": "shared", "visibility": "public"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["scope"], json!({"type": "organization", "org": "default"}));
    assert_eq!(res.body["upstreamEnabled"], json!(false));
    assert_eq!(res.body["upstreamSources"], json!([]));
    assert_eq!(res.body["indexUrl"], json!("sparse+http://wharf.test/default/_packaging/shared/Cargo/index/"));
}

async fn duplicate_names_are_409(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let body = json!({"name": "crates", "visibility": "public"});
    assert_eq!(app.json(Method::POST, PROJECT_FEEDS, body).await.status, StatusCode::CREATED);
    let res = app.json(Method::POST, PROJECT_FEEDS, json!({"name": "CRATES", "visibility": "private"})).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        res.body,
        json!({"errors": [{"detail": "A feed named 'CRATES' already exists in project 'default'. Choose another name."}]})
    );
    // The same name at organization scope is another feed.
    let res = app.json(Method::POST, ORG_FEEDS, json!({"name": "crates", "visibility": "public"})).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(app.get(PROJECT_FEEDS).await.body["count"], json!(1));
}

async fn invalid_input_is_refused_and_nothing_is_stored(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let cases = [
        (json!({"name": "", "visibility": "public"}), StatusCode::UNPROCESSABLE_ENTITY, "name: Enter a name."),
        (
            json!({"name": "bad name", "visibility": "public"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name: The name may contain only letters, digits, '-', '_' and '.'; a space is not allowed.",
        ),
        (
            json!({"name": "x".repeat(65), "visibility": "public"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name: The name is 65 characters long; use at most 64.",
        ),
        (
            json!({"name": "ok", "visibility": "secret"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "visibility: Choose a visibility: public, organization or private (got \"secret\").",
        ),
        (json!({"visibility": "public"}), StatusCode::UNPROCESSABLE_ENTITY, "missing field `name`"),
        (
            json!({"name": "ok", "visibility": "public", "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `colour`",
        ),
        (json!({"name": 7, "visibility": "public"}), StatusCode::UNPROCESSABLE_ENTITY, "name: invalid type"),
        (json!(["not", "an", "object"]), StatusCode::UNPROCESSABLE_ENTITY, "body: The body must be a JSON object."),
    ];
    for (body, status, detail) in cases {
        let res = app.json(Method::POST, PROJECT_FEEDS, body.clone()).await;
        assert_eq!(res.status, status, "{body}: {}", res.body);
        let first = res.body["errors"][0]["detail"].as_str().unwrap_or_default().to_owned();
        assert!(first.contains(detail), "{body}: expected {detail:?} in {first:?}");
    }

    // Every bad field is reported at once.
    let res = app.json(Method::POST, PROJECT_FEEDS, json!({"name": "-x", "visibility": "nope"})).await;
    assert_eq!(res.body["errors"].as_array().map(Vec::len), Some(2), "{}", res.body);

    // Not JSON at all, or not said to be JSON.
    let res = app.raw_as(app.admin(), Method::POST, PROJECT_FEEDS, Some("application/json"), "{\"name\": ").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body["errors"][0]["detail"].as_str().unwrap().starts_with("The body is not valid JSON"),
        "{}",
        res.body
    );
    let res = app.raw_as(app.admin(), Method::POST, PROJECT_FEEDS, Some("text/plain"), "{}").await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("application/json"));
    let res = app.raw_as(app.admin(), Method::POST, PROJECT_FEEDS, None, "{}").await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Oversized bodies are refused before they are parsed.
    let huge = json!({"name": "big", "visibility": "public", "description": "d".repeat(100 * 1024)});
    let res = app.json(Method::POST, PROJECT_FEEDS, huge).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("64 KiB"));

    assert_eq!(app.get(PROJECT_FEEDS).await.body, json!({"count": 0, "value": []}));
    assert_eq!(app.get(ORG_FEEDS).await.body, json!({"count": 0, "value": []}));
}

async fn list_get_patch_delete(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for name in ["beta", "Alpha"] {
        let res = app.json(Method::POST, PROJECT_FEEDS, json!({"name": name, "visibility": "organization"})).await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    app.json(Method::POST, ORG_FEEDS, json!({"name": "org-wide", "visibility": "public"})).await;

    let list = app.get(PROJECT_FEEDS).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["count"], json!(2));
    let names: Vec<_> = list.body["value"].as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, [json!("Alpha"), json!("beta")]);
    let org_list = app.get(ORG_FEEDS).await;
    assert_eq!(org_list.body["value"][0]["name"], json!("org-wide"));

    // Reads ignore case.
    let res = app.get(&format!("{PROJECT_FEEDS}/ALPHA")).await;
    assert_eq!((res.status, res.body["name"].clone()), (StatusCode::OK, json!("Alpha")));

    // Patch changes only what is given.
    let res = app
        .json(
            Method::PATCH,
            &format!("{PROJECT_FEEDS}/alpha"),
            json!({"description": "first", "upstreamEnabled": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        (&res.body["name"], &res.body["description"], &res.body["visibility"], &res.body["upstreamEnabled"]),
        (&json!("Alpha"), &json!("first"), &json!("organization"), &json!(true))
    );
    // The anonymous-saves setting of public feeds.
    let res = app.json(Method::PATCH, &format!("{PROJECT_FEEDS}/alpha"), json!({"allowAnonymousSaves": false})).await;
    assert_eq!(res.body["allowAnonymousSaves"], json!(false));
    // Rename, then the old name is gone.
    let res = app.json(Method::PATCH, &format!("{PROJECT_FEEDS}/alpha"), json!({"name": "gamma"})).await;
    assert_eq!(res.body["name"], json!("gamma"));
    assert_eq!(app.get(&format!("{PROJECT_FEEDS}/alpha")).await.status, StatusCode::NOT_FOUND);
    // Renaming onto another feed: 409, nothing changes.
    let res = app.json(Method::PATCH, &format!("{PROJECT_FEEDS}/gamma"), json!({"name": "BETA"})).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(app.get(&format!("{PROJECT_FEEDS}/gamma")).await.body["description"], json!("first"));
    // Bad values: 422, nothing changes.
    let res = app.json(Method::PATCH, &format!("{PROJECT_FEEDS}/gamma"), json!({"visibility": "everyone"})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&format!("{PROJECT_FEEDS}/gamma")).await.body["visibility"], json!("organization"));

    // Delete.
    let res = app.request(Method::DELETE, &format!("{PROJECT_FEEDS}/gamma")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("{PROJECT_FEEDS}/gamma")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.request(Method::DELETE, &format!("{PROJECT_FEEDS}/gamma")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(PROJECT_FEEDS).await.body["count"], json!(1));
}

async fn unknown_things_are_404(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let cases = [
        (
            "/default/default/_apis/packaging/feeds/nope",
            "Feed 'nope' does not exist in project 'default' of organization 'default'.",
        ),
        ("/default/_apis/packaging/feeds/nope", "Feed 'nope' does not exist in organization 'default'."),
        ("/acme/_apis/packaging/feeds", "Organization 'acme' does not exist."),
        ("/default/web/_apis/packaging/feeds", "Project 'web' does not exist in organization 'default'."),
    ];
    for (path, detail) in cases {
        let res = app.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.body, json!({"errors": [{"detail": detail}]}), "{path}");
    }
    let res = app.json(Method::PATCH, "/default/_apis/packaging/feeds/nope", json!({"description": "x"})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.request(Method::DELETE, "/default/_apis/packaging/feeds/nope").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .json(Method::POST, "/default/web/_apis/packaging/feeds", json!({"name": "a", "visibility": "public"}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn portal_pages_render_with_statuses(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    app.json(Method::POST, PROJECT_FEEDS, json!({"name": "team", "visibility": "private", "upstreamEnabled": true}))
        .await;
    let page = app.page("/default/default/_artifacts/feed/team/connect").await;
    assert_eq!(page.0, StatusCode::OK);
    assert!(
        page.1.contains("replace-with = &quot;team&quot;") || page.1.contains("replace-with = \"team\""),
        "{}",
        page.1
    );
    assert!(page.1.contains("cargo login --registry team"));
    assert_eq!(app.page("/default/default/_artifacts/feed/missing/connect").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.page("/no/such/page/here").await.0, StatusCode::NOT_FOUND);
    let health = app.page("/_health").await;
    assert_eq!(health, (StatusCode::OK, "ok\n".to_owned()));
    let home = app.page("/").await;
    assert_eq!(home.0, StatusCode::OK);
    assert!(home.1.contains("data-feed=\"team\""));
}

on_both_engines!(
    create_returns_the_feed,
    duplicate_names_are_409,
    invalid_input_is_refused_and_nothing_is_stored,
    list_get_patch_delete,
    unknown_things_are_404,
    portal_pages_render_with_statuses,
);
