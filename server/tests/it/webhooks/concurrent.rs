//! Deliveries go out concurrently, a few per feed: a feed whose receiver is slow delays
//! only itself. Measured at the receiver: when another feed's ping arrives, how many of the
//! slow feed's requests were in flight at most, and that none came twice.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::json;
use wharf_service::webhooks::PER_FEED;
use wharf_test_support::{Engine, on_both_engines};

use super::SECRET;
use crate::running::{Options, RunningWharf};

/// How long the slow receiver holds each request (under an attempt's 10 s).
const HOLD: Duration = Duration::from_secs(4);

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Requests to `/slow` being answered now, and the most at once.
    in_flight: usize,
    most: usize,
    /// How many times each delivery reached `/slow`.
    slow: HashMap<String, usize>,
    /// When each ping reached `/quick`.
    quick: Vec<Instant>,
}

/// A receiver on loopback: `/slow` answers after [`HOLD`], `/quick` at once.
async fn receiver() -> (String, Arc<Mutex<Seen>>) {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let (at_slow, at_quick) = (seen.clone(), seen.clone());
    let app = axum::Router::new()
        .route(
            "/slow",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let seen = at_slow.clone();
                async move {
                    let id = headers.get("x-wharf-delivery").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    {
                        let mut seen = seen.lock().unwrap();
                        seen.in_flight += 1;
                        seen.most = seen.most.max(seen.in_flight);
                        *seen.slow.entry(id).or_default() += 1;
                    }
                    tokio::time::sleep(HOLD).await;
                    seen.lock().unwrap().in_flight -= 1;
                    "ok"
                }
            }),
        )
        .route(
            "/quick",
            axum::routing::post(move || {
                let seen = at_quick.clone();
                async move {
                    seen.lock().unwrap().quick.push(Instant::now());
                    "ok"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Adds a webhook to `url` on `feed` (as the Wharf administrator): its id.
async fn hook(wharf: &RunningWharf, feed: &str, url: &str) -> i64 {
    let path = format!("/default/default/_apis/packaging/feeds/{feed}/webhooks");
    let (status, hook) =
        wharf.send(Method::POST, &path, Some(json!({"url": url, "events": ["publish"], "secret": SECRET}))).await;
    assert_eq!(status, 201, "{hook}");
    hook["id"].as_i64().unwrap()
}

async fn ping(wharf: &RunningWharf, feed: &str, id: i64) {
    let path = format!("/default/default/_apis/packaging/feeds/{feed}/webhooks/{id}/test");
    let (status, _) = wharf.send(Method::POST, &path, None).await;
    assert_eq!(status, 202);
}

async fn a_slow_feed_delays_only_itself(engine: Engine) {
    let upstream = wharf_test_support::upstream::LocalUpstream::start(vec![]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    wharf.create_feed("slow", false).await;
    wharf.create_feed("quick", false).await;
    let (base, seen) = receiver().await;
    let slow = hook(&wharf, "slow", &format!("{base}/slow")).await;
    let quick = hook(&wharf, "quick", &format!("{base}/quick")).await;

    // More deliveries on the slow feed than it may have in flight.
    let queued = usize::try_from(PER_FEED).unwrap() + 2;
    for _ in 0..queued {
        ping(&wharf, "slow", slow).await;
    }
    let waited = Instant::now();
    while seen.lock().unwrap().in_flight == 0 {
        assert!(waited.elapsed() < Duration::from_secs(5), "the slow feed's deliveries never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other feed's ping arrives within a tick or two, not after the slow feed's queue.
    let sent = Instant::now();
    ping(&wharf, "quick", quick).await;
    while seen.lock().unwrap().quick.is_empty() {
        assert!(sent.elapsed() < Duration::from_secs(3), "the quick feed's ping waited behind the slow feed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Recorded as delivered in the quick feed's log.
    let path = format!("/default/default/_apis/packaging/feeds/quick/webhooks/{quick}/deliveries");
    let recorded = Instant::now();
    loop {
        let (_, body) = wharf.send(Method::GET, &path, None).await;
        if body["value"][0]["state"] == "delivered" {
            break;
        }
        assert!(recorded.elapsed() < Duration::from_secs(10), "the quick ping was never recorded: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The slow feed's deliveries all arrive, each once, never more than its bound at once.
    let path = format!("/default/default/_apis/packaging/feeds/slow/webhooks/{slow}/deliveries");
    let log = loop {
        let (_, body) = wharf.send(Method::GET, &path, None).await;
        let log = body["value"].as_array().cloned().unwrap_or_default();
        if log.len() == queued && log.iter().all(|d| d["state"] == "delivered") {
            break log;
        }
        assert!(sent.elapsed() < Duration::from_secs(30), "the slow feed's deliveries never all arrived: {log:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(log.iter().all(|d| d["attempts"] == 1), "{log:?}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.slow.len(), queued, "{:?}", seen.slow);
        assert!(seen.slow.values().all(|&n| n == 1), "a delivery was sent twice: {:?}", seen.slow);
        assert_eq!(seen.most, usize::try_from(PER_FEED).unwrap(), "the slow feed's most requests at once");
        assert_eq!(seen.quick.len(), 1);
    }
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(a_slow_feed_delays_only_itself);
