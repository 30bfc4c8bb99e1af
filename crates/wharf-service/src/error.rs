//! The one error of the core. Each adapter (cargo, REST, portal) maps its kinds to its own
//! statuses in one place.

use wharf_auth::{CheckError, Denied};
use wharf_core::FieldErrors;
use wharf_db::DbError;

pub type CoreResult<T> = Result<T, CoreError>;

/// Why an operation did not happen. Every message is fit to show to the caller; the
/// internals of [`CoreError::Internal`] are for the log only.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Nothing there, or nothing the caller may know of.
    #[error("{0}")]
    NotFound(String),
    /// Sign in first, or not allowed.
    #[error("{}", denied_message(.0))]
    Denied(Denied),
    /// A wrong name, password or token.
    #[error("{0}")]
    BadCredentials(String),
    /// Fields to correct, one entry per field.
    #[error("Correct the fields marked: {0}")]
    Invalid(FieldErrors),
    /// A name or number already taken, or a state that forbids the change.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts: wait `retry_after` seconds.
    #[error("{message}")]
    Limited { message: String, retry_after: u64 },
    /// Busy or unreachable right now: try again after `retry_after` seconds.
    #[error("{message}")]
    Unavailable { message: String, retry_after: u64 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn denied_message(denied: &Denied) -> String {
    match denied {
        Denied::Unauthenticated => "Sign in, or send a personal access token.".into(),
        Denied::Forbidden(message) => message.clone(),
    }
}

impl CoreError {
    /// One field to correct.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.push(field, message);
        CoreError::Invalid(errors)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        CoreError::Denied(Denied::Forbidden(message.into()))
    }
}

impl From<DbError> for CoreError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound(message) => CoreError::NotFound(message),
            DbError::Conflict(message) => CoreError::Conflict(message),
            other if other.is_unavailable() => {
                tracing::warn!(error = ?other, "the database cannot be reached");
                CoreError::Unavailable {
                    message: "The database cannot be reached right now; try again in a few seconds.".into(),
                    retry_after: 5,
                }
            }
            other => CoreError::Internal(Box::new(other)),
        }
    }
}

impl From<Denied> for CoreError {
    fn from(denied: Denied) -> Self {
        CoreError::Denied(denied)
    }
}

impl From<CheckError> for CoreError {
    fn from(err: CheckError) -> Self {
        match err {
            CheckError::Denied(d) => CoreError::Denied(d),
            CheckError::Db(e) => e.into(),
        }
    }
}

impl From<wharf_auth::HashingBusy> for CoreError {
    fn from(busy: wharf_auth::HashingBusy) -> Self {
        CoreError::Unavailable { message: busy.to_string(), retry_after: wharf_auth::HASH_RETRY_AFTER_SECS }
    }
}
