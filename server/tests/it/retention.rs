//! Retention on a clock the test sets: the rules' preview, and housekeeping moving what
//! they take to the recycle bin, never a promoted version nor a package's latest.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wharf_test_support::{Engine, on_both_engines, upstream::CrateSpec};

use crate::helpers::TestApp;

const FEED: &str = "/default/default/_apis/packaging/feeds/kept";

async fn publish(app: &TestApp, version: &str) {
    let meta = json!({"name": "old-crate", "vers": version, "deps": [], "features": {}});
    let body = wharf_test_support::publish_body(&meta, &CrateSpec::new("old-crate", version).crate_file());
    let res = app.put_bytes_as(app.admin(), "/default/default/_packaging/kept/Cargo/api/v1/crates/new", body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

async fn live_versions(app: &TestApp) -> Vec<String> {
    let res = app.get(&format!("{FEED}/packages/old-crate")).await;
    let mut versions: Vec<String> =
        res.body["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap().to_owned()).collect();
    versions.sort();
    versions
}

async fn retention_runs_on_a_controlled_clock(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app
        .json(Method::POST, "/default/default/_apis/packaging/feeds", json!({"name": "kept", "visibility": "public"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!((res.body["retentionMaxVersions"].clone(), res.body["retentionDays"].clone()), (json!(0), json!(0)));
    for version in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
        publish(&app, version).await;
    }
    let promote = format!("{FEED}/packages/old-crate/versions/1.0.0/promote");
    assert_eq!(app.json(Method::POST, &promote, json!({"view": "release"})).await.status, StatusCode::OK);
    let t0 = wharf_db::unix_now();
    let day = 86_400;

    // Bad settings are refused and change nothing.
    for body in [json!({"retentionMaxVersions": -1}), json!({"retentionDays": 1_000_000})] {
        let res = app.json(Method::PATCH, FEED, body.clone()).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", res.body);
        assert!(res.body.to_string().contains("Enter a whole number from 1 to"), "{}", res.body);
    }
    // Nothing to take while the rules are off, whatever the clock says.
    assert_eq!(wharf_service::retention::apply(app.core(), t0 + 1000 * day).await.unwrap(), Some(0));

    // At most two versions per package: 1.1.0 goes; 2.0.0 and 1.2.0 are the newest two,
    // and 1.0.0 is promoted to @release.
    let res = app.json(Method::PATCH, FEED, json!({"retentionMaxVersions": 2})).await;
    assert_eq!((res.status, res.body["retentionMaxVersions"].clone()), (StatusCode::OK, json!(2)), "{}", res.body);
    let preview = app.get(&format!("{FEED}/retention/preview")).await;
    assert_eq!(
        preview.body,
        json!({"count": 1, "value": [{"package": "old-crate", "version": "1.1.0", "reason": "more than the 2 newest versions"}]})
    );
    assert_eq!(wharf_service::retention::apply(app.core(), t0).await.unwrap(), Some(1));
    assert_eq!(live_versions(&app).await, ["1.0.0", "1.2.0", "2.0.0"]);
    let bin = app.get(&format!("{FEED}/recycle-bin")).await;
    assert_eq!(bin.body["value"][0]["version"], json!("1.1.0"), "{}", bin.body);
    let (status, index) = app.get_bytes("/default/default/_packaging/kept/Cargo/index/ol/d-/old-crate").await;
    let index = String::from_utf8(index).unwrap();
    assert!(status == StatusCode::OK && !index.contains("\"1.1.0\""), "{index}");
    // Restorable like any deleted version.
    let restore = format!("{FEED}/recycle-bin/old-crate/versions/1.1.0/restore");
    assert_eq!(app.request(Method::POST, &restore).await.status, StatusCode::NO_CONTENT);
    assert_eq!(wharf_service::retention::apply(app.core(), t0).await.unwrap(), Some(1));

    // Not downloaded for 30 days: 1.3.0 (never downloaded) goes at day 40; 1.2.0, last
    // downloaded on day 25, stays; the latest and the promoted stay.
    publish(&app, "1.3.0").await;
    let res = app.json(Method::PATCH, FEED, json!({"retentionMaxVersions": 0, "retentionDays": 30})).await;
    assert_eq!(res.body["retentionMaxVersions"], json!(0));
    sqlx::query("UPDATE package_versions SET last_downloaded_at = $1 WHERE version = '1.2.0'")
        .bind(t0 + 25 * day)
        .execute(app.db().pool())
        .await
        .unwrap();
    assert_eq!(wharf_service::retention::apply(app.core(), t0 + 20 * day).await.unwrap(), Some(0));
    assert_eq!(wharf_service::retention::apply(app.core(), t0 + 40 * day).await.unwrap(), Some(1));
    assert_eq!(live_versions(&app).await, ["1.0.0", "1.2.0", "2.0.0"]);
    // Day 60: 1.2.0 has been idle 35 days too; 2.0.0 (latest) and 1.0.0 (promoted) never go.
    assert_eq!(wharf_service::retention::apply(app.core(), t0 + 60 * day).await.unwrap(), Some(1));
    assert_eq!(wharf_service::retention::apply(app.core(), t0 + 9000 * day).await.unwrap(), Some(0));
    assert_eq!(live_versions(&app).await, ["1.0.0", "2.0.0"]);
}

on_both_engines!(retention_runs_on_a_controlled_clock);
