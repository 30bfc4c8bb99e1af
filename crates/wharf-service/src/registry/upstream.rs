//! The upstream registry (crates.io by default): its index files, cached with their
//! validators and served stale when it fails, and its crate files.
//!
//! Index files are cached in memory and, as the last good copy, in the database: a
//! restarted or new replica starts from that copy, revalidates it (`304`) once it is due
//! instead of fetching it again, and serves it as stale while the upstream is down.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::{Bytes, BytesMut};
use reqwest::{StatusCode, header, redirect};
use tokio::sync::RwLock;
use wharf_index::{DlTemplate, RegistryConfig, index_path};

use crate::{
    metrics::{Metrics, inc},
    registry::locks::KeyedLocks,
};

/// Redirects followed per request, all within the first URL's scheme, host and port.
const MAX_REDIRECTS: usize = 5;
/// How long an upstream "not found" is believed.
const NOT_FOUND_TTL: Duration = Duration::from_secs(30);
/// After a failed revalidation, how long the stale copy is served before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);
/// How long the upstream's config.json is used before it is read again.
const CONFIG_TTL: Duration = Duration::from_secs(3600);
/// Memory given to cached upstream index files, per upstream.
const INDEX_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Generations of upstream files, unique across every upstream of the process (0 and 1
/// mean "no upstream part" to rendered index files; feeds as sources use the top half).
static GENERATION: AtomicU64 = AtomicU64::new(2);

fn next_generation() -> u64 {
    GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// An upstream index file as last seen.
#[derive(Debug)]
pub struct UpstreamFile {
    /// `None` when the upstream does not know the crate.
    pub body: Option<Bytes>,
    etag: Option<String>,
    last_modified: Option<String>,
    /// When the upstream last confirmed this copy.
    checked_at: Instant,
    /// How long after `checked_at` the copy is used without asking.
    fresh_for: Duration,
    /// Changes whenever the body changes.
    pub generation: u64,
}

/// How an index request was answered, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Revalidated,
    Stale,
    Miss,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Revalidated => "revalidated",
            CacheOutcome::Stale => "stale",
            CacheOutcome::Miss => "miss",
        }
    }
}

/// Why the upstream could not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("the upstream registry could not be reached: {0}")]
    Unreachable(String),
    #[error("the upstream registry answered {0}")]
    Status(StatusCode),
    #[error("the upstream registry answered {status}, asking to wait {} s", .retry_after.as_secs())]
    Busy { status: StatusCode, retry_after: Duration },
    #[error("the upstream registry served a .crate file whose sha256 is {actual}, but its index says {expected}")]
    ChecksumMismatch { expected: String, actual: String },
    #[error("the upstream's {what} is larger than {}, the most Wharf takes", wharf_index::crate_file::human_size(*.limit))]
    TooLarge { what: String, limit: u64 },
    #[error("the upstream registry {0}")]
    Redirected(String),
    #[error("the upstream's config.json is invalid: {0}")]
    BadConfig(String),
    #[error("the upstream's index is invalid: {0}")]
    BadIndex(String),
    #[error("{0} (a few seconds ago; not retried yet)")]
    RecentlyFailed(String),
}

impl From<reqwest::Error> for UpstreamError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_redirect() {
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                if let Some(refused) = cause.downcast_ref::<RedirectRefused>() {
                    return UpstreamError::Redirected(refused.to_string());
                }
                source = cause.source();
            }
            return UpstreamError::Redirected(format!("redirected too often ({})", e.without_url()));
        }
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        UpstreamError::Unreachable(format!("{kind} ({})", e.without_url()))
    }
}

/// A redirect the client did not follow.
#[derive(Debug, thiserror::Error)]
#[error("redirected to {to}, {why}; Wharf follows redirects only within the scheme, host and port it asked")]
struct RedirectRefused {
    to: String,
    why: &'static str,
}

