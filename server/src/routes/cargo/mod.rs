//! What cargo talks to, per feed and at both scopes: `config.json`, index files and
//! downloads under `…/_packaging/{feed}/Cargo/`.

mod auth;
mod badge;
mod config;
mod download;
mod index;
mod web;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::table::RouteTable;
use wharf_service::views::ViewSel;

pub fn routes() -> RouteTable {
    let mut table = RouteTable::default();
    for scope in ["/{org}", "/{org}/{project}"] {
        let base = format!("{scope}/_packaging/{{feed}}/Cargo");
        table = table
            .get(&format!("{base}/index/config.json"), config::config_json)
            .get(&format!("{base}/badge/{{file}}"), badge::badge)
            .get(&format!("{base}/index/{{*path}}"), index::index_file)
            .get(&format!("{base}/api/v1/crates/{{krate}}/{{version}}/download"), download::download)
            .put(&format!("{base}/api/v1/crates/new"), web::publish)
            .delete(&format!("{base}/api/v1/crates/{{krate}}/{{version}}/yank"), web::yank)
            .put(&format!("{base}/api/v1/crates/{{krate}}/{{version}}/unyank"), web::unyank)
            .get(&format!("{base}/api/v1/crates"), web::search)
            .get(&format!("{base}/api/v1/crates/{{krate}}/owners"), web::owners)
            .put(&format!("{base}/api/v1/crates/{{krate}}/owners"), web::change_owners)
            .delete(&format!("{base}/api/v1/crates/{{krate}}/owners"), web::change_owners);
    }
    table
}

/// The path parameters of the Cargo routes; which are present depends on the route.
#[derive(Debug, Deserialize)]
pub struct CargoPath {
    org: String,
    project: Option<String>,
    feed: String,
    path: Option<String>,
    krate: Option<String>,
    version: Option<String>,
    /// A badge's file name, `{crate}.svg`.
    file: Option<String>,
}

impl CargoPath {
    /// The feed, without the view a `feed@view` segment names: publishing, yanking and
    /// searching through a view's URL act on its feed.
    fn feed_name(&self) -> &str {
        ViewSel::split(&self.feed).0
    }

    /// Which registry of the feed: itself, `@local`, or a view.
    fn view(&self) -> ViewSel {
        ViewSel::split(&self.feed).1
    }

    fn feed_ref(&self) -> wharf_service::FeedRef {
        wharf_service::FeedRef::new(&self.org, self.project.as_deref(), self.feed_name())
    }
}

/// A plain-text error for cargo, which shows the body of errors other than 404.
fn text_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.into()).into_response()
}

/// Whether the request's `If-None-Match` names `etag`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Whether the client takes gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|c| c.split(';').next().unwrap_or("").trim() == "gzip"))
}

/// A cached body with its validator: 304 when the client has it, gzip when it asks.
fn cached_response(headers: &HeaderMap, etag: &str, body: bytes::Bytes, gzip: Option<bytes::Bytes>) -> Response {
    let etag_value = HeaderValue::from_str(etag).expect("etag is ASCII");
    if not_modified(headers, etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    let mut response = match gzip.filter(|_| accepts_gzip(headers)) {
        Some(gz) => {
            let mut r = Body::from(gz).into_response();
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        None => Body::from(body).into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag_value);
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
