//! The portal's CSS, JS and WASM: built into the binary, or read from a directory in
//! development.

use std::path::PathBuf;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use crate::{error::ApiError, state::AppState};

/// The site cargo-leptos builds into `target/site`. Release builds embed it; debug builds
/// read it from disk so a rebuilt bundle is served without recompiling the server.
#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/site"]
#[allow_missing = true]
struct Embedded;

/// Where assets come from.
pub enum Site {
    Embedded,
    Dir(PathBuf),
}

struct Asset {
    bytes: std::borrow::Cow<'static, [u8]>,
    etag: String,
    mime: String,
}

impl Site {
    pub fn new(dir: Option<PathBuf>) -> Self {
        dir.map_or(Site::Embedded, Site::Dir)
    }

    /// Whether the WASM bundle is there: without it pages render but never hydrate.
    pub fn has_bundle(&self) -> bool {
        self.get("pkg/wharf.js").is_some()
    }

    fn get(&self, path: &str) -> Option<Asset> {
        match self {
            Site::Embedded => Embedded::get(path).map(|file| Asset {
                etag: format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16])),
                mime: file.metadata.mimetype().to_owned(),
                bytes: file.data,
            }),
            Site::Dir(dir) => {
                let bytes = std::fs::read(dir.join(path)).ok()?;
                let len = bytes.len();
                let modified = std::fs::metadata(dir.join(path))
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                Some(Asset {
                    etag: format!("\"{len:x}-{modified:x}\""),
                    mime: mime_for(path).to_owned(),
                    bytes: bytes.into(),
                })
            }
        }
    }
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /pkg/{file}`: one asset, revalidated by ETag on every use (the names carry no hash).
pub async fn serve_pkg(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    if file.contains("..") || file.starts_with('/') {
        return ApiError::NotFound(format!("No asset named {file:?}.")).into_response();
    }
    let Some(asset) = state.site.get(&format!("pkg/{file}")) else {
        return ApiError::NotFound(format!("No asset named {file:?}.")).into_response();
    };
    let etag = HeaderValue::from_str(&asset.etag).expect("hex etag");
    let cache = HeaderValue::from_static("no-cache");
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response();
    }
    let mime = HeaderValue::from_str(&asset.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [(header::CONTENT_TYPE, mime), (header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        Body::from(asset.bytes.into_owned()),
    )
        .into_response()
}
