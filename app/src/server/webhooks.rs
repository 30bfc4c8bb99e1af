//! Server functions of a feed's Webhooks page (Administrator or Owner).

use leptos::prelude::*;

use crate::{error::PortalError, model::WebhookView};
#[cfg(feature = "ssr")]
use crate::{
    model::DeliveryView,
    ssr::{check_csrf, core, principal, redirect_to},
};
#[cfg(feature = "ssr")]
use wharf_service::{FeedRef, rfc3339, webhooks};

/// The feed's webhooks, each with its latest deliveries.
#[server(prefix = "/_fn", endpoint = "list_webhooks")]
pub async fn list_webhooks(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<WebhookView>, PortalError> {
    let core = core()?;
    let principal = principal(&core).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let mut list = Vec::new();
    for hook in webhooks::list(&core, &principal, &feed).await? {
        let deliveries = webhooks::deliveries(&core, &principal, &feed, hook.id).await?;
        list.push(WebhookView {
            id: hook.id,
            url: hook.url,
            events: hook.events,
            created_at: rfc3339(hook.created_at),
            deliveries: deliveries
                .into_iter()
                .take(10)
                .map(|d| DeliveryView {
                    event: d.event,
                    state: d.state,
                    attempts: d.attempts,
                    response_code: d.response_code,
                    error: d.error,
                    at: rfc3339(d.finished_at.unwrap_or(d.created_at)),
                })
                .collect(),
        });
    }
    Ok(list)
}

/// Adds a webhook; one checkbox per event.
#[server(prefix = "/_fn", endpoint = "create_webhook")]
#[allow(clippy::too_many_arguments)]
pub async fn create_webhook(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    #[server(default)] url: String,
    #[server(default)] secret: String,
    #[server(default)] ev_publish: Option<String>,
    #[server(default)] ev_yank: Option<String>,
    #[server(default)] ev_unyank: Option<String>,
    #[server(default)] ev_delete: Option<String>,
    #[server(default)] ev_restore: Option<String>,
    #[server(default)] ev_promote: Option<String>,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let checked = [ev_publish, ev_yank, ev_unyank, ev_delete, ev_restore, ev_promote];
    let events = wharf_core::WebhookEvent::ALL
        .iter()
        .zip(checked)
        .filter(|(_, on)| on.is_some())
        .map(|(event, _)| event.as_str().to_owned())
        .collect();
    let new = webhooks::NewWebhook { url, events, secret };
    webhooks::create(&core, &principal(&core).await?, &feed, &new).await?;
    redirect_to(&feed.location().webhooks_path());
    Ok(())
}

/// Removes a webhook.
#[server(prefix = "/_fn", endpoint = "delete_webhook")]
pub async fn delete_webhook(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    id: i64,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    webhooks::delete(&core, &principal(&core).await?, &feed, id).await?;
    redirect_to(&feed.location().webhooks_path());
    Ok(())
}

/// Queues a test delivery (`ping`) to a webhook.
#[server(prefix = "/_fn", endpoint = "test_webhook")]
pub async fn test_webhook(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    id: i64,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    webhooks::send_test(&core, &principal(&core).await?, &feed, id).await?;
    redirect_to(&feed.location().webhooks_path());
    Ok(())
}
