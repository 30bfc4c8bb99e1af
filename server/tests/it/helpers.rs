//! `TestApp`: the real router on a fresh database, driven in-process.

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

use wharf::config::{LogFormat, ServeConfig, UpstreamConfig};
use wharf_core::{PublicUrl, Role};
use wharf_db::Db;
use wharf_test_support::{Engine, TestDatabase};

/// The real router on a fresh database. The database is removed when the app is dropped,
/// also when the test panics: there is nothing to call at the end of a test.
pub struct TestApp {
    router: Router,
    registry: std::sync::Arc<wharf::registry::Registry>,
    core: wharf_service::Core,
    db: Db,
    test_db: TestDatabase,
    /// `root`, a Wharf administrator with a read & write token: who [`TestApp::json`] is.
    /// None for an app built [`TestAppBuilder::without_accounts`].
    admin: Option<Caller>,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Value,
}

/// Who sends a request: nobody, a user made for the test, or a token as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials at all.
    Anonymous,
    /// A user with a personal access token: made by [`TestApp::user`], [`TestApp::member`]
    /// and the like, or a user the test made and a token it minted for them.
    User { name: String, token: String },
    /// A token as is, made by [`Caller::raw_token`]: one the API or the portal minted, or
    /// a wrong, expired or revoked one.
    Token(String),
}

/// A request builder that takes headers: the router's, and the real HTTP client's for a
/// [`crate::running::RunningWharf`].
pub trait Headers: Sized {
    /// The request with `Authorization: value`.
    fn authorization(self, value: String) -> Self;
}

impl Headers for axum::http::request::Builder {
    fn authorization(self, value: String) -> Self {
        self.header(header::AUTHORIZATION, value)
    }
}

impl Headers for reqwest::RequestBuilder {
    fn authorization(self, value: String) -> Self {
        self.header(reqwest::header::AUTHORIZATION, value)
    }
}

impl Caller {
    /// A caller sending `token` as is, whatever it is.
    pub fn raw_token(token: impl Into<String>) -> Self {
        Caller::Token(token.into())
    }

    /// The token this caller sends, if any: for cargo's environment or a header the test
    /// writes itself.
    pub fn token(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::User { token, .. } | Caller::Token(token) => Some(token),
        }
    }

    /// The user's name, for a caller made as a user.
    pub fn name(&self) -> &str {
        match self {
            Caller::User { name, .. } => name,
            _ => panic!("{self:?} is no user made by the test"),
        }
    }

    /// `request` with this caller's credentials as the REST API and the portal take them:
    /// `Authorization: Bearer …`, or nothing.
    pub fn apply<R: Headers>(&self, request: R) -> R {
        match self.token() {
            Some(token) => request.authorization(format!("Bearer {token}")),
            None => request,
        }
    }

    /// `request` with this caller's credentials as cargo sends them: the token alone in
    /// `Authorization`, or nothing.
    pub fn apply_cargo<R: Headers>(&self, request: R) -> R {
        match self.token() {
            Some(token) => request.authorization(token.to_owned()),
            None => request,
        }
    }
}

impl From<&Caller> for Caller {
    fn from(caller: &Caller) -> Self {
        caller.clone()
    }
}

/// A change to the configuration, made before the app is built.
type ConfigTweak = Box<dyn FnOnce(&mut ServeConfig) + Send>;

/// How a [`TestApp`] is made: [`TestApp::builder`], its options, then [`TestAppBuilder::build`].
#[must_use]
pub struct TestAppBuilder {
    engine: Engine,
    public_url: String,
    accounts: bool,
    tweaks: Vec<ConfigTweak>,
}

