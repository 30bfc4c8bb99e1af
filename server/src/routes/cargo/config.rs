//! `GET …/Cargo/index/config.json`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};

use super::{CargoPath, cached_response};
use crate::{metrics::inc, registry::etag_of, state::AppState};

#[tracing::instrument(name = "cargo.config", level = "debug", skip_all, fields(feed = %path.feed))]
pub async fn config_json(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let (feed, view) = (path.feed_ref(), path.view());
    let at = wharf_service::serve::RegistryRef { feed: &feed, view: &view };
    let config = match super::auth::caller(&state, &headers).await {
        Ok(caller) => wharf_service::serve::config(&state.core, &caller, at).await,
        Err(e) => Err(e),
    };
    let config = match config {
        Ok(config) => config,
        Err(e) => return super::auth::refusal(&state, e),
    };
    let body = serde_json::to_vec(&config).expect("config.json serialises");
    let etag = etag_of(&body);
    let mut response = cached_response(&headers, &etag, body.into(), None);
    if response.status() == StatusCode::NOT_MODIFIED {
        inc(&state.registry.metrics().index_not_modified);
    } else {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}
