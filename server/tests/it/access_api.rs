//! Feed permissions and personal access tokens over the REST API.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wharf_core::TokenScope;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::{Caller, TestApp};

const FEEDS: &str = "/default/default/_apis/packaging/feeds";
const PERMISSIONS: &str = "/default/default/_apis/packaging/feeds/team/permissions";

async fn owners_manage_permissions(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let ada = app.user("ada", TokenScope::Write).await;
    let ada_read = app.user("ada", TokenScope::Read).await;
    let bob = app.user("bob", TokenScope::Write).await;
    // The creator of a feed is its Owner.
    let res = app.json_as(&ada, Method::POST, FEEDS, json!({"name": "team", "visibility": "private"})).await;
    assert_eq!(res.status, StatusCode::CREATED);
    let owners = json!({"count": 1, "value": [{"user": "ada", "role": "owner"}]});
    assert_eq!(app.get_as(&ada, PERMISSIONS).await.body, owners);

    // Anonymous: 401. No role on a private feed: as if it did not exist. A read-scoped
    // token: 403.
    assert_eq!(app.get_as(&Caller::Anonymous, PERMISSIONS).await.status, StatusCode::UNAUTHORIZED);
    let res = app.get_as(&bob, PERMISSIONS).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(
        res.body["errors"][0]["detail"],
        "Feed 'team' does not exist in project 'default' of organization 'default'."
    );
    let res = app.get_as(&ada_read, PERMISSIONS).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("read & write"));
    let res = app.get_as(&Caller::raw_token("wharf_not-a-token"), PERMISSIONS).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // All changes or none: an unknown user or role refuses the whole list.
    let bad = json!([{"user": "bob", "role": "reader"}, {"user": "nobody", "role": "reader"}, {"user": "bob", "role": "god"}]);
    let res = app.json_as(&ada, Method::PATCH, PERMISSIONS, bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let details: Vec<_> =
        res.body["errors"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert_eq!(
        details,
        [
            "[1].user: User 'nobody' does not exist.",
            "[2].role: Unknown role \"god\": use reader, collaborator, contributor, administrator or owner."
        ]
    );
    assert_eq!(app.get_as(&ada, PERMISSIONS).await.body, owners);
    let res = app.json_as(&ada, Method::PATCH, PERMISSIONS, json!({"user": "bob"})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let res = app.json_as(&ada, Method::PATCH, PERMISSIONS, json!([{"user": "BOB", "role": "contributor"}])).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["value"], json!([{"user": "ada", "role": "owner"}, {"user": "bob", "role": "contributor"}]));
    // A Contributor may not administer; null removes a role.
    assert_eq!(app.get_as(&bob, PERMISSIONS).await.status, StatusCode::FORBIDDEN);
    let res = app.json_as(&ada, Method::PATCH, PERMISSIONS, json!([{"user": "bob", "role": null}])).await;
    assert_eq!(res.body, owners);
}

async fn tokens_over_rest(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let ada = app.user("ada", TokenScope::Write).await;
    let ada_read = app.user("ada", TokenScope::Read).await;

    let body = json!({"name": "laptop", "scope": "read", "expiresInDays": 30});
    let res = app.json_as(&Caller::Anonymous, Method::POST, "/_apis/tokens", body.clone()).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = app.json_as(&ada, Method::POST, "/_apis/tokens", body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let laptop = Caller::raw_token(res.body["token"].as_str().unwrap());
    assert!(laptop.token().unwrap().starts_with("wharf_"));
    assert_eq!((&res.body["name"], &res.body["scope"]), (&json!("laptop"), &json!("read")));
    let id = res.body["id"].as_i64().unwrap();

    // Listed without the secret; the new token works.
    let list = app.get_as(&laptop, "/_apis/tokens").await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = list.body.as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    assert!(listed.get("token").is_none() && listed["prefix"].as_str().unwrap().len() < 20);

    // Refusals: bad input (422, nothing stored), a read token minting a write token (403).
    let before = app.get_as(&ada, "/_apis/tokens").await.body.as_array().unwrap().len();
    let res = app
        .json_as(&ada, Method::POST, "/_apis/tokens", json!({"name": " ", "scope": "all", "expiresInDays": 0}))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.body["errors"].as_array().unwrap().len(), 3);
    let res = app.json_as(&ada_read, Method::POST, "/_apis/tokens", json!({"name": "x", "scope": "write"})).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&ada, "/_apis/tokens").await.body.as_array().unwrap().len(), before);

    // Revoked: gone at once.
    let res = app.request_as(&ada, Method::DELETE, &format!("/_apis/tokens/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get_as(&laptop, "/_apis/tokens").await.status, StatusCode::UNAUTHORIZED);
    let res = app.request_as(&ada, Method::DELETE, &format!("/_apis/tokens/{id}")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

/// Managing permissions takes both a role of Administrator or more and a read & write token.
async fn managing_permissions_takes_the_role_and_the_scope(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app.json(Method::POST, FEEDS, json!({"name": "team", "visibility": "private"})).await;
    assert_eq!(res.status, StatusCode::CREATED);
    let owner = app.owner("olive", "team").await;
    let reader = app.reader("rita", "team").await;
    assert_eq!(app.get_as(&owner, PERMISSIONS).await.status, StatusCode::OK);
    let res = app.get_as(&reader, PERMISSIONS).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);

    // Made an Administrator, the reader's read-only token still may not; a new read & write
    // token may.
    let promote = json!([{"user": reader.name(), "role": "administrator"}]);
    assert_eq!(app.json_as(&owner, Method::PATCH, PERMISSIONS, promote).await.status, StatusCode::OK);
    let res = app.get_as(&reader, PERMISSIONS).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("read & write"), "{}", res.body);
    let rita = app.user(reader.name(), TokenScope::Write).await;
    assert_eq!(app.get_as(&rita, PERMISSIONS).await.status, StatusCode::OK);
}

on_both_engines!(owners_manage_permissions, tokens_over_rest, managing_permissions_takes_the_role_and_the_scope);
