//! A local upstream sparse registry: a stand-in for crates.io in tests.
//!
//! [`LocalUpstream::start`] turns a list of [`CrateSpec`]s into real `.crate` files (gzip'd tar
//! with a `Cargo.toml`, a `src/lib.rs` that compiles and uses its dependencies, and a `build.rs`
//! when there are build dependencies) and sparse index files, and serves them over HTTP/1.1 on
//! `127.0.0.1`, so the real `cargo` binary can resolve, download and build against it:
//!
//! - `GET /index/config.json` → `{"dl":"http://127.0.0.1:PORT/files"}`;
//! - `GET /index/{cargo's path for the lowercased name}` → one JSON line per version, with a
//!   strong `ETag` and `304 Not Modified` on a matching `If-None-Match`; unknown crates → 404;
//! - `GET /files/{crate}/{version}/download` → the `.crate` bytes; unknown → 404.
//!
//! Every request path is recorded ([`LocalUpstream::hits`]), [`LocalUpstream::set_mode`]
//! makes the server fail, hang or corrupt downloads from the next request on, and
//! [`LocalUpstream::answer`] gives one path a [`Canned`] answer (a redirect, an oversized
//! body).
//!
//! ```no_run
//! # async fn demo() {
//! use wharf_test_support::upstream::LocalUpstream;
//! let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
//! // .cargo/config.toml of a consumer:
//! //   [registries] up = { index = "<upstream.index_url()>" }
//! //   [source.crates-io] replace-with = "up"
//! assert_eq!(upstream.hits("/files/top/0.1.0/download"), 0);
//! upstream.stop().await;
//! # }
//! ```

mod crate_file;
mod index;
mod sample;
mod server;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use index::index_path;
pub use sample::SAMPLE_RESOLVED;

use server::{Served, Shared};

/// Which table of `Cargo.toml` a dependency sits in (the `kind` of an index line's dep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepKind {
    /// `[dependencies]`: `"kind": "normal"`.
    Normal,
    /// `[build-dependencies]`: `"kind": "build"`.
    Build,
    /// `[dev-dependencies]`: `"kind": "dev"`.
    Dev,
}

impl DepKind {
    /// The value of `kind` in an index line.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }
}

/// One dependency of a generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepSpec {
    /// The name in `Cargo.toml` (the alias when renamed); also the Rust identifier, with `-`
    /// turned into `_`, that the generated code uses.
    pub name: String,
    /// The real crate name when the dependency is renamed (`alias = { package = "real" }`).
    pub package: Option<String>,
    /// The version requirement, e.g. `"^1"` or `"=2.0.0-beta.1"`.
    pub req: String,
    /// `optional = true`: only compiled in when a feature enables it.
    pub optional: bool,
    /// A platform, e.g. `"cfg(unix)"`: the dependency goes to `[target.'…'.dependencies]`.
    pub target: Option<String>,
    /// Which dependency table it belongs to.
    pub kind: DepKind,
    /// `default-features` of the dependency.
    pub default_features: bool,
    /// Features of the dependency to enable.
    pub features: Vec<String>,
}

impl DepSpec {
    /// A normal, non-optional dependency on `name` with default features.
    pub fn new(name: impl Into<String>, req: impl Into<String>) -> Self {
        DepSpec {
            name: name.into(),
            package: None,
            req: req.into(),
            optional: false,
            target: None,
            kind: DepKind::Normal,
            default_features: true,
            features: Vec::new(),
        }
    }

    /// Makes `name` an alias of the crate `real` (`name = { package = "real", … }`).
    pub fn renamed_from(mut self, real: impl Into<String>) -> Self {
        self.package = Some(real.into());
        self
    }

    /// Makes the dependency optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Makes the dependency platform-specific, e.g. `.target("cfg(unix)")`.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Makes it a build dependency (used by the generated `build.rs`).
    pub fn build(mut self) -> Self {
        self.kind = DepKind::Build;
        self
    }

    /// Makes it a dev dependency (listed, never used by the generated code).
    pub fn dev(mut self) -> Self {
        self.kind = DepKind::Dev;
        self
    }

    /// Sets `default-features = false`.
    pub fn no_default_features(mut self) -> Self {
        self.default_features = false;
        self
    }

