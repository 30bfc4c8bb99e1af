//! The harness itself: an app's database goes when the app does, also when its test panics.

use axum::http::{Method, StatusCode};
use sqlx::{Connection, PgConnection};
use wharf_test_support::Engine;

use crate::helpers::TestApp;

/// A failing PostgreSQL test, its pool still open, leaves no database behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_leaves_no_database() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let app = TestApp::builder(Engine::Postgres).build().await;
        tx.send(app.test_db().pg_name().unwrap().to_owned()).unwrap();
        let res = app.request(Method::GET, "/_apis/tokens").await;
        assert_eq!(res.status, StatusCode::IM_A_TEAPOT, "the test fails");
    });
    assert!(test.await.unwrap_err().is_panic());
    let name = rx.await.unwrap();
    let admin = std::env::var("WHARF_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    let left: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, None, "{name} outlived its failing test");
}