/// Follows at most [`MAX_REDIRECTS`] redirects, none leaving the origin first asked: an
/// upstream cannot point Wharf at another host (an internal service, say).
fn redirect_policy() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let same_origin = attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
        let to = attempt.url().origin().ascii_serialization();
        if !same_origin {
            attempt.error(RedirectRefused { to, why: "another host" })
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectRefused { to, why: "one redirect too many" })
        } else {
            attempt.follow()
        }
    })
}

/// A response body of at most `limit` bytes, else [`UpstreamError::TooLarge`] (read no
/// further than the limit).
async fn bounded_body(mut response: reqwest::Response, limit: u64, what: &str) -> Result<Bytes, UpstreamError> {
    let too_large = || UpstreamError::TooLarge { what: what.to_owned(), limit };
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `Retry-After` in seconds (the HTTP-date form is rare from registries and not read).
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// Refuses a `200` whose body holds no index line of `name` (an HTML error page, a
/// captive portal, garbage): taking it would replace a good copy with an empty crate.
/// Lines that do not parse beside good ones are passed on (cargo skips them too).
fn check_index_body(name: &str, body: &[u8]) -> Result<(), UpstreamError> {
    if wharf_index::lines(body).any(|(_, line)| line.name.eq_ignore_ascii_case(name)) {
        return Ok(());
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(40)]).replace(['\n', '\r'], " ");
    Err(UpstreamError::BadIndex(format!(
        "it answered 200 for `{name}` with no index line of that crate (it starts {start:?})"
    )))
}

/// The upstream registry client with its cache.
pub struct Upstream {
    http: reqwest::Client,
    /// Where the last good copies are kept.
    db: wharf_db::Db,
    config: UpstreamConfig,
    files: moka::sync::Cache<String, Arc<UpstreamFile>>,
    /// Recent failures for crates with no cached copy, so that a dead upstream costs one
    /// timeout per crate per [`RETRY_AFTER_FAILURE`], not one per request.
    failures: moka::sync::Cache<String, String>,
    locks: KeyedLocks<String>,
    dl: RwLock<Option<(DlTemplate, Instant)>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("index", &self.config.index).finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn new(config: UpstreamConfig, db: wharf_db::Db, metrics: Arc<Metrics>) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("wharf/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .tcp_nodelay(true)
            .redirect(redirect_policy())
            .build()
            .expect("HTTP client");
        let files = moka::sync::Cache::builder()
            .weigher(|k: &String, v: &Arc<UpstreamFile>| {
                (k.len() + v.body.as_ref().map_or(0, Bytes::len) + 128).try_into().unwrap_or(u32::MAX)
            })
            .max_capacity(INDEX_CACHE_BYTES)
            .build();
        Upstream {
            http,
            db,
            config,
            files,
            failures: moka::sync::Cache::builder().time_to_live(RETRY_AFTER_FAILURE).max_capacity(100_000).build(),
            locks: KeyedLocks::new(),
            dl: RwLock::new(None),
            metrics,
        }
    }

    pub fn index_url(&self) -> &str {
        &self.config.index
    }