    /// Enables these features of the dependency.
    pub fn features(mut self, features: &[&str]) -> Self {
        self.features = features.iter().map(|f| f.to_string()).collect();
        self
    }

    /// The real name of the crate depended on.
    pub fn package_name(&self) -> &str {
        self.package.as_deref().unwrap_or(&self.name)
    }
}

/// One version of a crate to generate and serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateSpec {
    /// The crate name, as published (case kept; the index path uses it lowercased).
    pub name: String,
    /// The version, in canonical semver form (e.g. `1.0.1+build5`, `2.0.0-beta.1`).
    pub version: String,
    /// Its dependencies, in `Cargo.toml` and index order.
    pub deps: Vec<DepSpec>,
    /// Served with `"yanked": true`.
    pub yanked: bool,
    /// The `[features]` table. An optional dependency without a `dep:` reference also gets
    /// its implicit feature, as in any edition-2021 crate.
    pub features: BTreeMap<String, Vec<String>>,
    /// `rust-version` in `Cargo.toml` and `rust_version` in the index line.
    pub rust_version: Option<String>,
    /// `pubtime` in the index line (`YYYY-MM-DDThh:mm:ssZ`); none when unset.
    pub pubtime: Option<String>,
}

impl CrateSpec {
    /// A crate version with no dependencies, features or `rust-version`, not yanked.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        CrateSpec {
            name: name.into(),
            version: version.into(),
            deps: Vec::new(),
            yanked: false,
            features: BTreeMap::new(),
            rust_version: None,
            pubtime: None,
        }
    }

    /// Sets the index line's `pubtime` to `days` days before now (a whole second, UTC).
    pub fn published_days_ago(mut self, days: i64) -> Self {
        let at = time::OffsetDateTime::now_utc() - time::Duration::days(days);
        let at = at.replace_nanosecond(0).expect("zero nanoseconds");
        self.pubtime = Some(at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339"));
        self
    }

    /// Adds a dependency.
    pub fn dep(mut self, dep: DepSpec) -> Self {
        self.deps.push(dep);
        self
    }

    /// Marks the version yanked.
    pub fn yanked(mut self) -> Self {
        self.yanked = true;
        self
    }

    /// Adds a feature, e.g. `.feature("extra", &["opt-dep"])`.
    pub fn feature(mut self, name: impl Into<String>, enables: &[&str]) -> Self {
        self.features.insert(name.into(), enables.iter().map(|f| f.to_string()).collect());
        self
    }

    /// Sets `rust-version`, e.g. `.rust_version("1.60")`.
    /// The `.crate` file of this crate, the same bytes every time.
    pub fn crate_file(&self) -> Vec<u8> {
        crate_file::build(self)
    }

    pub fn rust_version(mut self, version: impl Into<String>) -> Self {
        self.rust_version = Some(version.into());
        self
    }
}

/// How the server answers; a change applies to the next request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Serves the index and the `.crate` files.
    Normal,
    /// Answers every request with `500 Internal Server Error`.
    Fail500,
    /// Accepts every request and never answers (until [`LocalUpstream::stop`]).
    Hang,
    /// Serves the index normally, but `.crate` bodies with one byte flipped.
    CorruptCrates,
    /// Serves normally, each answer this many milliseconds late (to widen races).
    Slow(u64),
}

/// An answer given for one path instead of the registry's; see [`LocalUpstream::answer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Canned {
    /// `302 Found` to this URL.
    Redirect(String),
    /// `200` with this many bytes of `x`, chunked, without a `Content-Length`.
    Filler(usize),
    /// This status, with `Retry-After` when given, and a short text body.
    Status { status: u16, retry_after: Option<u64> },
    /// `200` with exactly this body and content type.
    Body { content_type: &'static str, body: String },
    /// `200` announcing `declared` bytes, sending the first `sent` of them (`x`), then
    /// resetting the connection.
    CutOff { declared: usize, sent: usize },
    /// `200`, one byte a second, never ending (until the upstream stops).
    Drip,
}

