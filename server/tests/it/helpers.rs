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
use wharf_core::PublicUrl;
use wharf_db::Db;
use wharf_test_support::{Engine, TestDatabase};

pub struct TestApp {
    router: Router,
    db: Db,
    test_db: TestDatabase,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Value,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        let test_db = TestDatabase::new(engine).await;
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: PublicUrl::parse("http://wharf.test").unwrap(),
            data_dir: test_db.dir.path().join("data"),
            database_url: test_db.url.clone(),
            site_dir: None,
            log_format: LogFormat::Text,
            upstream: UpstreamConfig::new(
                "http://127.0.0.1:9/index/",
                Duration::from_secs(300),
                Duration::from_secs(1),
            )
            .unwrap(),
            tls: None,
        };
        let (router, db) = wharf::startup::build(&config).await.expect("build the app");
        TestApp { router, db, test_db }
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
        let res = self.router.clone().oneshot(request).await.expect("infallible");
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, location, bytes)
    }

    pub async fn raw(&self, method: Method, path: &str, content_type: Option<&str>, body: &str) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(path);
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

    pub async fn json(&self, method: Method, path: &str, body: Value) -> TestResponse {
        self.raw(method, path, Some("application/json"), &body.to_string()).await
    }

    pub async fn request(&self, method: Method, path: &str) -> TestResponse {
        self.raw(method, path, None, "").await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path).await
    }

    /// A portal page: its status and HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let req = Request::builder().uri(path).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap();
        let (status, _, bytes) = self.send(req).await;
        (status, String::from_utf8(bytes).expect("utf-8 page"))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn test_db(&self) -> &TestDatabase {
        &self.test_db
    }

    pub async fn finish(self) {
        self.db.close().await;
        self.test_db.remove().await;
    }
}
