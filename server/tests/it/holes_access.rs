//! Regression tests for holes in access: probing private feed names, two Owners removing
//! each other at once, tokens minting tokens, token secrets at rest, REST changes by
//! cookie, and the metrics behind a token.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;
use tower::ServiceExt;
use wharf_core::TokenScope;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::{Caller, TestApp};

const FEEDS: &str = "/default/_apis/packaging/feeds";

async fn private_feed(app: &TestApp, name: &str) {
    let res = app.json(Method::POST, FEEDS, json!({"name": name, "visibility": "private"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

/// A private feed answers exactly as a missing one: 401 to anonymous callers (cargo needs
/// it to log in), 404 with the same words to signed-in callers without a role.
async fn private_feed_names_cannot_be_probed(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    private_feed(&app, "secret").await;
    let eve = app.user("eve", TokenScope::Write).await;
    for (path, missing) in [
        ("/default/_packaging/secret/Cargo/index/config.json", "/default/_packaging/nothing/Cargo/index/config.json"),
        ("/default/_packaging/secret/Cargo/index/se/rd/serde", "/default/_packaging/nothing/Cargo/index/se/rd/serde"),
        (
            "/default/_packaging/secret/Cargo/api/v1/crates/serde/1.0.0/download",
            "/default/_packaging/nothing/Cargo/api/v1/crates/serde/1.0.0/download",
        ),
    ] {
        let get = |caller: &Caller, p: &str| caller.apply(Request::get(p)).body(Body::empty()).unwrap();
        let (hidden, _, _) = app.send_raw(get(&Caller::Anonymous, path)).await;
        let (absent, _, _) = app.send_raw(get(&Caller::Anonymous, missing)).await;
        assert_eq!((hidden, absent), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED), "{path}");
        let (hidden, _, hidden_text) = app.send_raw(get(&eve, path)).await;
        let (absent, _, absent_text) = app.send_raw(get(&eve, missing)).await;
        assert_eq!((hidden, absent), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND), "{path}");
        assert_eq!(hidden_text.replace("secret", "nothing"), absent_text, "{path}");
    }
    let hidden = app.get_as(&eve, &format!("{FEEDS}/secret")).await;
    let absent = app.get_as(&eve, &format!("{FEEDS}/nothing")).await;
    assert_eq!((hidden.status, absent.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(hidden.body.to_string().replace("secret", "nothing"), absent.body.to_string());
    let eve_user = app.db().users().by_name(eve.name()).await.unwrap().0;
    let (cookie, _) = app.session_for(Some(&eve_user)).await;
    let (status, _) = app.page_with(Some(&cookie), "/default/_artifacts/feed/secret").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Eight Owners each remove all the others at the same moment: the feed keeps an Owner.
async fn owners_removing_each_other_at_once_leave_an_owner(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for round in 0..3 {
        let feed = format!("shared-{round}");
        private_feed(&app, &feed).await;
        let names: Vec<String> = (0..8).map(|i| format!("owner{round}x{i}")).collect();
        let mut owners = Vec::new();
        for name in &names {
            owners.push(app.user(name, TokenScope::Write).await);
        }
        let grant: Vec<_> = names.iter().map(|n| json!({"user": n, "role": "owner"})).collect();
        let path = format!("{FEEDS}/{feed}/permissions");
        assert_eq!(app.json(Method::PATCH, &path, json!(grant)).await.status, StatusCode::OK);
        // The creator (root) steps down, so only the eight remain.
        let res = app.json(Method::PATCH, &path, json!([{"user": "root", "role": null}])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let attempts = owners.iter().map(|me| {
            let others: Vec<_> =
                names.iter().filter(|n| *n != me.name()).map(|n| json!({"user": n, "role": null})).collect();
            let request = me
                .apply(Request::patch(path.as_str()))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!(others).to_string()))
                .unwrap();
            let router = app.router();
            tokio::spawn(async move { router.oneshot(request).await.unwrap().status() })
        });
        let statuses: Vec<_> = futures_util::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
        let scope = app.db().scopes().resolve("default", None).await.unwrap();
        let feed_id = app.db().feeds().get(&scope, &feed).await.unwrap().id;
        let owners = app.db().roles().list(feed_id).await.unwrap();
        let owners = owners.iter().filter(|h| h.role == wharf_core::Role::Owner).count();
        assert!(owners >= 1, "round {round}: no Owner left after {statuses:?}");
        assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    }
}

/// A token can mint one no stronger and no longer-lived than itself, which dies with it
/// and cannot mint further; a read token cannot revoke.
async fn tokens_minted_by_tokens_never_outlive_them(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let ada = app.db().users().create("ada", "x", false).await.unwrap();
    let (parent, parent_secret) =
        wharf::auth::issue_token(app.db(), ada.id, "parent", TokenScope::Write, Some(30), None).await.unwrap();
    let parent_secret = Caller::raw_token(parent_secret);
    let res =
        app.json_as(&parent_secret, Method::POST, "/_apis/tokens", json!({"name": "child", "scope": "write"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let child_secret = Caller::raw_token(res.body["token"].as_str().unwrap());
    assert_eq!(res.body["expiresAt"].as_str(), Some(wharf_service::rfc3339(parent.expires_at.unwrap()).as_str()));
    let res = app
        .json_as(
            &parent_secret,
            Method::POST,
            "/_apis/tokens",
            json!({"name": "long", "scope": "read", "expiresInDays": 3650}),
        )
        .await;
    assert_eq!(res.body["expiresAt"].as_str(), Some(wharf_service::rfc3339(parent.expires_at.unwrap()).as_str()));
    // A token minted with a token mints nothing.
    let res =
        app.json_as(&child_secret, Method::POST, "/_apis/tokens", json!({"name": "grandchild", "scope": "read"})).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    // A read token cannot revoke.
    let read = app.json_as(&parent_secret, Method::POST, "/_apis/tokens", json!({"name": "r", "scope": "read"})).await;
    let read_secret = Caller::raw_token(read.body["token"].as_str().unwrap());
    let res = app.request_as(&read_secret, Method::DELETE, &format!("/_apis/tokens/{}", parent.id)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(app.get_as(&child_secret, "/_apis/tokens").await.status, StatusCode::OK);
    // Revoking the parent kills every token minted with it, at once.
    let res = app.request_as(&parent_secret, Method::DELETE, &format!("/_apis/tokens/{}", parent.id)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    for secret in [&parent_secret, &child_secret, &read_secret] {
        assert_eq!(app.get_as(secret, "/_apis/tokens").await.status, StatusCode::UNAUTHORIZED);
    }
}

/// The tokens page shows a new token in the answer to its form, and nowhere else: not in
/// the session, not on the next view.
async fn a_new_token_is_stored_nowhere(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", csrf.as_str()), ("name", "laptop"), ("scope", "read"), ("expires_in_days", "30")])
        .finish();
    let request = Request::post("/_user/tokens")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    let res = app.router().oneshot(request).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
    let page = crate::helpers::body_text(res).await;
    let start = page.find("wharf_").expect("the new token on the page");
    let secret: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(secret.len(), 70, "{secret}");
    let shown = Caller::raw_token(&secret);
    assert_eq!(app.get_as(&shown, "/_apis/tokens").await.status, StatusCode::OK, "the token shown works");
    let sessions: Vec<String> =
        sqlx::query_scalar("SELECT data FROM sessions").fetch_all(app.db().pool()).await.unwrap();
    assert!(sessions.iter().all(|d| !d.contains(&secret[6..])), "the secret is in the sessions table");
    let (_, again) = app.page_with(Some(&cookie), "/_user/tokens").await;
    assert!(again.contains("laptop") && !again.contains(&secret[6..]), "shown twice");
    // A refused form goes back to the page with its error, and creates nothing.
    let body =
        form_urlencoded::Serializer::new(String::new()).extend_pairs([("csrf", csrf.as_str()), ("name", "")]).finish();
    let request = Request::post("/_user/tokens")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    let (status, location, _) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = app.page_with(Some(&cookie), location.as_deref().unwrap()).await;
    assert!(page.contains("Give the token a name"), "{page}");
}

/// A REST change made with only the session cookie needs the session's CSRF token and
/// this site's origin, whatever its body.
async fn rest_changes_by_cookie_need_the_csrf_token(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    private_feed(&app, "team").await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    let restore = format!("{FEEDS}/team/recycle-bin/serde/versions/1.0.0/restore");
    let send = |headers: Vec<(&'static str, String)>| {
        let mut request = Request::post(restore.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        app.send_raw(request.body(Body::from("a=b")).unwrap())
    };
    assert_eq!(send(vec![]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(vec![("origin", "https://evil.example".into())]).await.0, StatusCode::FORBIDDEN);
    let token = || ("x-csrf-token", csrf.clone());
    assert_eq!(send(vec![token(), ("origin", "https://evil.example".into())]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(vec![token(), ("sec-fetch-site", "same-site".into())]).await.0, StatusCode::FORBIDDEN);
    // With the token, from this site: through to the operation (nothing to restore).
    assert_eq!(send(vec![token(), ("origin", "http://wharf.test".into())]).await.0, StatusCode::NOT_FOUND);
    // Reading needs no token.
    let read = Request::get(format!("{FEEDS}/team")).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
    assert_eq!(app.send_raw(read).await.0, StatusCode::OK);
}

/// With a metrics token, `/_metrics` answers only to it.
async fn metrics_can_be_kept_behind_a_token(engine: Engine) {
    let network = wharf::config::Network {
        trusted_proxies: Vec::new(),
        metrics_token_hash: Some(wharf::auth::hash_token("scrape-me")),
        ..Default::default()
    };
    let app = TestApp::builder(engine).network(network).build().await;
    let get = |caller: Caller| app.send_raw(caller.apply(Request::get("/_metrics")).body(Body::empty()).unwrap());
    assert_eq!(get(Caller::Anonymous).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(Caller::raw_token("wrong")).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, text) = get(Caller::raw_token("scrape-me")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("wharf_"), "{text}");
}

on_both_engines!(
    private_feed_names_cannot_be_probed,
    owners_removing_each_other_at_once_leave_an_owner,
    tokens_minted_by_tokens_never_outlive_them,
    a_new_token_is_stored_nowhere,
    rest_changes_by_cookie_need_the_csrf_token,
    metrics_can_be_kept_behind_a_token,
);
