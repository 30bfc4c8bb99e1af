//! `GET …/Cargo/api/v1/crates/{crate}/{version}/download`.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use wharf_index::validate_crate_name;

use super::{CargoPath, text_error};
use crate::{access::FeedAction, registry::DownloadError, state::AppState};

#[tracing::instrument(name = "cargo.download", level = "debug", skip_all, fields(feed = %path.feed, krate = ?path.krate, version = ?path.version))]
pub async fn download(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let (Some(krate), Some(version)) = (path.krate.as_deref(), path.version.as_deref()) else {
        return text_error(StatusCode::NOT_FOUND, "not a download path");
    };
    if let Err(e) = validate_crate_name(krate) {
        return text_error(StatusCode::NOT_FOUND, e.to_string());
    }
    let (feed, principal, standing) = match super::auth::authorized(&state, &headers, &path, FeedAction::Read).await {
        Ok(found) => found,
        Err(e) => return super::auth::refusal(&state, e),
    };
    let found = match state.registry.view(&feed, &path.view()).await {
        Ok(None) => state.registry.download(&feed, krate, version, &principal, &standing).await,
        Ok(Some(view)) => state.registry.view_download(&feed, &view, krate, version).await,
        Err(e) => return super::view_error(e),
    };
    match found {
        Ok(download) => {
            tracing::debug!(saved = download.saved, "serving a crate file");
            state.registry.count_download(feed.id, krate, version);
            let mut response = Body::from_stream(download.body).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
            response
        }
        Err(e @ (DownloadError::Storage(_) | DownloadError::Db(_))) => {
            tracing::error!(error = %e, "serving a crate file failed");
            text_error(StatusCode::SERVICE_UNAVAILABLE, "The crate file could not be read; try again.")
        }
        Err(e) => super::auth::refusal(&state, e.into()),
    }
}
