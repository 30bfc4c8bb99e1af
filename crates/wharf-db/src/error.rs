use thiserror::Error;

/// What can go wrong in the data layer. `NotFound` and `Conflict` carry a message fit to
/// show a user; the others are internal.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("database error")]
    Sqlx(#[from] sqlx::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// Whether the database could not be reached (down, restarting, the network between):
    /// the request may succeed if tried again shortly.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlx(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL's class 08 (connection exception) and 57P0x (shutting down).
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                e.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
            }
            _ => false,
        }
    }
}

/// Turns a unique-constraint violation into [`DbError::Conflict`] with `message`.
pub(crate) trait OnConflict<T> {
    fn on_conflict(self, message: impl FnOnce() -> String) -> DbResult<T>;
}

impl<T> OnConflict<T> for Result<T, sqlx::Error> {
    fn on_conflict(self, message: impl FnOnce() -> String) -> DbResult<T> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Conflict(message()),
            _ => DbError::Sqlx(e),
        })
    }
}

/// Turns a foreign-key violation (the row referred to was deleted meanwhile) into
/// [`DbError::NotFound`] with `message`.
pub(crate) trait OnMissingParent<T> {
    fn on_missing_parent(self, message: impl FnOnce() -> String) -> DbResult<T>;
}

impl<T> OnMissingParent<T> for DbResult<T> {
    fn on_missing_parent(self, message: impl FnOnce() -> String) -> DbResult<T> {
        self.map_err(|e| match &e {
            DbError::Sqlx(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => DbError::NotFound(message()),
            _ => e,
        })
    }
}
