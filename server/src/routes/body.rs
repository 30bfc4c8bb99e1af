//! Request bodies, bounded in size and in time for every route. Which caller may send a
//! body is each route's own rule, checked before it reads a byte (the REST [`Caller`]
//! refuses anonymous changes, publish, warm and the advisory import authorize first); this
//! layer adds what holds for all of them: a declared length over the largest body any route
//! takes is refused at once, and a body that has not arrived whole within the body timeout
//! (`--body-timeout`) is cut off and answered `408`.
//!
//! [`Caller`]: super::api::Caller

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    body::{Body, HttpBody},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;

use crate::state::AppState;

/// The largest body any route takes: the advisory database's tarball.
pub const LARGEST_BODY: u64 = wharf_service::advisories::MAX_TARBALL as u64;

/// The length a request declares for its body (`Content-Length`), if any.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// `413` at once for a declared length over `limit`, in the API's error shape, saying what
/// the route takes.
pub fn refuse_declared_over(headers: &HeaderMap, limit: u64, what: &str) -> Result<(), crate::error::ApiError> {
    match declared_length(headers) {
        Some(n) if n > limit => Err(crate::error::ApiError::PayloadTooLarge(format!(
            "The body declares {n} bytes; {what} takes at most {} KiB.",
            limit.div_ceil(1024)
        ))),
        _ => Ok(()),
    }
}

/// The layer in front of every route (see the module's comment).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // No body at all (HTTP/1 without a length, HTTP/2 headers that end the stream).
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    if let Err(refused) = refuse_declared_over(request.headers(), LARGEST_BODY, "no route of Wharf") {
        return close(refused.into_response());
    }
    let timeout = state.network.body_timeout;
    let tripped = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = within(body, timeout, tripped.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    if !tripped.load(Ordering::Acquire) {
        return response;
    }
    tracing::info!(seconds = timeout.as_secs(), "a request body did not arrive in time; cut off");
    let message = format!(
        "The request body did not arrive within {} seconds; send it faster, or ask the operator to raise \
         --body-timeout.\n",
        timeout.as_secs()
    );
    close((StatusCode::REQUEST_TIMEOUT, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response())
}

/// The body, ending in an error once `timeout` has passed since the request came in.
fn within(body: Body, timeout: Duration, tripped: Arc<AtomicBool>) -> Body {
    let deadline = tokio::time::Instant::now() + timeout;
    let frames = body.into_data_stream();
    let timed = futures_util::stream::unfold(Some(frames), move |frames| {
        let tripped = tripped.clone();
        async move {
            let mut frames = frames?;
            match tokio::time::timeout_at(deadline, frames.next()).await {
                Ok(Some(frame)) => Some((frame, Some(frames))),
                Ok(None) => None,
                Err(_) => {
                    tripped.store(true, Ordering::Release);
                    Some((Err(axum::Error::new("the request body did not arrive in time")), None))
                }
            }
        }
    });
    Body::from_stream(timed)
}

/// The answer, with the connection closed after it: the rest of the body is not read.
fn close(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
