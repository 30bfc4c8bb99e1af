//! A feed's webhooks over REST (Administrator or Owner): `GET`/`POST …/feeds/{feed}/webhooks`,
//! `DELETE …/webhooks/{id}`, `GET …/webhooks/{id}/deliveries`, `POST …/webhooks/{id}/test`.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_service::{Core, Need, rfc3339, webhooks};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::{ApiPath, FeedPath},
};

/// `…/webhooks/{id}`.
#[derive(Debug, Deserialize)]
pub struct WebhookPath {
    org: String,
    project: Option<String>,
    feed: String,
    id: i64,
}

impl WebhookPath {
    fn feed(&self) -> wharf_service::FeedRef {
        wharf_service::FeedRef::new(&self.org, self.project.as_deref(), &self.feed)
    }
}

/// A new webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `http://` or `https://` address (this machine or a private network: Wharf
    /// administrators only).
    url: String,
    /// The events to send, at least one.
    #[schema(value_type = Vec<wharf_core::WebhookEvent>)]
    events: Vec<String>,
    /// 16 to 256 characters: each delivery is signed with it (`X-Wharf-Signature`). Never
    /// shown again.
    secret: String,
}

/// A webhook (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResource {
    id: i64,
    url: String,
    events: Vec<wharf_core::WebhookEvent>,
    created_at: String,
}

impl From<webhooks::Webhook> for WebhookResource {
    fn from(w: webhooks::Webhook) -> Self {
        WebhookResource { id: w.id, url: w.url, events: w.events, created_at: rfc3339(w.created_at) }
    }
}

/// One delivery of an event to a webhook.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource {
    id: i64,
    event: String,
    state: wharf_core::DeliveryState,
    attempts: i64,
    response_code: Option<i64>,
    error: Option<String>,
    created_at: String,
    /// While `pending` only.
    next_attempt_at: Option<String>,
    finished_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    count: usize,
    value: Vec<WebhookResource>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    count: usize,
    value: Vec<DeliveryResource>,
}

/// The feed's webhooks (Administrator or Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/webhooks", operation_id = "listWebhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "The webhooks.", body = WebhookList),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<WebhookList>> {
    let value: Vec<WebhookResource> =
        webhooks::list(&core, &caller.0, &path.to_ref()).await?.into_iter().map(Into::into).collect();
    Ok(Json(WebhookList { count: value.len(), value }))
}

/// Adds a webhook (Administrator or Owner); its secret is sealed with the instance's key.
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/webhooks", operation_id = "createWebhook",
    tag = "webhooks",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "The new webhook.", body = WebhookResource),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 409, description = "The feed has as many webhooks as it may.", body = ErrorBody),
        (status = 422, description = "Invalid fields (or no secret key configured), one entry per field.",
            body = ErrorBody),
    ))]
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    body: Unread<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookResource>)> {
    let feed = path.to_ref();
    let body = body.read_after(&core, &caller.0, Need::Feed(&feed, webhooks::NEEDS_TO_MANAGE)).await?;
    let new = webhooks::NewWebhook { url: body.url, events: body.events, secret: body.secret };
    let created = webhooks::create(&core, &caller.0, &feed, &new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Removes a webhook and its delivery log (Administrator or Owner).
#[utoipa::path(delete, path = "/{org}/_apis/packaging/feeds/{feed}/webhooks/{id}", operation_id = "deleteWebhook",
    tag = "webhooks",
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or webhook.", body = ErrorBody),
    ))]
pub async fn delete(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<WebhookPath>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&core, &caller.0, &path.feed(), path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's latest 50 deliveries (Administrator or Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/webhooks/{id}/deliveries",
    operation_id = "listDeliveries", tag = "webhooks",
    responses(
        (status = 200, description = "The deliveries, newest first.", body = DeliveryList),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or webhook.", body = ErrorBody),
    ))]
pub async fn deliveries(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<WebhookPath>,
) -> ApiResult<Json<DeliveryList>> {
    let value: Vec<DeliveryResource> = webhooks::deliveries(&core, &caller.0, &path.feed(), path.id)
        .await?
        .into_iter()
        .map(|d| DeliveryResource {
            id: d.id,
            event: d.event,
            next_attempt_at: (d.state == wharf_core::DeliveryState::Pending).then(|| rfc3339(d.next_attempt_at)),
            state: d.state,
            attempts: d.attempts,
            response_code: d.response_code,
            error: d.error,
            created_at: rfc3339(d.created_at),
            finished_at: d.finished_at.map(rfc3339),
        })
        .collect();
    Ok(Json(DeliveryList { count: value.len(), value }))
}

/// Queues a `ping` delivery to the webhook (Administrator or Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/webhooks/{id}/test", operation_id = "testWebhook",
    tag = "webhooks",
    responses(
        (status = 202, description = "Queued."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or webhook.", body = ErrorBody),
    ))]
pub async fn send_test(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<WebhookPath>,
) -> ApiResult<StatusCode> {
    webhooks::send_test(&core, &caller.0, &path.feed(), path.id).await?;
    Ok(StatusCode::ACCEPTED)
}
