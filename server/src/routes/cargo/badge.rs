//! `GET …/_packaging/{feed}[@{view}]/Cargo/badge/{crate}.svg[?version=]`: a crate's version
//! badge, anonymous for public feeds, cacheable (ETag).

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use wharf_index::validate_crate_name;

use super::{CargoPath, cached_response, text_error};
use crate::state::AppState;

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
    let (feed, view) = (path.feed_ref(), path.view());
    let at = wharf_service::serve::RegistryRef { feed: &feed, view: &view };
    let drawn = match super::auth::caller(&state, &headers).await {
        Ok(caller) => wharf_service::serve::badge(&state.core, &caller, at, name, version.as_deref()).await,
        Err(e) => Err(e),
    };
    let (badge, public) = match drawn {
        Ok(drawn) => drawn,
        Err(e) => return super::auth::refusal(&state, e),
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
    let cache = if public { "public" } else { "private" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_str(&format!("{cache}, max-age=300")).expect("ASCII"));
    // Drawn from text only: nothing in it may run.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