/// A sparse registry served on `127.0.0.1`; see the [module docs](self).
///
/// Dropping it stops the server too (without waiting); call [`LocalUpstream::stop`] to be
/// sure the port is closed.
pub struct LocalUpstream {
    port: u16,
    shared: Arc<Shared>,
    /// Flipped to `true` by `stop`: shuts the server down and releases hanging requests.
    stopping: watch::Sender<bool>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl LocalUpstream {
    /// Builds every `.crate` (deterministic bytes: fixed mtimes, sorted entries), the index
    /// files, and serves them on `127.0.0.1` at a random port.
    pub async fn start(crates: Vec<CrateSpec>) -> Self {
        Self::start_on(0, crates).await
    }

    /// Same as [`LocalUpstream::start`], on a given port (0: any free one); used to restart an
    /// upstream on the port of one that was [stopped](LocalUpstream::stop).
    pub async fn start_on(port: u16, crates: Vec<CrateSpec>) -> Self {
        let socket = TcpSocket::new_v4().expect("create a TCP socket for the local upstream");
        socket.set_reuseaddr(true).expect("set SO_REUSEADDR on the local upstream socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .unwrap_or_else(|e| panic!("local upstream cannot bind 127.0.0.1:{port}: {e}"));
        let listener = socket.listen(1024).expect("listen on the local upstream socket");
        let port = listener.local_addr().expect("local address of the local upstream listener").port();

        let (stopping, stop_rx) = watch::channel(false);
        let shared = Arc::new(build_registry(port, &crates, stop_rx.clone()));
        let app = server::router(shared.clone());
        let mut shutdown = stop_rx;
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // An error means the sender is gone: the upstream was dropped.
                    let _ = shutdown.wait_for(|stop| *stop).await;
                })
                .await
                .expect("local upstream server failed");
        });
        LocalUpstream { port, shared, stopping, server: Mutex::new(Some(server)) }
    }

    /// From now on, answers `401` to every request whose `Authorization` is not `token`
    /// (a private registry).
    pub fn require_token(&self, token: &str) {
        *self.shared.token.lock().expect("token lock") = Some(token.to_owned());
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The index URL to give cargo: `sparse+http://127.0.0.1:PORT/index/`.
    pub fn index_url(&self) -> String {
        format!("sparse+http://127.0.0.1:{}/index/", self.port)
    }

    /// The `dl` of `config.json`: `http://127.0.0.1:PORT/files` (cargo appends
    /// `/{crate}/{version}/download`).
    pub fn dl_url(&self) -> String {
        format!("http://127.0.0.1:{}/files", self.port)
    }

    /// Changes how the server answers, from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("mode lock") = mode;
    }

    /// Answers requests for exactly `path` (e.g. `"/index/3/a/abc"`) with `canned` from
    /// the next request on, whatever the mode.
    pub fn answer(&self, path: &str, canned: Canned) {
        self.shared.canned.lock().expect("canned answers lock").insert(path.to_owned(), canned);
    }

    /// Answers `path` as the registry would again (undoes [`LocalUpstream::answer`]).
    pub fn clear_answer(&self, path: &str) {
        self.shared.canned.lock().expect("canned answers lock").remove(path);
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *self.shared.mode.lock().expect("mode lock")
    }

    /// Number of requests seen whose raw path (no query) equals `path` exactly, e.g.
    /// `"/index/3/a/abc"` or `"/files/abc/1.0.0/download"`, whatever the answer was.
    pub fn hits(&self, path: &str) -> usize {
        let log = self.shared.requests.lock().expect("request log lock");
        log.iter().filter(|p| *p == path).count()
    }

    /// Every request path seen so far, in arrival order.
    /// How many index requests were answered `304 Not Modified` (revalidations).
    pub fn not_modified(&self) -> usize {
        self.shared.not_modified.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("request log lock").clone()
    }

    /// The `.crate` file served for `name` `version` (before any [`Mode::CorruptCrates`]).
    ///
    /// Panics if the upstream has no such version.
    pub fn crate_bytes(&self, name: &str, version: &str) -> Vec<u8> {
        self.served_crate(name, version).body.clone()
    }

    /// The `cksum` of `name` `version`: the lowercase hex SHA-256 of its `.crate`.
    ///
    /// Panics if the upstream has no such version.
    pub fn cksum(&self, name: &str, version: &str) -> String {
        index::sha256_hex(&self.served_crate(name, version).body)
    }

    /// The exact index file body served for `name` (one line per version, each ending in
    /// `\n`). Panics if the upstream has no such crate.
    pub fn index_file(&self, name: &str) -> String {
        let path = index_path(name);
        let served = self.shared.index.get(&path).unwrap_or_else(|| panic!("the local upstream has no crate `{name}`"));
        String::from_utf8(served.body.clone()).expect("index files are UTF-8")
    }

    /// Stops serving: once it returns, the port refuses connections. Hanging requests are
    /// answered `503` first; a server that still does not finish is aborted. Idempotent.
    pub async fn stop(&self) {
        self.stopping.send_replace(true);
        let server = self.server.lock().expect("server handle lock").take();
        if let Some(mut server) = server
            && tokio::time::timeout(Duration::from_secs(2), &mut server).await.is_err()
        {
            server.abort();
            // Waits until the aborted task (and so the listener) is dropped.
            let _ = server.await;
        }
    }

    /// A ready-made set of crates exercising the index format. A consumer that depends on
    /// `top = { version = "0.1", features = ["extra"] }` uses every crate of it:
    ///
    /// ```text
    /// top 0.1.0 (rust_version 1.70; features: default = [], extra = ["opt-dep"])
    /// ├── chain-mid ^0.3 ─────────── 0.3.0 (0.2.0 also served)
    /// │   ├── abc ^1 ─────────────── 1.0.0
    /// │   │   └── ab ^1 ──────────── 1.0.0 (1.1.0 is yanked)
    /// │   │       └── a ^1 ───────── 1.0.0 (rust_version 1.60)
    /// │   └── Upper_Leaf ^1 ──────── 1.0.0 (index path up/pe/upper_leaf)
    /// ├── aliased ^0.2, renamed from real-name ── 0.2.0
    /// ├── opt-dep ^1, optional, enabled by feature `extra` ── 1.0.0
    /// ├── unix-only ^1, [target.'cfg(unix)'] ── 1.0.0
    /// ├── beta =2.0.0-beta.1 ─────── 2.0.0-beta.1 (1.0.0 also served)
    /// ├── meta ^1 ────────────────── 1.0.1+build5 (1.0.0 also served)
    /// ├── [build] build-helper ^1 ── 1.0.0 (rust_version 1.56)
    /// └── [dev] a ^1
    /// ```
    ///
    /// Resolved: `a 1.0.0`, `ab 1.0.0`, `abc 1.0.0`, `Upper_Leaf 1.0.0`, `chain-mid 0.3.0`,
    /// `real-name 0.2.0`, `opt-dep 1.0.0`, `unix-only 1.0.0`, `beta 2.0.0-beta.1`,
    /// `meta 1.0.1+build5`, `build-helper 1.0.0`, `top 0.1.0`.
    pub fn sample_crates() -> Vec<CrateSpec> {
        sample::sample_crates()
    }

    fn served_crate(&self, name: &str, version: &str) -> &Served {
        self.shared
            .files
            .get(&(name.to_lowercase(), version.to_string()))
            .unwrap_or_else(|| panic!("the local upstream has no crate `{name}` {version}"))
    }
}

