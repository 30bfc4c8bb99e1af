//! Sends the deliveries that are due, concurrently: each delivery is claimed in the database
//! (no replica or tick sends it twice at once) and attempted in a task of its own, with at
//! most [`PER_FEED`] in flight per feed across replicas, so a feed whose receiver is slow
//! delays only itself.

use std::sync::Arc;

use tokio::sync::Semaphore;
use wharf_db::{DeliveryRow, WebhookRow};

use super::{
    BACKOFF,
    guard::{self, Clients},
    signature,
};
use crate::{Core, CoreResult};
use wharf_auth::Principal;
use wharf_core::{DeliveryState, TokenScope};

/// Most deliveries of one feed in flight at once, all replicas together.
pub const PER_FEED: i64 = 4;
/// Most deliveries one replica has in flight at once, all feeds together.
const IN_FLIGHT: usize = 64;
/// How long a claim holds: well past an attempt's time, so that only a replica that died
/// before recording its attempt lets a claim lapse (and the delivery is tried again).
const CLAIM_SECONDS: i64 = 120;

/// One replica's sender of webhook deliveries. Cheap to clone; clones share the slots.
#[derive(Clone)]
pub struct Courier {
    clients: Clients,
    slots: Arc<Semaphore>,
}

impl Courier {
    pub fn new() -> reqwest::Result<Self> {
        Ok(Courier { clients: Clients::new()?, slots: Arc::new(Semaphore::new(IN_FLIGHT)) })
    }

    /// Claims the deliveries due now and starts one task per delivery; how many it started.
    /// Returns without waiting for their answers.
    pub async fn deliver_due(&self, core: &Core) -> CoreResult<usize> {
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let now = core.clock.now();
        let limit = i64::try_from(free).unwrap_or(i64::MAX);
        let claimed = core.db.webhooks().claim(now, now + CLAIM_SECONDS, PER_FEED, limit).await?;
        let started = claimed.len();
        for delivery in claimed {
            // Only this method takes slots, and it claimed no more than were free.
            let Ok(slot) = self.slots.clone().try_acquire_owned() else { break };
            let (core, clients) = (core.clone(), self.clients.clone());
            tokio::spawn(async move {
                let _slot = slot;
                if let Err(e) = attempt(&core, &clients, &delivery).await {
                    tracing::warn!(error = %e, delivery = delivery.id, "recording a webhook delivery failed");
                }
            });
        }
        Ok(started)
    }
}

/// Sends one claimed delivery and records how it went (which ends the claim).
async fn attempt(core: &Core, clients: &Clients, delivery: &DeliveryRow) -> CoreResult<()> {
    let webhooks = core.db.webhooks();
    let hook = match webhooks.of_delivery(delivery).await {
        Ok(hook) => hook,
        // Removed meanwhile, with its deliveries.
        Err(wharf_db::DbError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // Judged at each attempt: an administrator who lost the right takes it from their hooks.
    let inside = match webhooks.creator(hook.id).await? {
        Some(user) => super::may_reach_inside(&Principal::User { user, scope: TokenScope::Write, token: None }),
        None => false,
    };
    let outcome = match core.upstreams.key().map(|k| k.open(&hook.secret_sealed)) {
        Some(Ok(secret)) => send(clients, inside, &hook, delivery, &secret).await,
        Some(Err(e)) => Err(format!("the secret cannot be opened with this Wharf's key: {e}")),
        None => Err("this Wharf has no secret key to open the webhook's secret with".to_owned()),
    };
    let now = core.clock.now();
    let retry = BACKOFF.get(usize::try_from(delivery.attempts).unwrap_or(usize::MAX)).copied();
    let state = if retry.is_some() { DeliveryState::Pending } else { DeliveryState::Failed };
    let next = now + retry.unwrap_or(0);
    match outcome {
        Ok(code) if (200..300).contains(&code) => {
            webhooks.attempted(delivery.id, DeliveryState::Delivered, Some(code), None, now, now).await?;
        }
        Ok(code) => {
            webhooks.attempted(delivery.id, state, Some(code), Some(&format!("answered {code}")), next, now).await?;
        }
        Err(error) => webhooks.attempted(delivery.id, state, None, Some(&error), next, now).await?,
    }
    Ok(())
}

/// POSTs one delivery; the answer's status, or why there was none. `inside`: the webhook's
/// creator is a Wharf administrator, whose webhooks may go to this machine.
async fn send(
    clients: &Clients,
    inside: bool,
    hook: &WebhookRow,
    delivery: &DeliveryRow,
    secret: &str,
) -> Result<i64, String> {
    let url = url::Url::parse(&hook.url).map_err(|_| "not sent: the webhook's address is not a URL".to_owned())?;
    let client = clients.for_url(&url, inside).map_err(str::to_owned)?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", concat!("Wharf/", env!("CARGO_PKG_VERSION")))
        .header("x-wharf-event", &delivery.event)
        .header("x-wharf-delivery", delivery.id.to_string())
        .header("x-wharf-signature", signature(secret, delivery.payload.as_bytes()))
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| guard::failure(&e))?;
    Ok(i64::from(response.status().as_u16()))
}
