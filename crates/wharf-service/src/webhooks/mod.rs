//! Webhooks: a feed's Administrators name a URL, the events it receives and a secret;
//! Wharf POSTs each event as JSON signed with `X-Wharf-Signature: sha256=HMAC(secret,
//! body)`. Events are queued from the core's change events by a subscriber (never in the
//! request that caused them) and sent by a background worker ([`Courier`]) that retries
//! with backoff. Where a webhook may send is [`guard`]'s rule.

mod courier;
pub mod guard;

pub use courier::{Courier, PER_FEED};
use serde_json::json;
use wharf_auth::{FeedAction, Principal};
use wharf_core::WebhookEvent;
use wharf_db::{DeliveryRow, WebhookRow};

use crate::{Authorized, Change, Core, CoreError, CoreResult, FeedRef, audit::Entry};

/// What adding, listing and deleting webhooks needs.
pub const NEEDS_TO_MANAGE: FeedAction = FeedAction::Administer;
/// Most webhooks per feed.
pub const MAX_PER_FEED: usize = 10;
/// Tries per delivery, and the waits between them (seconds).
pub const BACKOFF: [i64; 5] = [10, 60, 300, 1800, 7200];

/// A webhook to add.
#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// A webhook as shown (never its secret).
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Webhook { id: row.id, url: row.url, events: row.events, created_at: row.created_at }
    }
}

/// Whether the webhooks of `principal` may go to this machine or its private network.
pub(crate) fn may_reach_inside(principal: &Principal) -> bool {
    wharf_auth::authorize_instance(principal, wharf_auth::InstanceAction::ReachInternalHosts).is_ok()
}

/// Adds a webhook (Administrator or Owner). Its secret is sealed with the instance's key.
pub async fn create(core: &Core, principal: &Principal, feed: &FeedRef, new: &NewWebhook) -> CoreResult<Webhook> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let mut errors = wharf_core::FieldErrors::default();
    let url = new.url.trim();
    match url::Url::parse(url) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
            errors.push("url", "Use an http:// or https:// address.");
        }
        Ok(_) if url.len() > 2000 => errors.push("url", "Use an address of at most 2000 characters."),
        Ok(parsed) => match parsed.host() {
            None => errors.push("url", "Name the host to send to."),
            Some(host) if guard::is_internal_host(&host) && !may_reach_inside(principal) => errors.push(
                "url",
                "Only Wharf administrators send webhooks to this machine or a private network; use a public address.",
            ),
            Some(_) => {}
        },
        Err(e) => errors.push("url", format!("'{url}' is not an address: {e}.")),
    }
    let mut events = Vec::new();
    for word in &new.events {
        match word.parse::<WebhookEvent>() {
            Ok(event) => events.push(event),
            Err(message) => errors.push("events", message),
        }
    }
    events.sort();
    events.dedup();
    if new.events.is_empty() {
        errors.push("events", format!("Choose at least one event: {}.", WebhookEvent::words()));
    }
    let secret = new.secret.trim();
    if secret.chars().count() < 16 || secret.len() > 256 {
        errors.push("secret", "Use a secret of 16 to 256 characters: receivers check each signature with it.");
    }
    if !errors.is_empty() {
        return Err(CoreError::Invalid(errors));
    }
    let Some(key) = core.upstreams.key() else {
        return Err(CoreError::invalid(
            "secret",
            "This Wharf has no secret key to seal webhook secrets with: its operator sets WHARF_SECRET_KEY.",
        ));
    };
    if core.db.webhooks().list(feed.id).await?.len() >= MAX_PER_FEED {
        return Err(CoreError::Conflict(format!("A feed can have at most {MAX_PER_FEED} webhooks.")));
    }
    let sealed = key.seal(secret).map_err(|e| CoreError::Internal(e.into()))?;
    let by = principal.user().map(|u| u.id);
    let row = core.db.webhooks().create(feed.id, url, &events, &sealed, by, wharf_db::unix_now()).await?;
    tracing::info!(feed = %feed.name, webhook = row.id, "webhook added");
    core.record(principal, Entry::feed("webhook.create", &feed, url).detail(format!("events {}", words(&events))))
        .await;
    Ok(row.into())
}

