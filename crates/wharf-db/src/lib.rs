//! Wharf's data layer. One [`Db`] handle over SQLite (the embedded default) or PostgreSQL,
//! chosen at run time from the database URL; one small repository per aggregate.

pub mod advisories;
pub mod audit;
pub mod bundles;
pub mod cooldown;
pub mod crate_files;
mod error;
pub mod feeds;
pub mod notify;
pub mod packages;
mod quarantine;
mod retention;
pub mod roles;
pub mod scopes;
pub mod sessions;
pub mod tokens;
pub mod upstream_files;
pub mod upstreams;
pub mod users;
mod versions;
pub mod views;
pub mod warm;
pub mod webhooks;

use std::str::FromStr;

use sqlx::{
    AnyPool,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

pub use advisories::{AdvisoryRepo, AdvisoryRow, Concerning, Imported};
pub use audit::{AuditFilter, AuditRepo, NewRecord, Record};
pub use bundles::{FeedVersion, ImportOutcome, ImportedVersion};
pub use cooldown::{CooldownRepo, Released};
pub use crate_files::{CrateFileRepo, Removal};
pub use error::{DbError, DbResult};
pub use feeds::{Feed, FeedRepo};
pub use packages::{
    BinnedVersion, LocalRow, LocalVersion, NewVersion, Origin, PackageFilter, PackageRepo, PackageSummary,
    StoredVersion, canonical_key, version_key,
};
pub use quarantine::Holding;
pub use retention::RetainedVersion;
pub use roles::{FeedRole, RoleRepo};
pub use scopes::{Scope, ScopeRepo};
pub use sessions::{KeyRepo, SessionRepo, SignInFailureRepo};
pub use tokens::{NewToken, TokenInfo, TokenRef, TokenRepo};
pub use upstream_files::{StoredIndexFile, UpstreamFileRepo};
pub use upstreams::{NewUpstream, UpstreamRepo, UpstreamRow};
pub use users::{User, UserRepo};
pub use versions::{VersionEntry, VersionRow};
pub use views::{Promotion, View, ViewRepo};
pub use warm::{Full, JobLimits, Tally, WarmJob, WarmOutcome, WarmRepo};
pub use webhooks::{DeliveryRow, WebhookRepo, WebhookRow};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the engine from a URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(DbError::Config(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            ))),
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// A connection pool plus the engine it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Kept for the connection that listens to other replicas.
    url: Secret,
}

/// A database URL, which may hold a password: never printed.
#[derive(Clone)]
struct Secret(std::sync::Arc<str>);

impl Secret {
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<database URL>")
    }
}

impl Db {
    /// Connects, applies pending migrations and creates the `default` organization and
    /// project when they are missing.
    pub async fn connect(url: &str) -> DbResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options =
            AnyConnectOptions::from_str(url).map_err(|e| DbError::Config(format!("invalid database URL: {e}")))?;
        let max = if backend == Backend::Sqlite { 8 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            // While PostgreSQL is away, requests fail within seconds (503) instead of
            // queueing for half a minute; the pool reconnects once it is back. (SQLite is
            // a file: waiting there means waiting for a writer.)
            .acquire_timeout(std::time::Duration::from_secs(if backend == Backend::Postgres { 3 } else { 30 }))
            .connect_with(options)
            .await
            .map_err(|e| DbError::Config(format!("cannot open the {backend:?} database: {e}")))?;
        let db = Db { pool, backend, url: Secret(url.into()) };
        if backend == Backend::Sqlite {
            // Write-ahead logging (kept in the database file): a commit is one fsync of the
            // log instead of a rollback journal's several, with the same durability (the
            // `synchronous` setting stays FULL), and readers no longer wait for a writer.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&db.pool)
                .await
                .map_err(|e| DbError::Config(format!("cannot switch the SQLite database to WAL: {e}")))?;
        }
        db.migrate().await?;
        db.scopes().ensure_defaults().await?;
        Ok(db)
    }

    async fn migrate(&self) -> DbResult<()> {
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|e| DbError::Config(format!("database migration failed: {e}")))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn feeds(&self) -> FeedRepo<'_> {
        FeedRepo::new(&self.pool)
    }

    pub fn packages(&self) -> PackageRepo<'_> {
        PackageRepo::new(&self.pool)
    }

    pub fn crate_files(&self) -> CrateFileRepo<'_> {
        CrateFileRepo::new(&self.pool)
    }

    pub fn users(&self) -> UserRepo<'_> {
        UserRepo::new(&self.pool)
    }

    pub fn roles(&self) -> RoleRepo<'_> {
        RoleRepo::new(&self.pool)
    }

    pub fn tokens(&self) -> TokenRepo<'_> {
        TokenRepo::new(&self.pool)
    }

    pub fn sessions(&self) -> SessionRepo<'_> {
        SessionRepo::new(&self.pool)
    }

    pub fn sign_in_failures(&self) -> SignInFailureRepo<'_> {
        SignInFailureRepo::new(&self.pool)
    }

    pub fn keys(&self) -> KeyRepo<'_> {
        KeyRepo::new(&self.pool)
    }

    pub fn upstream_files(&self) -> UpstreamFileRepo<'_> {
        UpstreamFileRepo::new(&self.pool)
    }

    pub fn advisories(&self) -> AdvisoryRepo<'_> {
        AdvisoryRepo::new(&self.pool)
    }

    pub fn audit(&self) -> AuditRepo<'_> {
        AuditRepo::new(&self.pool)
    }

    pub fn cooldown(&self) -> CooldownRepo<'_> {
        CooldownRepo::new(&self.pool)
    }

    pub fn upstreams(&self) -> UpstreamRepo<'_> {
        UpstreamRepo::new(&self.pool)
    }

    pub fn views(&self) -> ViewRepo<'_> {
        ViewRepo::new(&self.pool)
    }

    pub fn warm_jobs(&self) -> WarmRepo<'_> {
        WarmRepo::new(&self.pool)
    }

    pub fn webhooks(&self) -> WebhookRepo<'_> {
        WebhookRepo::new(&self.pool)
    }

    pub fn scopes(&self) -> ScopeRepo<'_> {
        ScopeRepo::new(&self.pool)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; pending work finishes first.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since the Unix epoch: the one timestamp format stored, identical on both engines.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) use unix_now as now;

/// Reads a boolean column: PostgreSQL stores `BOOLEAN`, SQLite `INTEGER` 0/1 (the Any
/// driver cannot map SQLite's `BOOLEAN` declared type).
pub(crate) fn get_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<bool, _>(column).or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

/// Reads a column holding a word of one of the core's closed sets.
pub(crate) fn get_word<T: std::str::FromStr<Err = String>>(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<String, _>(column)?.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

/// Version and description of each migration of one engine.
pub type MigrationList = Vec<(i64, String)>;

/// The migration files of both engines (SQLite, PostgreSQL), for the test that keeps them in step.
pub fn migration_versions() -> (MigrationList, MigrationList) {
    let list = |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect();
    (list(&SQLITE_MIGRATIONS), list(&POSTGRES_MIGRATIONS))
}
