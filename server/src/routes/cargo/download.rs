//! `GET …/Cargo/api/v1/crates/{crate}/{version}/download`.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use wharf_index::validate_crate_name;

use super::{CargoPath, text_error};
use crate::state::AppState;

#[tracing::instrument(name = "cargo.download", level = "debug", skip_all, fields(feed = %path.feed, krate = ?path.krate, version = ?path.version))]
pub async fn download(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let (Some(krate), Some(version)) = (path.krate.as_deref(), path.version.as_deref()) else {
        return text_error(StatusCode::NOT_FOUND, "not a download path");
    };
    if let Err(e) = validate_crate_name(krate) {
        return text_error(StatusCode::NOT_FOUND, e.to_string());
    }
    let (feed, view) = (path.feed_ref(), path.view());
    let at = wharf_service::serve::RegistryRef { feed: &feed, view: &view };
    let found = match super::auth::caller(&state, &headers).await {
        Ok(caller) => wharf_service::serve::download(&state.core, &caller, at, krate, version).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(download) => {
            tracing::debug!(saved = download.saved, "serving a crate file");
            let mut response = Body::from_stream(download.body).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
            response
        }
        Err(e) => super::auth::refusal(&state, e),
    }
}
