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