impl TestAppBuilder {
    /// The address the app's users know it by (`http://wharf.test` unless set).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = url.to_owned();
        self
    }

    /// The app as installed: no account at all, so no administrator ([`TestApp::admin`] panics).
    pub fn without_accounts(mut self) -> Self {
        self.accounts = false;
        self
    }

    /// Trusted proxies, a metrics token and body time limits.
    pub fn network(self, network: wharf::config::Network) -> Self {
        self.configure(move |config| config.network = network)
    }

    /// The upstream sparse index at `index_url` (none answers unless set), with a minute's
    /// timeout.
    pub fn upstream(self, index_url: &str) -> Self {
        let upstream = UpstreamConfig::new(index_url, Duration::from_secs(300), Duration::from_secs(60))
            .expect("an upstream index URL");
        self.configure(move |config| config.upstream = upstream)
    }

    /// The largest `.crate` accepted (64 KiB unless set).
    pub fn max_crate_size(self, bytes: usize) -> Self {
        self.configure(move |config| config.max_crate_size = bytes)
    }

    /// No secret key: what needs one (upstream credentials) is refused.
    pub fn without_secret_key(self) -> Self {
        self.configure(|config| config.secret_key = None)
    }

    /// Any other change to the configuration, applied after the options above.
    pub fn configure(mut self, tweak: impl FnOnce(&mut ServeConfig) + Send + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// Creates the database and the app on it, with the administrator `root` and its token
    /// unless [`TestAppBuilder::without_accounts`].
    pub async fn build(self) -> TestApp {
        let test_db = TestDatabase::new(self.engine).await;
        let mut config = ServeConfig {
            audit_retention_days: 365,
            advisory_db: None,
            clock: Default::default(),
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: PublicUrl::parse(&self.public_url).unwrap(),
            data_dir: test_db.dir.path().join("data"),
            database_url: test_db.url.clone(),
            storage: wharf::config::StorageUrl::File(test_db.dir.path().join("data").join("storage")),
            site_dir: None,
            log_format: LogFormat::Text,
            upstream: UpstreamConfig::new(
                "http://127.0.0.1:9/index/",
                Duration::from_secs(300),
                Duration::from_secs(1),
            )
            .unwrap(),
            tls: None,
            max_crate_size: 64 * 1024,
            network: Default::default(),
            drain: Duration::ZERO,
            secret_key: Some(std::sync::Arc::new(
                wharf::config::SecretKey::from_secret("test secret key of thirty-two chars!").unwrap(),
            )),
        };
        for tweak in self.tweaks {
            tweak(&mut config);
        }
        let (state, db) = wharf::startup::build_state(&config).await.expect("build the app");
        let (registry, core) = (state.registry.clone(), state.core.clone());
        let router = wharf::routes::router(state);
        let admin = if self.accounts { Some(admin(&db).await) } else { None };
        TestApp { router, registry, core, db, test_db, admin }
    }
}

impl TestApp {
    /// A builder for the app, on `engine`.
    pub fn builder(engine: Engine) -> TestAppBuilder {
        TestAppBuilder { engine, public_url: "http://wharf.test".into(), accounts: true, tweaks: Vec::new() }
    }

    /// The Wharf administrator `root`, with its read & write token.
    pub fn admin(&self) -> Caller {
        self.admin.clone().expect("an app built without accounts has no administrator")
    }

    /// A user `name` (created unless present) with a new token of `scope`, and no role.
    pub async fn user(&self, name: &str, scope: wharf_core::TokenScope) -> Caller {
        user(&self.db, name, scope).await
    }

    /// A user `name` with `role` on the feed `feed` of `default/default` and a new token of
    /// `scope`.
    pub async fn member(&self, name: &str, feed: &str, role: Role, scope: wharf_core::TokenScope) -> Caller {
        let caller = self.user(name, scope).await;
        let project = self.db.scopes().resolve("default", Some("default")).await.expect("the default project");
        let feed = self.db.feeds().get(&project, feed).await.expect("the feed");
        let (user, _) = self.db.users().by_name(name).await.unwrap();
        self.db.roles().set(feed.id, user.id, Some(role)).await.unwrap();
        caller
    }

    /// A Reader of `feed` with a read-only token.
    pub async fn reader(&self, name: &str, feed: &str) -> Caller {
        self.member(name, feed, Role::Reader, wharf_core::TokenScope::Read).await
    }