/// The feed's webhooks (Administrator or Owner).
pub async fn list(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<Vec<Webhook>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    Ok(core.db.webhooks().list(feed.id).await?.into_iter().map(Webhook::from).collect())
}

/// Removes a webhook and its deliveries (Administrator or Owner).
pub async fn delete(core: &Core, principal: &Principal, feed: &FeedRef, id: i64) -> CoreResult<()> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let hook = core.db.webhooks().get(feed.id, id).await?;
    core.db.webhooks().delete(feed.id, id).await?;
    core.record(principal, Entry::feed("webhook.delete", &feed, hook.url)).await;
    Ok(())
}

/// A webhook's latest deliveries, newest first (Administrator or Owner).
pub async fn deliveries(core: &Core, principal: &Principal, feed: &FeedRef, id: i64) -> CoreResult<Vec<DeliveryRow>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let hook = core.db.webhooks().get(feed.id, id).await?;
    Ok(core.db.webhooks().deliveries(hook.id, 50).await?)
}

/// Queues a `ping` to one webhook now (Administrator or Owner): the portal's "Send a test".
pub async fn send_test(core: &Core, principal: &Principal, feed: &FeedRef, id: i64) -> CoreResult<()> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let hook = core.db.webhooks().get(feed.id, id).await?;
    let payload = json!({
        "event": "ping",
        "feed": { "id": feed.id, "name": feed.name, "org": feed.org, "project": feed.project },
        "at": crate::rfc3339(wharf_db::unix_now()),
    });
    core.db.webhooks().enqueue(feed.id, Some(hook.id), "ping", &payload.to_string(), core.clock.now()).await?;
    Ok(())
}

/// The events, comma-separated.
fn words(events: &[WebhookEvent]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
}

/// The webhook event of a change, and its package and version: only changes webhooks take.
fn event_of(change: &Change) -> Option<(i64, WebhookEvent, &str, &str, Option<&str>)> {
    use WebhookEvent::*;
    Some(match change {
        Change::VersionPublished { feed, krate, version } => (*feed, Publish, krate, version, None),
        Change::VersionYanked { feed, krate, version, yanked: true } => (*feed, Yank, krate, version, None),
        Change::VersionYanked { feed, krate, version, yanked: false } => (*feed, Unyank, krate, version, None),
        Change::VersionDeleted { feed, krate, version } => (*feed, Delete, krate, version, None),
        Change::VersionRestored { feed, krate, version } => (*feed, Restore, krate, version, None),
        Change::VersionPromoted { feed, krate, version, view } => (*feed, Promote, krate, version, Some(view)),
        _ => None?,
    })
}

/// Queues the deliveries of one change, if webhooks take it.
pub async fn enqueue(core: &Core, change: &Change) -> CoreResult<u64> {
    let Some((feed_id, event, krate, version, view)) = event_of(change) else { return Ok(0) };
    // Most feeds have no webhook: one query says so, before the payload is built.
    if !core.db.webhooks().list(feed_id).await?.iter().any(|h| h.events.contains(&event)) {
        return Ok(0);
    }
    let feed = core.db.feeds().get_by_id(feed_id).await?;
    let mut payload = json!({
        "event": event,
        "feed": { "id": feed.id, "name": feed.name, "org": feed.org, "project": feed.project },
        "package": { "name": krate, "version": version },
        "at": crate::rfc3339(wharf_db::unix_now()),
    });
    if let Some(view) = view {
        payload["view"] = json!(view);
    }
    Ok(core.db.webhooks().enqueue(feed.id, None, event.as_str(), &payload.to_string(), core.clock.now()).await?)
}

/// Queues deliveries for every change this replica commits, for as long as the core
/// lives. Runs beside the requests: a change is announced, then queued here.
pub fn start(core: &Core) {
    let mut changes = core.bus.subscribe();
    let core = core.clone();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => {
                    if let Err(e) = enqueue(&core, &change).await {
                        tracing::warn!(error = %e, ?change, "queueing webhook deliveries failed");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "webhook queueing fell behind; some events were not delivered");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the signature header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    format!("sha256={}", hex::encode(ring::hmac::sign(&key, body).as_ref()))
}
