//! `GET …/_packaging/{feed}[@{view}]/Cargo/badge/{crate}.svg[?version=]`: a crate's version
//! badge, anonymous for public feeds, cacheable (ETag).

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use wharf_index::validate_crate_name;

use super::{CargoPath, cached_response, text_error};
use crate::{access::FeedAction, registry::IndexError, state::AppState};

pub async fn badge(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let file = path.file.as_deref().unwrap_or_default();
    let Some(name) = file.strip_suffix(".svg") else {
        return text_error(StatusCode::NOT_FOUND, format!("`{file}` is not a badge: ask for {{crate}}.svg"));
    };
    if let Err(e) = validate_crate_name(name) {
        return text_error(StatusCode::NOT_FOUND, e.to_string());
    }
    let mut version = None;
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "version" if !value.is_empty() && value.len() <= 64 => version = Some(value.into_owned()),
            "version" => return text_error(StatusCode::BAD_REQUEST, "`version` takes a version, like ?version=1.2.3"),
            other => {
                return text_error(
                    StatusCode::BAD_REQUEST,
                    format!("Unknown query parameter '{other}': use ?version="),
                );
            }
        }
    }
    let (feed, caller) = match super::auth::authorized(&state, &headers, &path, FeedAction::Read).await {
        Ok((feed, caller, _)) => (feed, caller),
        Err(e) => return super::auth::refusal(&state, e),
    };
    if !feed.settings.badges_enabled {
        return text_error(
            StatusCode::NOT_FOUND,
            "Badges are turned off for this feed; its Administrators can turn them on in its settings.",
        );
    }
    let view = match state.registry.view(&feed, &path.view()).await {
        Ok(view) => view,
        Err(e) => return super::view_error(e),
    };
    let badge = match state.registry.badge(&feed, view.as_ref(), name, version.as_deref(), &caller).await {
        Ok(badge) => badge,
        Err(e @ IndexError::UpstreamDown { .. }) => return text_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "drawing a badge failed");
            return text_error(StatusCode::SERVICE_UNAVAILABLE, "The badge could not be drawn; try again.");
        }
    };
    let mut response = cached_response(&headers, &badge.etag, badge.svg.into(), None);
    if response.status() != StatusCode::NOT_MODIFIED && !badge.found {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    // Public feeds' badges drawn for anonymous readers may be cached anywhere (README
    // renderers proxy them); others' only by the reader's own browser (a signed-in reader
    // may see versions from feed sources anonymous readers may not).
    let public = feed.visibility == wharf_core::Visibility::Public && caller == wharf_service::Principal::Anonymous;
    let cache = if public { "public" } else { "private" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_str(&format!("{cache}, max-age=300")).expect("ASCII"));
    // Drawn from text only: nothing in it may run.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