    /// The upstream's index file for `name` (lower-cased): from cache while fresh, else
    /// revalidated; when the upstream fails, the last copy (stale). Concurrent callers
    /// share one upstream request.
    pub(crate) async fn index_file(&self, name: &str) -> Result<(Arc<UpstreamFile>, CacheOutcome), UpstreamError> {
        if let Some(file) = self.files.get(name).filter(|f| f.checked_at.elapsed() < f.fresh_for) {
            return Ok((file, CacheOutcome::Hit));
        }
        let _guard = self.locks.lock(&name.to_owned()).await;
        let previous = match self.files.get(name) {
            Some(file) => Some(file),
            None => self.kept_copy(name).await,
        };
        if let Some(file) = previous.as_ref().filter(|f| f.checked_at.elapsed() < f.fresh_for) {
            // Another request (or replica, or this process before a restart) refreshed it.
            self.files.insert(name.to_owned(), file.clone());
            return Ok((file.clone(), CacheOutcome::Hit));
        }
        if previous.is_none()
            && let Some(failure) = self.failures.get(name)
        {
            return Err(UpstreamError::RecentlyFailed(failure));
        }
        match self.fetch_index(name, previous.as_deref()).await {
            Ok((file, outcome)) => {
                let file = Arc::new(file);
                self.files.insert(name.to_owned(), file.clone());
                self.keep_copy(name, &file, previous.as_ref().is_some_and(|p| p.generation == file.generation));
                Ok((file, outcome))
            }
            Err(err) => match previous {
                Some(stale) => {
                    tracing::warn!(krate = name, error = %err, "upstream index failed; serving the cached copy");
                    // An upstream that asks to wait (429, 503 with Retry-After) is not asked
                    // again sooner, up to five minutes.
                    let wait = match &err {
                        UpstreamError::Busy { retry_after, .. } => {
                            (*retry_after).clamp(RETRY_AFTER_FAILURE, Duration::from_secs(300))
                        }
                        _ => RETRY_AFTER_FAILURE,
                    };
                    let retry = Arc::new(UpstreamFile {
                        body: stale.body.clone(),
                        etag: stale.etag.clone(),
                        last_modified: stale.last_modified.clone(),
                        checked_at: Instant::now(),
                        fresh_for: wait,
                        generation: stale.generation,
                    });
                    self.files.insert(name.to_owned(), retry.clone());
                    Ok((retry, CacheOutcome::Stale))
                }
                None => {
                    self.failures.insert(name.to_owned(), err.to_string());
                    Err(err)
                }
            },
        }
    }

    /// The last good copy kept in the database, as a file due for revalidation once the
    /// time-to-live since the upstream last confirmed it has passed.
    async fn kept_copy(&self, name: &str) -> Option<Arc<UpstreamFile>> {
        let kept = match self.db.upstream_files().get(&self.config.cache_key, name).await {
            Ok(kept) => kept?,
            Err(e) => {
                tracing::warn!(krate = name, error = ?e, "could not read the kept copy of an upstream index file");
                return None;
            }
        };
        let age = Duration::from_secs(wharf_db::unix_now().saturating_sub(kept.checked_at).max(0).unsigned_abs());
        let ttl = if kept.body.is_some() { self.config.ttl } else { NOT_FOUND_TTL.min(self.config.ttl) };
        Some(Arc::new(UpstreamFile {
            body: kept.body.map(Bytes::from),
            etag: kept.etag,
            last_modified: kept.last_modified,
            checked_at: Instant::now(),
            fresh_for: ttl.saturating_sub(age),
            generation: next_generation(),
        }))
    }

