//! The HTTP side of the local upstream: one handler that records, then answers per mode.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use super::index::sha256_hex;
use super::{Canned, Mode};

/// A body served as is, with its strong validator.
pub(super) struct Served {
    pub(super) body: Vec<u8>,
    /// `"<sha256 of body>"`, quotes included.
    pub(super) etag: String,
}

impl Served {
    pub(super) fn new(body: Vec<u8>) -> Self {
        let etag = format!("\"{}\"", sha256_hex(&body));
        Served { body, etag }
    }
}

/// Everything the handler reads, built once at start.
pub(super) struct Shared {
    pub(super) mode: Mutex<Mode>,
    /// Raw request paths, in arrival order.
    pub(super) requests: Mutex<Vec<String>>,
    pub(super) config: Served,
    /// Keyed by the path below `/index/`, e.g. `3/a/abc`.
    pub(super) index: HashMap<String, Served>,
    /// Keyed by (lowercased name, version).
    pub(super) files: HashMap<(String, String), Served>,
    /// Answers given instead of the registry's, by exact request path.
    pub(super) canned: Mutex<HashMap<String, Canned>>,
    /// Becomes `true` when the upstream stops: hanging requests then end.
    pub(super) stopping: watch::Receiver<bool>,
    /// How many index requests were answered `304 Not Modified`.
    pub(super) not_modified: std::sync::atomic::AtomicUsize,
    /// When set, every request must carry exactly this `Authorization`, else 401.
    pub(super) token: Mutex<Option<String>>,
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// Routes by hand on the raw path, so that versions with `+` match whether or not the
/// client percent-encoded it.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    shared.requests.lock().expect("request log lock").push(path.clone());
    let canned = shared.canned.lock().expect("canned answers lock").get(&path).cloned();
    if let Some(canned) = canned {
        return canned_response(canned, shared.stopping.clone());
    }
    let required = shared.token.lock().expect("token lock").clone();
    if let Some(token) = required {
        let sent = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if sent != Some(token.as_str()) {
            return (StatusCode::UNAUTHORIZED, "local upstream: this registry needs its token\n").into_response();
        }
    }
    let mode = *shared.mode.lock().expect("mode lock");
    match mode {
        Mode::Fail500 => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "local upstream: Mode::Fail500\n").into_response();
        }
        Mode::Hang => {
            let mut stopping = shared.stopping.clone();
            // Ends only when the upstream stops (or is dropped).
            let _ = stopping.wait_for(|stop| *stop).await;
            return (StatusCode::SERVICE_UNAVAILABLE, "local upstream stopped\n").into_response();
        }
        Mode::Slow(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
        Mode::Normal | Mode::CorruptCrates => {}
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "only GET\n").into_response();
    }

    if path == "/index/config.json" {
        return validated(&shared.config, "application/json", request.headers());
    }
    if let Some(rest) = path.strip_prefix("/index/") {
        return match shared.index.get(&percent_decode(rest)) {
            Some(served) => {
                let response = validated(served, "text/plain; charset=utf-8", request.headers());
                if response.status() == StatusCode::NOT_MODIFIED {
                    shared.not_modified.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                response
            }
            None => not_found(),
        };
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
        if let [name, version, download] = segments.as_slice()
            && download == "download"
            && let Some(served) = shared.files.get(&(name.to_lowercase(), version.clone()))
        {
            let mut body = served.body.clone();
            if mode == Mode::CorruptCrates {
                let middle = body.len() / 2;
                body[middle] ^= 0xff;
            }
            return ([(header::CONTENT_TYPE, "application/octet-stream")], Body::from(body)).into_response();
        }
    }
    not_found()
}

/// 200 with an `ETag`, or 304 when `If-None-Match` names it (or is `*`).
fn validated(served: &Served, content_type: &'static str, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&served.etag).expect("an ETag is a valid header value");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        // If-None-Match uses the weak comparison.
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == served.etag);
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::ETAG, etag)],
        Body::from(served.body.clone()),
    )
        .into_response()
}

fn canned_response(canned: Canned, stopping: watch::Receiver<bool>) -> Response {
    match canned {
        Canned::Status { status, retry_after } => {
            let status = StatusCode::from_u16(status).expect("a valid status");
            let mut response = (status, format!("local upstream: canned {status}\n")).into_response();
            if let Some(secs) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
        Canned::Body { content_type, body } => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
        }
        Canned::CutOff { declared, sent } => {
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
                Ok(bytes::Bytes::from(vec![b'x'; sent])),
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "local upstream: cut off")),
            ];
            let mut response = Body::from_stream(futures_util::stream::iter(chunks)).into_response();
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
            response
        }
        Canned::Drip => {
            let drip = futures_util::stream::unfold(stopping, |mut stopping| async move {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = stopping.wait_for(|stop| *stop) => return None,
                }
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x")), stopping))
            });
            Body::from_stream(drip).into_response()
        }
        Canned::Redirect(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Canned::Filler(len) => {
            // Chunked, with no Content-Length: the client learns the size only by reading.
            const CHUNK: usize = 64 * 1024;
            let chunks = (0..len.div_ceil(CHUNK)).map(move |i| {
                let n = CHUNK.min(len - i * CHUNK);
                Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; n]))
            });
            Body::from_stream(futures_util::stream::iter(chunks)).into_response()
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// Decodes `%XX` escapes; anything malformed is kept as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("1.0.1%2Bbuild5"), "1.0.1+build5");
        assert_eq!(percent_decode("1.0.1+build5"), "1.0.1+build5");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41%zz%"), "A%zz%");
    }
}
