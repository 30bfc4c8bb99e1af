//! Warming a feed from a `Cargo.lock`: `POST …/feeds/{feed}/warm` with the lockfile as the
//! body answers `202` with a `Location`; `GET` there answers the job's progress as JSON, or,
//! with `Accept: text/event-stream`, streams it until the job is done.

use std::time::Duration;

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_db::WarmJob;
use wharf_index::lockfile::MAX_LOCKFILE;
use wharf_service::warm;

use super::caller::Caller;
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    routes::{
        body,
        extract::{ApiPath, FeedPath},
    },
    state::AppState,
};

/// `…/warm/{job}`.
#[derive(Debug, Deserialize)]
pub struct JobPath {
    org: String,
    project: Option<String>,
    feed: String,
    job: i64,
}

/// A warm job's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResource {
    id: i64,
    state: wharf_core::WarmState,
    /// Entries of the lockfile from a registry.
    total: i64,
    /// Saved from the upstream by this job.
    saved: i64,
    /// In the feed already, with the lockfile's checksum.
    present: i64,
    failed: Vec<Failed>,
}

/// An entry that could not be warmed, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WarmFailure)]
pub struct Failed {
    name: String,
    version: String,
    reason: String,
}

impl From<WarmJob> for JobResource {
    fn from(job: WarmJob) -> Self {
        JobResource {
            id: job.id,
            state: job.state,
            total: job.total,
            saved: job.saved,
            present: job.present,
            failed: job.failed.into_iter().map(|(name, version, reason)| Failed { name, version, reason }).collect(),
        }
    }
}

/// Warms the feed from a `Cargo.lock` (the body): a background job saves every registry
/// entry the feed does not hold yet from its upstream, comparing every checksum
/// (Collaborator and up, with a read & write token; two jobs per account and four per feed
/// at once).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/warm", operation_id = "warmFeed", tag = "operations",
    request_body(content = String, content_type = "text/plain", description = "A `Cargo.lock`."),
    responses(
        (status = 202, description = "The job, started.", body = JobResource,
            headers(("Location" = String, description = "The job's URL."))),
        (status = 400, description = "The body is not UTF-8 text.", body = ErrorBody),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 409, description = "The feed has no upstream to save from.", body = ErrorBody),
        (status = 413, description = "A body over the largest lockfile accepted.", body = ErrorBody),
        (status = 422, description = "Not a lockfile, or one without registry entries.", body = ErrorBody),
        (status = 429, description = "The caller or the feed has as many jobs running as allowed.",
            body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // The caller first: no byte of the lockfile is read for one who may not warm the feed.
    let feed = path.to_ref();
    warm::check(&state.core, &caller.0, &feed).await?;
    body::refuse_declared_over(&headers, MAX_LOCKFILE as u64, "a warm job")?;
    let bytes = to_bytes(body, MAX_LOCKFILE)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(format!("A Cargo.lock of at most {} MiB.", MAX_LOCKFILE >> 20)))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::BadRequest("Send the Cargo.lock itself as the body: this is not UTF-8 text.".into()))?;
    let job = warm::start(&state.core, &caller.0, &feed, text).await?;
    let location = state.core.public_url.join(&format!("{}/warm/{}", feed.location().rest_path(), job.id));
    let mut response = (StatusCode::ACCEPTED, Json(JobResource::from(job))).into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("a URL is ASCII"));
    Ok(response)
}

/// A warm job's progress: JSON, or with `Accept: text/event-stream` a stream of `progress`
/// events (a change at most every half second, each carrying only the failures new since
/// the one before, and `failedCount`) and a last `done` one.
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/warm/{job}", operation_id = "warmJob",
    tag = "operations",
    responses(
        (status = 200, description = "The job's progress.", content(
            (JobResource = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or job.", body = ErrorBody),
    ))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(path): ApiPath<JobPath>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let feed = wharf_service::FeedRef::new(&path.org, path.project.as_deref(), &path.feed);
    let job = warm::get(&state.core, &caller.0, &feed, path.job).await?;
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
    if !wants_stream {
        return Ok(Json(JobResource::from(job)).into_response());
    }
    // A change of progress at most every half second, each failure once, and the last
    // state once the job is done.
    let (core, principal, id) = (state.core.clone(), caller.0, path.job);
    let stream = futures_util::stream::unfold(Some(Follow { job, sent: 0, shown: None }), move |follow| {
        let (core, principal, feed) = (core.clone(), principal.clone(), feed.clone());
        async move {
            let mut follow = follow?;
            loop {
                let now = (follow.job.state, follow.job.saved, follow.job.present, follow.job.failed.len());
                if follow.shown.as_ref() != Some(&now) {
                    let done = follow.job.state == wharf_core::WarmState::Done;
                    let event = Event::default()
                        .event(if done { "done" } else { "progress" })
                        .json_data(JobEvent::since(&follow.job, follow.sent));
                    follow.sent = follow.job.failed.len();
                    follow.shown = Some(now);
                    return Some((event, (!done).then_some(follow)));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                follow.job = warm::get(&core, &principal, &feed, id).await.ok()?;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// Where a stream of a job's events is: the job as last read, the failures sent so far and
/// the progress last sent.
struct Follow {
    job: WarmJob,
    sent: usize,
    shown: Option<(wharf_core::WarmState, i64, i64, usize)>,
}

/// One event of a job's stream: the counts, and only the failures not sent before.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobEvent {
    id: i64,
    state: wharf_core::WarmState,
    total: i64,
    saved: i64,
    present: i64,
    /// Failures so far, those sent before included.
    failed_count: usize,
    /// The failures new since the previous event.
    failed: Vec<Failed>,
}

impl JobEvent {
    fn since(job: &WarmJob, sent: usize) -> Self {
        JobEvent {
            id: job.id,
            state: job.state,
            total: job.total,
            saved: job.saved,
            present: job.present,
            failed_count: job.failed.len(),
            failed: job.failed[sent.min(job.failed.len())..]
                .iter()
                .map(|(name, version, reason)| Failed {
                    name: name.clone(),
                    version: version.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        }
    }
}
