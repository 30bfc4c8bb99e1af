//! Webhooks: events queued from the core's change events are POSTed to a local receiver,
//! signed with HMAC-SHA256 of the body (checked here with an independent HMAC), retried
//! with backoff when the receiver fails (the test moves the server's clock past the wait),
//! logged per delivery; refusals name the field.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wharf_test_support::{Engine, on_both_engines, upstream::CrateSpec};

use crate::running::{Options, RunningWharf};

mod concurrent;
mod guard;

const FEED: &str = "/default/default/_apis/packaging/feeds/hooks";
const SECRET: &str = "a webhook secret of some length";

/// What the receiver got: (event header, signature header, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on 127.0.0.1 answering the statuses of `answers` in turn (then 200).
async fn receiver(answers: Vec<u16>) -> (String, Received) {
    receiver_at([127, 0, 0, 1].into(), answers).await
}

/// A receiver on `ip` (a loopback address) answering the statuses of `answers` in turn.
async fn receiver_at(ip: std::net::IpAddr, answers: Vec<u16>) -> (String, Received) {
    let received: Received = Arc::default();
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let got = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (got, answers) = (got.clone(), answers.clone());
            async move {
                let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                got.lock().unwrap().push((h("x-wharf-event"), h("x-wharf-signature"), body));
                let status = answers.lock().unwrap().next().unwrap_or(200);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// HMAC-SHA256 (RFC 2104), written out here so the test does not check Wharf with itself.
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    format!("sha256={}", hex::encode(outer))
}

async fn until_deliveries(wharf: &RunningWharf, hook: i64, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..100 {
        let (_, body) = wharf.send(Method::GET, &format!("{FEED}/webhooks/{hook}/deliveries"), None).await;
        last = body["value"].as_array().cloned().unwrap_or_default();
        if check(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries never got there: {last:?}");
}

async fn events_reach_the_receiver_signed_and_retried(engine: Engine) {
    let upstream = wharf_test_support::upstream::LocalUpstream::start(vec![]).await;
    let options = Options::upstream(upstream.index_url(), Duration::from_secs(300));
    let clock = options.clock.clone();
    let wharf = RunningWharf::start(engine, options).await;
    wharf.create_feed("hooks", false).await;
    let (url, received) = receiver(vec![500]).await;

    // Refusals, each naming its field; nothing is kept.
    for (body, field) in [
        (json!({"url": "ftp://example.com/x", "events": ["publish"], "secret": SECRET}), "url"),
        (json!({"url": url, "events": [], "secret": SECRET}), "events"),
        (json!({"url": url, "events": ["publish", "explode"], "secret": SECRET}), "events"),
        (json!({"url": url, "events": ["publish"], "secret": "short"}), "secret"),
    ] {
        let (status, answer) = wharf.send(Method::POST, &format!("{FEED}/webhooks"), Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    }
    // A feed Administrator who is not a Wharf administrator may not point it at this machine.
    let admin = wharf.user("hook-admin", wharf_core::TokenScope::Write).await;
    let (status, _) = wharf
        .send(
            Method::PATCH,
            &format!("{FEED}/permissions"),
            Some(json!([{"user": "hook-admin", "role": "administrator"}])),
        )
        .await;
    assert_eq!(status, 200);
    let res = admin
        .apply(wharf.http().post(wharf.url(&format!("{FEED}/webhooks"))))
        .header("content-type", "application/json")
        .body(json!({"url": url, "events": ["publish"], "secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Only Wharf administrators"));
    let (_, list) = wharf.send(Method::GET, &format!("{FEED}/webhooks"), None).await;
    assert_eq!(list["count"], 0, "{list}");

    let (status, hook) = wharf
        .send(
            Method::POST,
            &format!("{FEED}/webhooks"),
            Some(json!({"url": url, "events": ["yank", "publish"], "secret": SECRET})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["events"], json!(["publish", "yank"]));
    assert!(!hook.to_string().contains(SECRET), "the secret is never shown: {hook}");
    let id = hook["id"].as_i64().unwrap();

    // Publish: the first attempt gets 500 and waits.
    let spec = CrateSpec::new("hooked", "1.0.0");
    let meta = json!({"name": "hooked", "vers": "1.0.0", "deps": [], "features": {}});
    let res = wharf
        .admin()
        .apply_cargo(wharf.http().put(wharf.url("/default/default/_packaging/hooks/Cargo/api/v1/crates/new")))
        .body(wharf_test_support::publish_body(&meta, &spec.crate_file()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let log = until_deliveries(&wharf, id, |d| d.first().is_some_and(|d| d["attempts"] == 1)).await;
    assert_eq!((log[0]["state"].clone(), log[0]["responseCode"].clone()), (json!("pending"), json!(500)), "{log:?}");
    // Not before the backoff: then delivered.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(received.lock().unwrap().len(), 1, "no retry before its time");
    clock.advance(11);
    let log = until_deliveries(&wharf, id, |d| d.first().is_some_and(|d| d["state"] == "delivered")).await;
    assert_eq!((log[0]["attempts"].clone(), log[0]["responseCode"].clone()), (json!(2), json!(200)), "{log:?}");

    // What arrived: the same signed body twice.
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (event, signature, body) in &got {
        assert_eq!(event, "publish");
        assert_eq!(signature, &hmac_sha256(SECRET.as_bytes(), body.as_bytes()), "{body}");
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event"], "publish");
        assert_eq!(payload["package"], json!({"name": "hooked", "version": "1.0.0"}));
        assert_eq!(payload["feed"]["name"], "hooks");
    }

    // A yank is delivered; an unyank is not asked for.
    for path in ["yank", "unyank"] {
        let method = if path == "yank" { reqwest::Method::DELETE } else { reqwest::Method::PUT };
        let res = wharf
            .admin()
            .apply_cargo(wharf.http().request(
                method,
                wharf.url(&format!("/default/default/_packaging/hooks/Cargo/api/v1/crates/hooked/1.0.0/{path}")),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    until_deliveries(&wharf, id, |d| d.len() == 2 && d[0]["state"] == "delivered").await;
    // "Send a test": a ping.
    let (status, _) = wharf.send(Method::POST, &format!("{FEED}/webhooks/{id}/test"), None).await;
    assert_eq!(status, 202);
    let log = until_deliveries(&wharf, id, |d| d.len() == 3 && d[0]["state"] == "delivered").await;
    let events: Vec<_> = log.iter().map(|d| d["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["ping", "yank", "publish"]);

    // Deleted: gone, with its log.
    let (status, _) = wharf.send(Method::DELETE, &format!("{FEED}/webhooks/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = wharf.send(Method::GET, &format!("{FEED}/webhooks/{id}/deliveries"), None).await;
    assert_eq!(status, 404);
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(events_reach_the_receiver_signed_and_retried);