impl Drop for LocalUpstream {
    fn drop(&mut self) {
        self.stopping.send_replace(true);
        if let Ok(server) = self.server.get_mut()
            && let Some(server) = server.take()
        {
            server.abort();
        }
    }
}

/// Generates every `.crate` and index file for `crates`, served at `port`.
fn build_registry(port: u16, crates: &[CrateSpec], stopping: watch::Receiver<bool>) -> Shared {
    let mut files = HashMap::new();
    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for spec in crates {
        let bytes = crate_file::build(spec);
        let line = index::line(spec, &index::sha256_hex(&bytes));
        let key = (spec.name.to_lowercase(), spec.version.clone());
        if files.insert(key, Served::new(bytes)).is_some() {
            panic!("crate `{}` {} is listed twice", spec.name, spec.version);
        }
        lines.entry(index_path(&spec.name)).or_default().push(line);
    }
    let index = lines
        .into_iter()
        .map(|(path, lines)| {
            let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
            (path, Served::new(body.into_bytes()))
        })
        .collect();
    let config = format!("{{\"dl\":\"http://127.0.0.1:{port}/files\"}}");
    Shared {
        token: Mutex::new(None),
        not_modified: Default::default(),
        mode: Mutex::new(Mode::Normal),
        requests: Mutex::new(Vec::new()),
        config: Served::new(config.into_bytes()),
        index,
        files,
        canned: Mutex::new(HashMap::new()),
        stopping,
    }
}
