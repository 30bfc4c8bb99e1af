//! A real Wharf server on a real port (cargo must connect to it), and the real `cargo`.

use std::{
    path::{Path, PathBuf},
    process::Output,
    time::Duration,
};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use wharf::config::{LogFormat, ServeConfig, UpstreamConfig};
use wharf_core::PublicUrl;
use wharf_db::Db;
use wharf_test_support::{Engine, TestDatabase};

use crate::helpers::Caller;

/// Knobs of a test server.
#[derive(Clone)]
pub struct Options {
    pub upstream_index: String,
    pub ttl: Duration,
    pub timeout: Duration,
    /// PEM certificate and key: serve https.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// What is taken from the upstream per response.
    pub limits: wharf::config::UpstreamLimits,
    /// The server's clock, which the test may move forward.
    pub clock: wharf_service::clock::Clock,
}

impl Options {
    /// Plain http against `upstream_index`, revalidated every `ttl`, default limits.
    pub fn upstream(upstream_index: String, ttl: Duration) -> Self {
        Options {
            upstream_index,
            ttl,
            timeout: Duration::from_secs(2),
            tls: None,
            limits: Default::default(),
            clock: Default::default(),
        }
    }
}

pub struct RunningWharf {
    pub base: String,
    pub db: Db,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    test_db: Option<TestDatabase>,
    options: Options,
    /// `root`, a Wharf administrator with a read & write token.
    admin: Caller,
}

impl RunningWharf {
    pub async fn start(engine: Engine, options: Options) -> Self {
        let test_db = TestDatabase::new(engine).await;
        Self::start_on(test_db, options, "127.0.0.1:0").await
    }

    /// Starts a server on a database and data directory prepared beforehand (a restore).
    pub async fn start_with(test_db: TestDatabase, options: Options) -> Self {
        Self::start_on(test_db, options, "127.0.0.1:0").await
    }

    /// Stops the server and starts a new one on the same port, database and storage:
    /// nothing survives but what was stored.
    pub async fn restart(mut self) -> Self {
        let addr = self.base.rsplit('/').next().unwrap().to_owned();
        let test_db = self.test_db.take().unwrap();
        let options = self.options.clone();
        self.stop_server().await;
        Self::start_on(test_db, options, &addr).await
    }

    async fn start_on(test_db: TestDatabase, options: Options, addr: &str) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if options.tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{addr}");
        let config = ServeConfig {
            audit_retention_days: 365,
            advisory_db: None,
            clock: options.clock.clone(),
            listen: addr,
            public_url: PublicUrl::parse(&base).unwrap(),
            data_dir: test_db.dir.path().join("data"),
            database_url: test_db.url.clone(),
            storage: wharf::config::StorageUrl::File(test_db.dir.path().join("data").join("storage")),
            site_dir: None,
            log_format: LogFormat::Text,
            upstream: UpstreamConfig {
                limits: options.limits,
                ..UpstreamConfig::new(&options.upstream_index, options.ttl, options.timeout).unwrap()
            },
            tls: options.tls.clone(),
            max_crate_size: wharf::registry::publish::DEFAULT_MAX_CRATE_SIZE,
            network: Default::default(),
            drain: Duration::ZERO,
            secret_key: Some(std::sync::Arc::new(
                wharf::config::SecretKey::from_secret("test secret key of thirty-two chars!").unwrap(),
            )),
        };
        let (app, db) = wharf::startup::build(&config).await.expect("build the app");
        let admin = crate::helpers::admin(&db).await;
        let (tx, rx) = oneshot::channel::<()>();
        let task = match &options.tls {
            Some((cert, key)) => {
                let tls = wharf::tls::server_config(cert, key).expect("TLS config");
                tokio::spawn(async move {
                    wharf::tls::serve(listener, app, tls, async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
                })
            }
            None => tokio::spawn(async move {
                // As `wharf serve` does: the peer's address reaches the request.
                axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            }),
        };
        let mut http = reqwest::Client::builder();
        if let Some((cert, _)) = &options.tls {
            let pem = std::fs::read(cert).unwrap();
            http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
        }
        RunningWharf {
            base,
            db,
            http: http.build().unwrap(),
            shutdown: Some(tx),
            task,
            test_db: Some(test_db),
            options,
            admin,
        }
    }

