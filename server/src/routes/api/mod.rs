//! The management REST API (JSON).

mod feeds;
mod json;

use axum::{Router, routing::get};

pub use json::ApiJson;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{org}/_apis/packaging/feeds", get(feeds::list).post(feeds::create))
        .route("/{org}/_apis/packaging/feeds/{feed}", get(feeds::get).patch(feeds::update).delete(feeds::delete))
        .route("/{org}/{project}/_apis/packaging/feeds", get(feeds::list).post(feeds::create))
        .route(
            "/{org}/{project}/_apis/packaging/feeds/{feed}",
            get(feeds::get).patch(feeds::update).delete(feeds::delete),
        )
}
