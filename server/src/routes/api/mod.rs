//! The management REST API (JSON).

mod caller;
mod feeds;
mod json;
mod permissions;
mod tokens;

use axum::{
    Router,
    routing::{delete, get},
};

pub use json::{ApiJson, ApiJsonList};

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
        .route("/{org}/_apis/packaging/feeds/{feed}/permissions", get(permissions::get).patch(permissions::update))
        .route(
            "/{org}/{project}/_apis/packaging/feeds/{feed}/permissions",
            get(permissions::get).patch(permissions::update),
        )
        .route("/_apis/tokens", get(tokens::list).post(tokens::create))
        .route("/_apis/tokens/{id}", delete(tokens::revoke))
}