    /// An Owner of `feed` with a read & write token.
    pub async fn owner(&self, name: &str, feed: &str) -> Caller {
        self.member(name, feed, Role::Owner, wharf_core::TokenScope::Write).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
        let res = self.router.clone().oneshot(request).await.expect("infallible");
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, location, bytes)
    }

    /// A request as `caller`; the answer parsed as JSON.
    pub async fn raw_as(
        &self,
        caller: impl Into<Caller>,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> TestResponse {
        let mut builder = caller.into().apply(Request::builder().method(method).uri(path));
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        let (status, location, bytes) = self.send(builder.body(Body::from(body.to_owned())).unwrap()).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        TestResponse { status, location, body }
    }

    /// A JSON API request as the Wharf administrator `root`.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> TestResponse {
        self.json_as(self.admin(), method, path, body).await
    }

    /// A `PUT` of raw bytes as `caller`, with the token as cargo sends it (as cargo
    /// publishes); the answer parsed as JSON.
    pub async fn put_bytes_as(&self, caller: impl Into<Caller>, path: &str, body: Vec<u8>) -> TestResponse {
        let req = caller.into().apply_cargo(Request::put(path)).body(Body::from(body)).unwrap();
        let (status, location, bytes) = self.send(req).await;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, location, body }
    }

    /// A JSON API request as `caller`.
    pub async fn json_as(&self, caller: impl Into<Caller>, method: Method, path: &str, body: Value) -> TestResponse {
        self.raw_as(caller, method, path, Some("application/json"), &body.to_string()).await
    }

    /// A `GET` as `caller`.
    pub async fn get_as(&self, caller: impl Into<Caller>, path: &str) -> TestResponse {
        self.raw_as(caller, Method::GET, path, None, "").await
    }

    /// A request without a body as `caller`.
    pub async fn request_as(&self, caller: impl Into<Caller>, method: Method, path: &str) -> TestResponse {
        self.raw_as(caller, method, path, None, "").await
    }

    /// A request without a body as the Wharf administrator `root`.
    pub async fn request(&self, method: Method, path: &str) -> TestResponse {
        self.request_as(self.admin(), method, path).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path).await
    }

    /// A portal page as the Wharf administrator `root`: its status and HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let root = self.db.users().by_name("root").await.unwrap().0;
        let (cookie, _) = self.session_for(Some(&root)).await;
        self.page_with(Some(&cookie), path).await
    }

    /// A portal page with a session cookie, or as a visitor.
    pub async fn page_with(&self, cookie: Option<&str>, path: &str) -> (StatusCode, String) {
        let mut req = Request::builder().uri(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let req = req.body(Body::empty()).unwrap();
        let (status, _, bytes) = self.send(req).await;
        (status, String::from_utf8(bytes).expect("utf-8 page"))
    }

    /// A browser session stored the way the session layer stores them: for `user`, or a
    /// visitor's (no user). Returns the `Cookie` header value and the session's CSRF token.
    pub async fn session_for(&self, user: Option<&wharf_db::User>) -> (String, String) {
        session_cookie(&self.db, user).await
    }

    /// A `GET` without credentials; answers status and body bytes.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let (status, _, bytes) = self.send(Request::get(path).body(Body::empty()).unwrap()).await;
        (status, bytes)
    }

    /// Sends `request` as is; answers status, `Location` and body text.
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, Option<String>, String) {
        let (status, location, bytes) = self.send(request).await;
        (status, location, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Where the test database keeps crate files.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.test_db.dir.path().join("data")
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The Cargo side, for housekeeping the server runs on its own schedule.
    pub fn registry(&self) -> &wharf::registry::Registry {
        &self.registry
    }

    /// The server's core: operations called directly (on a clock the test sets).
    pub fn core(&self) -> &wharf_service::Core {
        &self.core
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn test_db(&self) -> &TestDatabase {
        &self.test_db
    }
}

/// `root`, a Wharf administrator created on first use, with a new read & write token.
pub async fn admin(db: &Db) -> Caller {
    let user = match db.users().by_name("root").await {
        Ok((user, _)) => user,
        Err(_) => db.users().create("root", "not a real hash", true).await.unwrap(),
    };
    let name =
        format!("admin-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let token =
        wharf::auth::issue_token(db, user.id, &name, wharf_core::TokenScope::Write, None, None).await.unwrap().1;
    Caller::User { name: "root".into(), token }
}

/// A response body as text.
pub async fn body_text(res: axum::http::Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// A form-encoded body of `pairs`, as a browser's form post sends it.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Every file below `dir` (none when it does not exist): what storage holds.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A browser session stored in `db` the way the session layer stores them: for `user`, or
/// a visitor's (no user). Returns the `Cookie` header value and the session's CSRF token.
pub async fn session_cookie(db: &Db, user: Option<&wharf_db::User>) -> (String, String) {
    use tower_sessions::{
        SessionStore,
        session::{Id, Record},
    };
    let csrf = hex::encode(wharf::auth::generate_token().hash.as_bytes())[..32].to_owned();
    let mut data = std::collections::HashMap::new();
    data.insert("csrf".to_owned(), serde_json::json!(csrf));
    if let Some(user) = user {
        data.insert("user_id".to_owned(), serde_json::json!(user.id));
    }
    let mut record =
        Record { id: Id::default(), data, expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) };
    wharf_auth::session::DbSessionStore::new(db.clone()).create(&mut record).await.unwrap();
    (format!("{}={}", wharf_auth::session::COOKIE_NAME, record.id), csrf)
}

/// A user `name` (created unless present) with a new token of `scope`, and no role.
pub async fn user(db: &Db, name: &str, scope: wharf_core::TokenScope) -> Caller {
    let user = match db.users().by_name(name).await {
        Ok((user, _)) => user,
        Err(_) => {
            db.users().create(name, &wharf::auth::hash_password("a long password").unwrap(), false).await.unwrap()
        }
    };
    let token = wharf::auth::generate_token();
    let new = wharf_db::NewToken {
        user_id: user.id,
        name: &format!("t-{}", &token.hash[..8]),
        token_hash: &token.hash,
        prefix: &token.display_prefix,
        scope,
        expires_at: None,
        parent_id: None,
    };
    db.tokens().create(&new).await.unwrap();
    Caller::User { name: name.to_owned(), token: token.secret }
}
