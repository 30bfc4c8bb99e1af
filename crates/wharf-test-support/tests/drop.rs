//! A test database removes itself when dropped: after a test that panics, after one that
//! never calls `remove`, and on either kind of runtime.

use sqlx::{Connection, PgConnection};
use wharf_test_support::{Engine, TestDatabase};

/// Whether the PostgreSQL server still has a database named `name`.
async fn pg_database_exists(name: &str) -> bool {
    let admin = std::env::var("WHARF_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = PgConnection::connect(&admin).await.expect("the PostgreSQL test server");
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    found.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_leaves_no_postgres_database() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let db = TestDatabase::new(Engine::Postgres).await;
        // A connection still open when the test fails, as a server's pool would be.
        let _conn = PgConnection::connect(&db.url).await.unwrap();
        tx.send(db.pg_name().unwrap().to_owned()).unwrap();
        panic!("the test fails");
    });
    assert!(test.await.unwrap_err().is_panic());
    let name = rx.await.unwrap();
    assert!(name.starts_with("wharf_test_"));
    assert!(!pg_database_exists(&name).await, "{name} outlived its panicking test");
}

#[test]
fn a_panic_caught_by_catch_unwind_leaves_no_postgres_database() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let name = std::sync::Mutex::new(String::new());
    let outcome = std::panic::catch_unwind(|| {
        runtime.block_on(async {
            let db = TestDatabase::new(Engine::Postgres).await;
            *name.lock().unwrap() = db.pg_name().unwrap().to_owned();
            panic!("the test fails");
        })
    });
    assert!(outcome.is_err());
    let name = name.into_inner().unwrap();
    assert!(!runtime.block_on(pg_database_exists(&name)), "{name} outlived its panicking test");
}

/// The default test runtime has one thread: dropping must not block it into a deadlock.
#[tokio::test]
async fn dropping_on_a_current_thread_runtime_removes_the_database() {
    let db = TestDatabase::new(Engine::Postgres).await;
    let name = db.pg_name().unwrap().to_owned();
    assert!(pg_database_exists(&name).await);
    drop(db);
    assert!(!pg_database_exists(&name).await, "{name} outlived its drop");
}

#[tokio::test]
async fn remove_still_removes_at_once() {
    let db = TestDatabase::new(Engine::Postgres).await;
    let name = db.pg_name().unwrap().to_owned();
    db.remove().await;
    assert!(!pg_database_exists(&name).await, "{name} outlived remove");
}

#[tokio::test]
async fn a_sqlite_database_goes_with_its_directory() {
    let db = TestDatabase::new(Engine::Sqlite).await;
    let dir = db.dir.path().to_owned();
    assert!(dir.exists() && db.pg_name().is_none());
    drop(db);
    assert!(!dir.exists());
}
