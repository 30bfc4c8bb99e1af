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

use crate::error::ApiError;

/// The site `cargo xtask` builds into `target/site`. Release builds embed it; debug builds
/// read it from disk so a rebuilt bundle is served without recompiling the server.
#[derive(RustEmbed)]
#[folder = "../target/site"]
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
                Some(Asset { etag: format!("\"{len:x}-{modified:x}\""), bytes: bytes.into() })
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
/// Release builds carry Brotli and gzip copies made once at build time; they are sent to
/// clients that accept them.
pub async fn serve_pkg(
    State(site): State<std::sync::Arc<Site>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = || ApiError::NotFound(format!("No asset named {file:?}.")).into_response();
    if file.contains("..") || file.starts_with('/') || file.ends_with(".br") || file.ends_with(".gz") {
        return not_found();
    }
    let path = format!("pkg/{file}");
    let accepts = |coding: &str| {
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|c| c.split(';').next().unwrap_or("").trim() == coding))
    };
    let encoded = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(coding))
        .find_map(|(coding, ext)| site.get(&format!("{path}{ext}")).map(|a| (coding, a)));
    let (encoding, asset) = match encoded {
        Some((coding, asset)) => (Some(coding), asset),
        None => match site.get(&path) {
            Some(asset) => (None, asset),
            None => return not_found(),
        },
    };
    let etag = HeaderValue::from_str(&asset.etag).expect("hex etag");
    let mut response = if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Body::from(asset.bytes.into_owned()).into_response();
        let mime = HeaderValue::from_static(mime_for(&path));
        r.headers_mut().insert(header::CONTENT_TYPE, mime);
        if let Some(coding) = encoding {
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
