//! A fresh, empty database per test, on either engine.
//!
//! PostgreSQL tests use the server named by `WHARF_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). They fail, never skip, when it cannot be
//! reached: a skipped backend would let the PostgreSQL code rot unseen.

pub mod upstream;

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// The engines the data-layer and API tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database made for one test, removed when it is dropped: at the end of the test, and
/// also when the test panics, so a failing PostgreSQL test leaves no database behind.
pub struct TestDatabase {
    pub url: String,
    /// Keeps the SQLite file (and any crate storage a test puts beside it) alive.
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("WHARF_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDatabase {
    pub async fn new(engine: Engine) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        match engine {
            Engine::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("wharf.db").display());
                TestDatabase { url, dir, pg_name: None }
            }
            Engine::Postgres => {
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "wharf_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
                );
                let admin = admin_url();
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL tests need a server at {admin} (set WHARF_TEST_POSTGRES_URL): {e}")
                });
                conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
                TestDatabase { url: format!("{base}/{name}"), dir, pg_name: Some(name) }
            }
        }
    }

    /// The name of the PostgreSQL database, or `None` on SQLite (or once it is removed).
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    /// Removes the database now rather than when it is dropped. Dropping does the same;
    /// this only lets a test wait for it on its own runtime.
    pub async fn remove(mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_pg_database(&name).await;
        }
    }
}

impl Drop for TestDatabase {
    /// Drops the PostgreSQL database (the SQLite file goes with the temporary directory).
    ///
    /// `Drop` is synchronous and often runs on a runtime thread, where blocking on a future
    /// would panic or deadlock a current-thread runtime. So the drop runs on a thread of its
    /// own, with a small runtime of its own, and this waits for that thread: the test ends
    /// only once its database is gone. Errors are ignored, never raised: a panic here
    /// during a test's own panic would abort the whole test binary.
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        let dropper = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(drop_pg_database(&name));
            }
        });
        let _ = dropper.join();
    }
}

/// Drops the PostgreSQL database `name`, closing any connection still open to it.
async fn drop_pg_database(name: &str) {
    if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
        let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        let _ = conn.close().await;
    }
}

/// Declares one `#[tokio::test]` per engine for each listed `async fn(Engine)`, on a
/// multi-threaded runtime as the server runs (portal pages render on spawned tasks).
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::Engine::Postgres).await })*
        }
    };
}

/// The body of `PUT …/api/v1/crates/new` as cargo sends it: u32 LE length, metadata JSON,
/// u32 LE length, `.crate` bytes.
pub fn publish_body(metadata: &serde_json::Value, krate: &[u8]) -> Vec<u8> {
    let json = metadata.to_string().into_bytes();
    let mut body = (json.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(&json);
    body.extend_from_slice(&(krate.len() as u32).to_le_bytes());
    body.extend_from_slice(krate);
    body
}