    /// The Wharf administrator `root`, with its read & write token.
    pub fn admin(&self) -> Caller {
        self.admin.clone()
    }

    /// A user `name` (created unless present) with a new token of `scope`, and no role.
    pub async fn user(&self, name: &str, scope: wharf_core::TokenScope) -> Caller {
        crate::helpers::user(&self.db, name, scope).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Where this server keeps its SQLite file and crate storage.
    /// The database, for running `wharf admin` on it.
    pub fn test_db(&self) -> &TestDatabase {
        self.test_db.as_ref().expect("the database lives as long as the server")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.test_db.as_ref().expect("running").dir.path().join("data")
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Creates a project-scoped feed through the REST API.
    pub async fn create_feed(&self, name: &str, upstream: bool) {
        let res = self
            .admin
            .apply(self.http.post(self.url("/default/default/_apis/packaging/feeds")))
            .header("content-type", "application/json")
            .body(serde_json::json!({"name": name, "visibility": "public", "upstreamEnabled": upstream}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }

    /// Publishes `spec` (no dependencies) to the project-scoped `feed` as the administrator.
    pub async fn publish(&self, feed: &str, spec: &wharf_test_support::upstream::CrateSpec) {
        let meta = serde_json::json!({"name": spec.name, "vers": spec.version, "deps": [], "features": {}});
        let body = wharf_test_support::publish_body(&meta, &spec.crate_file());
        let res = self
            .admin
            .apply_cargo(
                self.http.put(self.url(&format!("/default/default/_packaging/{feed}/Cargo/api/v1/crates/new"))),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }

    /// A REST call as the administrator: the status and the JSON answer (a body that is not
    /// JSON comes as a JSON string).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self.admin.apply(self.http.request(method, self.url(path)));
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// A `GET` without credentials: the status and the text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub fn index_url(&self, feed: &str) -> String {
        format!("sparse+{}/default/default/_packaging/{feed}/Cargo/index/", self.base)
    }

    /// One counter of `/_metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self.http.get(self.url("/_metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no metric {name} in {text}"))
    }

    async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), &mut self.task).await;
        self.db.close().await;
    }

    pub async fn stop(mut self) {
        self.stop_server().await;
        if let Some(db) = self.test_db.take() {
            db.remove().await;
        }
    }
}

/// A consumer project depending on the sample crates, through `index_url` with crates.io
/// replaced.
pub fn consumer_project(dir: &Path, index_url: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         top = { version = \"0.1\", features = [\"extra\"] }\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() { println!(\"{}\", top::value()); }\n").unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!("[registries]\nfeed = {{ index = \"{index_url}\" }}\n\n[source.crates-io]\nreplace-with = \"feed\"\n"),
    )
    .unwrap();
}

/// A project with `deps` (name, requirement), crates.io replaced by the feed at `index`.
pub fn dependent_project(dir: &Path, index: &str, deps: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    let deps: String = deps.iter().map(|(name, req)| format!("{name} = \"{req}\"\n")).collect();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!("[registries]\nfeed = {{ index = \"{index}\" }}\n\n[source.crates-io]\nreplace-with = \"feed\"\n"),
    )
    .unwrap();
}

/// The version of `name` in the lockfile of the project at `dir`.
pub fn locked_version(dir: &Path, name: &str) -> String {
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let at = lock.find(&format!("name = \"{name}\"")).unwrap_or_else(|| panic!("{name} in the lockfile:\n{lock}"));
    lock[at..].lines().nth(1).unwrap().trim().trim_start_matches("version = ").trim_matches('"').to_owned()
}

/// Runs the real cargo in `dir` with its own `CARGO_HOME`.
pub async fn cargo(dir: &Path, cargo_home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = tokio::process::Command::new(cargo);
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_HOME", cargo_home)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_NET_RETRY", "0")
        .env("CARGO_HTTP_TIMEOUT", "30")
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("run cargo")
}

/// Panics with cargo's output unless it succeeded.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
