//! `POST …/_artifacts/feed/{feed}/warm`: the Warm page's upload, a plain multipart form so
//! that it works without JavaScript. It checks that the signed-in account may warm the feed
//! before it reads the form, then the session's CSRF token, reads the
//! `Cargo.lock` (4 MiB at most), starts the job through the core (`warm::start`, as the
//! REST API does) and sends the browser to the job's page. A refusal answers the Warm page
//! again, with the reason above the form and the matching status.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;
use wharf_index::lockfile::MAX_LOCKFILE;
use wharf_service::CoreError;

use crate::{routes::extract::FeedPath, state::AppState};

/// The largest form: the lockfile and room for the other fields and the multipart framing.
const FORM_LIMIT: u64 = MAX_LOCKFILE as u64 + 64 * 1024;

/// The form's fields: the CSRF token and the lockfile's text.
async fn fields(headers: &axum::http::HeaderMap, body: Body) -> Result<(String, Vec<u8>), (StatusCode, String)> {
    let bad = |m: &str| (StatusCode::BAD_REQUEST, m.to_owned());
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| bad("Send the form as multipart/form-data with the lockfile in the field `lockfile`."))?;
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(FORM_LIMIT).per_field(MAX_LOCKFILE as u64));
    let mut form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let (mut csrf, mut lockfile) = (String::new(), None);
    let too_large = || (StatusCode::PAYLOAD_TOO_LARGE, format!("A Cargo.lock of at most {} MiB.", MAX_LOCKFILE >> 20));
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. }) => {
                return Err(too_large());
            }
            Err(e) => return Err(bad(&format!("The form could not be read: {e}."))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. }) => {
                return Err(too_large());
            }
            Err(e) => return Err(bad(&format!("The form could not be read: {e}."))),
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "lockfile" => lockfile = Some(bytes.to_vec()),
            _ => {}
        }
    }
    let lockfile = lockfile.ok_or_else(|| bad("Choose a Cargo.lock to upload."))?;
    Ok((csrf, lockfile))
}

pub async fn upload(State(state): State<AppState>, Path(path): Path<FeedPath>, request: Request) -> Response {
    let feed = path.to_ref();
    let page = feed.location().warm_path();
    let session = request.extensions().get::<Session>().cloned();
    let (head, body) = request.into_parts();
    let principal = match &session {
        Some(session) => wharf_service::authn::from_session(&state.core, session).await.ok(),
        None => None,
    };
    let Some(principal) = principal.filter(|p| p.user().is_some()) else {
        return Redirect::to(&wharf_core::urls::pages::sign_in(&page)).into_response();
    };
    // Whether this account may warm the feed, before a byte of the form is read.
    if let Err(e) = wharf_service::warm::check(&state.core, &principal, &feed).await {
        let (status, message) = refusal(e);
        return again(&state, head, status, message).await;
    }
    if crate::routes::body::declared_length(&head.headers).is_some_and(|n| n > FORM_LIMIT) {
        let message = format!("A Cargo.lock of at most {} MiB.", MAX_LOCKFILE >> 20);
        return again(&state, head, StatusCode::PAYLOAD_TOO_LARGE, message).await;
    }
    let (csrf, lockfile) = match fields(&head.headers, body).await {
        Ok(fields) => fields,
        Err((status, message)) => return again(&state, head, status, message).await,
    };
    let valid = match &session {
        Some(session) => wharf_auth::session::csrf_matches(session, &csrf).await,
        None => false,
    };
    if !valid {
        return again(&state, head, StatusCode::FORBIDDEN, app::ssr::CSRF_REFUSED.to_owned()).await;
    }
    let Ok(text) = String::from_utf8(lockfile) else {
        let message = "This file is not a Cargo.lock: it is not UTF-8 text.".to_owned();
        return again(&state, head, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    };
    match wharf_service::warm::start(&state.core, &principal, &feed, &text).await {
        Ok(job) => Redirect::to(&feed.location().warm_job_path(job.id)).into_response(),
        Err(e) => {
            let (status, message) = refusal(e);
            again(&state, head, status, message).await
        }
    }
}

/// The status (REST's, from its one mapping of the core's kinds) and the words of a
/// refusal by the core, for the page.
fn refusal(e: CoreError) -> (StatusCode, String) {
    let message = match &e {
        CoreError::Invalid(errors) => errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    };
    (crate::error::ApiError::from(e).status(), message)
}

/// The Warm page again, with `message` above the form.
async fn again(state: &AppState, head: axum::http::request::Parts, status: StatusCode, message: String) -> Response {
    let mut response = super::portal::page_with(state, head, app::model::WarmUploadError(message)).await;
    *response.status_mut() = status;
    response
}
