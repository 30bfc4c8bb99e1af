//! `GET …/Cargo/index/{path}`: one crate's index file.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use tracing::field::Empty;
use wharf_index::name_from_index_path;

use super::{CargoPath, cached_response, text_error};
use wharf_service::registry::upstream::CacheOutcome;

use crate::{access::FeedAction, metrics::inc, registry::IndexError, state::AppState};

#[tracing::instrument(name = "cargo.index", level = "debug", skip_all, fields(feed = %path.feed, krate = Empty, cache = Empty))]
pub async fn index_file(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let raw = path.path.as_deref().unwrap_or_default();
    let name = match name_from_index_path(raw) {
        Ok(name) => name,
        Err(e) => return text_error(StatusCode::NOT_FOUND, format!("`{raw}` is not an index file path: {e}")),
    };
    let span = tracing::Span::current();
    span.record("krate", name.as_str());
    let (feed, caller) = match super::auth::authorized(&state, &headers, &path, FeedAction::Read).await {
        Ok((feed, caller, _)) => (feed, caller),
        Err(e) => return super::auth::refusal(&state, e),
    };
    let found = match state.registry.view(&feed, &path.view()).await {
        Ok(None) => state.registry.index_file(&feed, &name, &caller).await,
        Ok(Some(view)) => {
            state.registry.view_index_file(&feed, &view, &name, &caller).await.map(|r| (r, CacheOutcome::Hit))
        }
        Err(e) => return super::view_error(e),
    };
    match found {
        Ok((rendered, outcome)) => {
            span.record("cache", outcome.as_str());
            let mut response =
                cached_response(&headers, &rendered.etag, rendered.body.clone(), Some(rendered.gzip.clone()));
            if response.status() == StatusCode::NOT_MODIFIED {
                inc(&state.registry.metrics().index_not_modified);
            } else {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            }
            response
        }
        Err(e @ IndexError::NotFound { .. }) => text_error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ IndexError::UpstreamDown { .. }) => text_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(IndexError::Db(e)) => {
            tracing::error!(error = ?e, "reading an index file failed");
            text_error(StatusCode::SERVICE_UNAVAILABLE, "The index could not be read from the database; try again.")
        }
    }
}