    /// Keeps `file` in the database as the last good copy, in the background (the request
    /// does not wait). When the upstream only confirmed the copy, just that is noted.
    fn keep_copy(&self, name: &str, file: &UpstreamFile, confirmed: bool) {
        let (db, upstream, name) = (self.db.clone(), self.config.cache_key.clone(), name.to_owned());
        let now = wharf_db::unix_now();
        let (body, etag, last_modified) = (file.body.clone(), file.etag.clone(), file.last_modified.clone());
        tokio::spawn(async move {
            let repo = db.upstream_files();
            let result = match confirmed {
                true => repo.confirm(&upstream, &name, now).await,
                false => Ok(false),
            };
            let result = match result {
                Ok(true) => Ok(()),
                // A new body, or a confirmed copy that was never kept.
                Ok(false) => {
                    let kept = wharf_db::StoredIndexFile {
                        body: body.map(|b| b.to_vec()),
                        etag,
                        last_modified,
                        checked_at: now,
                    };
                    repo.put(&upstream, &name, &kept).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(krate = name, error = ?e, "could not keep a copy of an upstream index file");
            }
        });
    }

    async fn fetch_index(
        &self,
        name: &str,
        previous: Option<&UpstreamFile>,
    ) -> Result<(UpstreamFile, CacheOutcome), UpstreamError> {
        inc(&self.metrics.upstream_index_fetches);
        let url = format!("{}{}", self.config.index, index_path(name));
        let mut request = self.authorized(self.http.get(&url)).timeout(self.config.timeout);
        if let Some(prev) = previous {
            if let Some(etag) = &prev.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            } else if let Some(modified) = &prev.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
        }
        let response = request.send().await?;
        let status = response.status();
        let header_of =
            |h: header::HeaderName| response.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (etag, last_modified) = (header_of(header::ETAG), header_of(header::LAST_MODIFIED));
        let fresh = |body, generation| UpstreamFile {
            body,
            etag: etag.clone(),
            last_modified: last_modified.clone(),
            checked_at: Instant::now(),
            fresh_for: self.config.ttl,
            generation,
        };
        match status {
            StatusCode::OK => {
                let what = format!("index file for `{name}`");
                let body = bounded_body(response, self.config.limits.index_file, &what).await?;
                check_index_body(name, &body)?;
                let generation = next_generation();
                let outcome = if previous.is_some() { CacheOutcome::Revalidated } else { CacheOutcome::Miss };
                Ok((fresh(Some(body), generation), outcome))
            }
            StatusCode::NOT_MODIFIED => match previous {
                Some(prev) => Ok((
                    UpstreamFile {
                        etag: etag.clone().or_else(|| prev.etag.clone()),
                        last_modified: last_modified.clone().or_else(|| prev.last_modified.clone()),
                        ..fresh(prev.body.clone(), prev.generation)
                    },
                    CacheOutcome::Revalidated,
                )),
                None => Err(UpstreamError::Status(status)),
            },
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => {
                let generation = next_generation();
                let outcome = if previous.is_some() { CacheOutcome::Revalidated } else { CacheOutcome::Miss };
                Ok((UpstreamFile { fresh_for: NOT_FOUND_TTL.min(self.config.ttl), ..fresh(None, generation) }, outcome))
            }
            other => Err(match retry_after(response.headers()) {
                Some(retry_after) => UpstreamError::Busy { status: other, retry_after },
                None => UpstreamError::Status(other),
            }),
        }
    }

    /// The upstream's download URL template, from its own config.json.
    async fn dl_template(&self) -> Result<DlTemplate, UpstreamError> {
        if let Some((dl, at)) = self.dl.read().await.as_ref()
            && at.elapsed() < CONFIG_TTL
        {
            return Ok(dl.clone());
        }
        let mut slot = self.dl.write().await;
        if let Some((dl, at)) = slot.as_ref()
            && at.elapsed() < CONFIG_TTL
        {
            return Ok(dl.clone());
        }
        match (self.fetch_dl_template().await, slot.as_ref()) {
            (Ok(dl), _) => {
                *slot = Some((dl.clone(), Instant::now()));
                Ok(dl)
            }
            (Err(err), Some((dl, _))) => {
                tracing::warn!(error = %err, "upstream config.json failed; using the one read before");
                Ok(dl.clone())
            }
            (Err(err), None) => Err(err),
        }
    }

    /// Reads the upstream's config.json now (not from cache).
    async fn fetch_dl_template(&self) -> Result<DlTemplate, UpstreamError> {
        let url = format!("{}config.json", self.config.index);
        let response = self.authorized(self.http.get(&url)).timeout(self.config.timeout).send().await?;
        if !response.status().is_success() {
            return Err(UpstreamError::Status(response.status()));
        }
        let body = bounded_body(response, self.config.limits.config_json, "config.json").await?;
        let config: RegistryConfig =
            serde_json::from_slice(&body).map_err(|e| UpstreamError::BadConfig(e.to_string()))?;
        Ok(DlTemplate::new(&config.dl))
    }

    /// Checks that the upstream answers with a valid config.json (its token accepted),
    /// bypassing every cache; the template read is kept for downloads.
    pub async fn check(&self) -> Result<(), UpstreamError> {
        let dl = self.fetch_dl_template().await?;
        *self.dl.write().await = Some((dl, Instant::now()));
        Ok(())
    }

