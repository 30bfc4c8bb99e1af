//! `GET …/Cargo/index/{path}`: one crate's index file.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use tracing::field::Empty;
use wharf_index::name_from_index_path;

use super::{CargoPath, cached_response, text_error};
use wharf_service::serve::RegistryRef;

use crate::{metrics::inc, state::AppState};

#[tracing::instrument(name = "cargo.index", level = "debug", skip_all, fields(feed = %path.feed, krate = Empty, cache = Empty))]
pub async fn index_file(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let raw = path.path.as_deref().unwrap_or_default();
    let name = match name_from_index_path(raw) {
        Ok(name) => name,
        Err(e) => return text_error(StatusCode::NOT_FOUND, format!("`{raw}` is not an index file path: {e}")),
    };
    let span = tracing::Span::current();
    span.record("krate", name.as_str());
    let (feed, view) = (path.feed_ref(), path.view());
    let at = RegistryRef { feed: &feed, view: &view };
    let found = match super::auth::caller(&state, &headers).await {
        Ok(caller) => wharf_service::serve::index_file(&state.core, &caller, at, &name).await,
        Err(e) => Err(e),
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
        Err(e) => super::auth::refusal(&state, e),
    }
}
