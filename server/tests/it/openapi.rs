//! The OpenAPI description at `GET /_apis/openapi.json`: anonymous, JSON, OpenAPI 3.x, and
//! naming exactly the REST routes the router has (every route with `/_apis/` in its path,
//! taken from the router's own inventory, with its method), so a new route cannot go
//! undescribed and a removed one cannot linger.

use std::collections::BTreeSet;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::Value;
use tower::ServiceExt;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::TestApp;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// The description as served to an anonymous caller.
async fn served(app: &TestApp) -> Value {
    let res = app.router().oneshot(Request::get("/_apis/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).expect("the description is JSON")
}

/// (METHOD, path) of every operation the description has.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut all = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                all.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    all
}

async fn every_rest_route_is_described_and_nothing_else(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let doc = served(&app).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);

    let routes: BTreeSet<(String, String)> = wharf::routes::inventory()
        .into_iter()
        .filter(|(_, path)| path.contains("/_apis/"))
        .map(|(method, path)| (method.as_str().to_owned(), path))
        .collect();
    assert!(routes.len() > 40, "the inventory has the REST routes: {routes:?}");
    let described = documented(&doc);
    let missing: Vec<_> = routes.difference(&described).map(|(m, p)| format!("{m} {p}")).collect();
    assert!(missing.is_empty(), "REST routes missing from /_apis/openapi.json: {missing:#?}");
    let stale: Vec<_> = described.difference(&routes).map(|(m, p)| format!("{m} {p}")).collect();
    assert!(stale.is_empty(), "operations in /_apis/openapi.json the router does not have: {stale:#?}");
}

/// Every `$ref` of `value` points at something in `doc`.
fn dangling_refs(doc: &Value, value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let resolves = target.strip_prefix('#').is_some_and(|pointer| doc.pointer(pointer).is_some());
                if !resolves {
                    found.push(target.clone());
                }
            }
            map.values().for_each(|v| dangling_refs(doc, v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| dangling_refs(doc, v, found)),
        _ => {}
    }
}

async fn every_operation_is_whole(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let doc = served(&app).await;
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let here = format!("{} {path}", method.to_ascii_uppercase());
            match op["operationId"].as_str() {
                Some(id) if ids.insert(id.to_owned()) => {}
                other => problems.push(format!("{here}: operationId {other:?} missing or taken")),
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in &names {
                let declared = params.iter().any(|p| p["name"] == *name && p["in"] == "path" && p["required"] == true);
                if !declared {
                    problems.push(format!("{here}: path parameter {name} not declared"));
                }
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if !responses.keys().any(|status| status.starts_with('2')) {
                problems.push(format!("{here}: no success answer"));
            }
            if op["operationId"] != "openapi" {
                for status in ["400", "401", "503"] {
                    if !responses.contains_key(status) {
                        problems.push(format!("{here}: no {status} answer"));
                    }
                }
            }
            if op["security"].as_array().is_none_or(Vec::is_empty) {
                problems.push(format!("{here}: no security requirement"));
            }
        }
    }
    let mut dangling = Vec::new();
    dangling_refs(&doc, &doc, &mut dangling);
    problems.extend(dangling.into_iter().map(|r| format!("$ref {r} points at nothing")));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The domain's closed sets are described with the words the API sends and takes.
async fn enums_are_described_with_their_words(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let doc = served(&app).await;
    let words = |list: Vec<String>| Value::from(list);
    let sets = [
        ("SourceKind", words(wharf_core::SourceKind::ALL.iter().map(ToString::to_string).collect())),
        ("WebhookEvent", words(wharf_core::WebhookEvent::ALL.iter().map(ToString::to_string).collect())),
        ("WarmState", words(wharf_core::WarmState::ALL.iter().map(ToString::to_string).collect())),
        ("DeliveryState", words(wharf_core::DeliveryState::ALL.iter().map(ToString::to_string).collect())),
        ("Role", words(wharf_core::Role::ALL.iter().map(ToString::to_string).collect())),
        ("AdvisoryPolicy", words(wharf_core::AdvisoryPolicy::ALL.iter().map(|p| p.as_str().to_owned()).collect())),
        ("Visibility", words(vec!["public".into(), "organization".into(), "private".into()])),
        ("TokenScope", words(vec!["read".into(), "write".into()])),
    ];
    for (name, expected) in sets {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(schema["enum"], expected, "{name}: {schema}");
    }
}

on_both_engines!(
    every_rest_route_is_described_and_nothing_else,
    every_operation_is_whole,
    enums_are_described_with_their_words
);