    /// Adds the token, when the upstream has one. Only ever sent to the index's own origin
    /// (a download URL elsewhere gets no token, see [`Upstream::crate_response`]).
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.token {
            Some(token) => request.header(header::AUTHORIZATION, token.expose()),
            None => request,
        }
    }

    /// Largest `.crate` taken from the upstream.
    pub fn max_crate_size(&self) -> u64 {
        self.config.limits.crate_file
    }

    /// Starts fetching one crate file: the response, its status and announced size checked;
    /// the caller streams the body (at most [`Upstream::max_crate_size`] bytes) into storage
    /// and checks its sha256.
    pub async fn crate_response(
        &self,
        name: &str,
        version: &str,
        cksum: &str,
    ) -> Result<reqwest::Response, UpstreamError> {
        let url = self.dl_template().await?.url(name, version, cksum);
        inc(&self.metrics.upstream_crate_fetches);
        let mut request = self.http.get(&url);
        if same_origin(&url, &self.config.index) {
            request = self.authorized(request);
        }
        let response = request.timeout(self.config.timeout.max(Duration::from_secs(60))).send().await?;
        if !response.status().is_success() {
            return Err(UpstreamError::Status(response.status()));
        }
        let limit = self.max_crate_size();
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(UpstreamError::TooLarge { what: ".crate file".to_owned(), limit });
        }
        Ok(response)
    }
}

/// Whether two URLs share scheme, host and port.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// A registry token in memory: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryToken(String);

impl RegistryToken {
    pub fn new(token: String) -> Self {
        RegistryToken(token)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RegistryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<token>")
    }
}

/// Where and how feeds reach their upstream.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// The index root, `http(s)://…/` (without `sparse+`, with the final slash).
    pub index: String,
    /// What its last good copies are kept under: the index URL, and a digest of the token
    /// when it has one (what a token sees is not what another sees).
    pub cache_key: String,
    /// Sent as `Authorization` to the index's origin, as cargo sends its tokens.
    pub token: Option<RegistryToken>,
    pub ttl: std::time::Duration,
    pub timeout: std::time::Duration,
    /// How much is taken from the upstream per response.
    pub limits: UpstreamLimits,
}

/// The most bytes Wharf reads from an upstream per response; past them the response is
/// refused (and nothing of it kept), so an upstream cannot make the server hold much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamLimits {
    /// One index file: every version of one crate. crates.io's largest are a few MiB.
    pub index_file: u64,
    /// `config.json`: a few short URLs.
    pub config_json: u64,
    /// One `.crate` file, streamed into storage (never held whole in memory).
    pub crate_file: u64,
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        UpstreamLimits { index_file: 32 * 1024 * 1024, config_json: 64 * 1024, crate_file: 128 * 1024 * 1024 }
    }
}

impl UpstreamConfig {
    /// Accepts `sparse+https://…` or `https://…`, with or without the final slash.
    pub fn new(index: &str, ttl: std::time::Duration, timeout: std::time::Duration) -> Result<Self, String> {
        let url = index.trim().strip_prefix("sparse+").unwrap_or(index.trim());
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("the upstream index must be an http(s) sparse index URL (got {index:?})"));
        }
        let index = if url.ends_with('/') { url.to_owned() } else { format!("{url}/") };
        reqwest::Url::parse(&index).map_err(|e| format!("the upstream index {index:?} is not a valid URL: {e}"))?;
        Ok(UpstreamConfig {
            cache_key: index.clone(),
            index,
            token: None,
            ttl,
            timeout,
            limits: UpstreamLimits::default(),
        })
    }

    /// The same settings for another registry, with its token.
    pub fn for_registry(&self, index: &str, token: Option<RegistryToken>) -> Result<Self, String> {
        let mut config = UpstreamConfig::new(index, self.ttl, self.timeout)?;
        config.limits = self.limits;
        if let Some(token) = &token {
            use sha2::Digest;
            let digest = hex::encode(&sha2::Sha256::digest(token.expose().as_bytes())[..8]);
            config.cache_key = format!("{}#{digest}", config.index);
        }
        config.token = token;
        Ok(config)
    }
}
