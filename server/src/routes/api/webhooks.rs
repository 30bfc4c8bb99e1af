//! A feed's webhooks over REST (Administrator or Owner): `GET`/`POST …/feeds/{feed}/webhooks`,
//! `DELETE …/webhooks/{id}`, `GET …/webhooks/{id}/deliveries`, `POST …/webhooks/{id}/test`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use wharf_service::{Core, rfc3339, webhooks};

use super::{ApiJson, caller::Caller};
use crate::{error::ApiResult, routes::extract::FeedPath};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    url: String,
    events: Vec<String>,
    secret: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResource {
    id: i64,
    url: String,
    events: Vec<String>,
    created_at: String,
}

impl From<webhooks::Webhook> for WebhookResource {
    fn from(w: webhooks::Webhook) -> Self {
        WebhookResource { id: w.id, url: w.url, events: w.events, created_at: rfc3339(w.created_at) }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource {
    id: i64,
    event: String,
    /// `pending`, `delivered` or `failed`.
    state: String,
    attempts: i64,
    response_code: Option<i64>,
    error: Option<String>,
    created_at: String,
    next_attempt_at: Option<String>,
    finished_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct List<T> {
    count: usize,
    value: Vec<T>,
}

pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<List<WebhookResource>>> {
    let value: Vec<WebhookResource> =
        webhooks::list(&core, &caller.0, &path.to_ref()).await?.into_iter().map(Into::into).collect();
    Ok(Json(List { count: value.len(), value }))
}

pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookResource>)> {
    let new = webhooks::NewWebhook { url: body.url, events: body.events, secret: body.secret };
    let created = webhooks::create(&core, &caller.0, &path.to_ref(), &new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

pub async fn delete(State(core): State<Core>, caller: Caller, Path(path): Path<WebhookPath>) -> ApiResult<StatusCode> {
    webhooks::delete(&core, &caller.0, &path.feed(), path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<WebhookPath>,
) -> ApiResult<Json<List<DeliveryResource>>> {
    let value: Vec<DeliveryResource> = webhooks::deliveries(&core, &caller.0, &path.feed(), path.id)
        .await?
        .into_iter()
        .map(|d| DeliveryResource {
            id: d.id,
            event: d.event,
            next_attempt_at: (d.state == "pending").then(|| rfc3339(d.next_attempt_at)),
            state: d.state,
            attempts: d.attempts,
            response_code: d.response_code,
            error: d.error,
            created_at: rfc3339(d.created_at),
            finished_at: d.finished_at.map(rfc3339),
        })
        .collect();
    Ok(Json(List { count: value.len(), value }))
}

pub async fn send_test(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<WebhookPath>,
) -> ApiResult<StatusCode> {
    webhooks::send_test(&core, &caller.0, &path.feed(), path.id).await?;
    Ok(StatusCode::ACCEPTED)
}
