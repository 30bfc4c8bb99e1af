//! `GET …/Cargo/index/config.json`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use wharf_index::RegistryConfig;

use wharf_service::{registry::ViewTarget, views::LOCAL};

use super::{CargoPath, cached_response};
use crate::{access::FeedAction, metrics::inc, registry::etag_of, state::AppState};

#[tracing::instrument(name = "cargo.config", level = "debug", skip_all, fields(feed = %path.feed))]
pub async fn config_json(State(state): State<AppState>, Path(path): Path<CargoPath>, headers: HeaderMap) -> Response {
    let feed = match super::auth::authorized(&state, &headers, &path, FeedAction::Read).await {
        Ok((feed, ..)) => feed,
        Err(e) => return super::auth::refusal(&state, e),
    };
    let loc = feed.location();
    // A view downloads from its own registry; publishing always goes to the feed.
    let dl_loc = match state.registry.view(&feed, &path.view()).await {
        Ok(None) => loc.clone(),
        Ok(Some(ViewTarget::Local)) => loc.view(LOCAL),
        Ok(Some(ViewTarget::View(view))) => loc.view(&view.name),
        Err(e) => return super::view_error(e),
    };
    let config = RegistryConfig {
        dl: state.core.public_url.join(&dl_loc.download_path()),
        api: Some(state.core.public_url.join(&loc.api_path())),
        auth_required: feed.visibility.requires_auth(),
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
