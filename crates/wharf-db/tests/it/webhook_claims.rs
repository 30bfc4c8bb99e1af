//! Webhook deliveries are claimed before they are sent: replicas racing for the due
//! deliveries (each with a pool of its own) never claim one twice, and one feed never has
//! more claimed at once than its bound, counting every replica's claims.

use std::collections::HashSet;

use wharf_db::Db;
use wharf_test_support::{Engine, on_both_engines};

use super::{draft, open};

const PER_FEED: i64 = 4;

async fn racing_replicas_claim_each_delivery_once(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    let now = 1_000_000;
    let mut hooks = Vec::new();
    for name in ["busy", "calm"] {
        let feed = db.feeds().create(&project, &draft(name, "public", false)).await.unwrap();
        let hook = db
            .webhooks()
            .create(feed.id, "http://example.com/", &[wharf_core::WebhookEvent::Publish], "x", None, now)
            .await;
        hooks.push((feed.id, hook.unwrap().id));
    }
    let (busy, calm) = (hooks[0], hooks[1]);
    for _ in 0..12 {
        db.webhooks().enqueue(busy.0, None, "publish", "{}", now).await.unwrap();
    }
    for _ in 0..3 {
        db.webhooks().enqueue(calm.0, None, "publish", "{}", now).await.unwrap();
    }

    // Eight replicas, each claiming three times over, all at once.
    let mut replicas = Vec::new();
    for _ in 0..8 {
        replicas.push(Db::connect(&test_db.url).await.unwrap());
    }
    let mut racing = tokio::task::JoinSet::new();
    for replica in &replicas {
        let replica = replica.clone();
        racing.spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..3 {
                for row in replica.webhooks().claim(now, now + 120, PER_FEED, 100).await.unwrap() {
                    mine.push((row.id, row.webhook_id));
                }
            }
            mine
        });
    }
    let claimed: Vec<(i64, i64)> = racing.join_all().await.into_iter().flatten().collect();
    let ids: HashSet<i64> = claimed.iter().map(|c| c.0).collect();
    assert_eq!(ids.len(), claimed.len(), "a delivery was claimed twice: {claimed:?}");
    let of = |hook: i64| claimed.iter().filter(|c| c.1 == hook).count();
    assert_eq!((of(busy.1), of(calm.1)), (4, 3), "the busy feed is held to its bound, the calm one is not held back");

    // An attempt recorded ends its claim, which frees a place for the feed's next delivery.
    let first = *ids.iter().filter(|id| claimed.iter().any(|c| c.0 == **id && c.1 == busy.1)).min().unwrap();
    db.webhooks().attempted(first, wharf_core::DeliveryState::Delivered, Some(200), None, now, now).await.unwrap();
    let next = db.webhooks().claim(now, now + 120, PER_FEED, 100).await.unwrap();
    assert_eq!(next.len(), 1, "{next:?}");
    assert!(!ids.contains(&next[0].id) && next[0].webhook_id == busy.1, "{next:?}");
    assert!(db.webhooks().claim(now, now + 120, PER_FEED, 100).await.unwrap().is_empty());
    // A claim whose replica died lapses: later, those deliveries are claimed again.
    let later = db.webhooks().claim(now + 121, now + 241, PER_FEED, 100).await.unwrap();
    assert_eq!(later.len(), 4 + 3, "{later:?}");
    assert!(later.iter().all(|row| row.id != first), "a delivered delivery is not claimed");

    for replica in replicas {
        replica.close().await;
    }
    db.close().await;
    test_db.remove().await;
}

/// A delivery's state is one of its closed set on both engines: PostgreSQL by a CHECK,
/// SQLite by triggers (it cannot add a CHECK to the table); a write of any other word is
/// refused and changes nothing.
async fn a_delivery_state_outside_the_set_is_refused(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    let feed = db.feeds().create(&project, &draft("hooked", "public", false)).await.unwrap();
    let hook = db
        .webhooks()
        .create(feed.id, "http://example.com/", &[wharf_core::WebhookEvent::Publish], "x", None, 1)
        .await
        .unwrap();
    db.webhooks().enqueue(feed.id, None, "publish", "{}", 1).await.unwrap();
    let insert = sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, state, attempts, next_attempt_at, created_at) \
         VALUES ($1, 'publish', '{}', 'lost', 0, 1, 1)",
    )
    .bind(hook.id)
    .execute(db.pool())
    .await;
    assert!(insert.is_err(), "a delivery inserted as 'lost'");
    let update = sqlx::query("UPDATE webhook_deliveries SET state = 'paused'").execute(db.pool()).await;
    assert!(update.is_err(), "a delivery updated to 'paused'");
    let states: Vec<String> =
        sqlx::query_scalar("SELECT state FROM webhook_deliveries").fetch_all(db.pool()).await.unwrap();
    assert_eq!(states, ["pending"]);
    let update = sqlx::query("UPDATE webhook_deliveries SET state = 'delivered'").execute(db.pool()).await;
    assert!(update.is_ok(), "{update:?}");
    db.close().await;
    test_db.remove().await;
}

on_both_engines!(racing_replicas_claim_each_delivery_once, a_delivery_state_outside_the_set_is_refused);
