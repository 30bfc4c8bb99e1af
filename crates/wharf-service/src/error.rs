//! The one error of the core. Each adapter (cargo, REST, portal) maps its kinds to its own
//! statuses in one place; the cargo side's outcomes (a bad publish body, a version held
//! back, quarantined or blocked, an upstream that failed) are kinds of it too.

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
    /// The request's body is not what the operation takes: a publish body or `.crate` that
    /// fails its checks.
    #[error("{0}")]
    BadBody(String),
    /// The version is there, but the feed's policies withhold it: held back by the
    /// cooldown, quarantined, or blocked by a security advisory.
    #[error("{0}")]
    Withheld(String),
    /// An upstream registry the operation needed did not give what it asked for.
    #[error("{0}")]
    UpstreamFailed(String),
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

/// A message as a sentence: capital first letter, final full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The outcomes of publish, yank and unyank as the core's kinds, which every adapter maps.
impl From<crate::registry::publish::PublishError> for CoreError {
    fn from(e: crate::registry::publish::PublishError) -> Self {
        use crate::registry::publish::PublishError as P;
        match e {
            P::Body(e @ wharf_index::publish::BodyError::CrateTooLarge { .. }) => {
                CoreError::TooLarge(sentence(&e.to_string()))
            }
            P::Body(e) => CoreError::BadBody(sentence(&e.to_string())),
            P::Crate(e) => CoreError::BadBody(sentence(&e.to_string())),
            P::Invalid(message) => CoreError::BadBody(message),
            P::Conflict(message) => CoreError::Conflict(message),
            P::NotFound(message) => CoreError::NotFound(message),
            e @ P::Busy => CoreError::Unavailable { message: e.to_string(), retry_after: 5 },
            other => CoreError::Internal(Box::new(other)),
        }
    }
}

/// The outcomes of a download as the core's kinds, which every adapter maps.
impl From<crate::registry::DownloadError> for CoreError {
    fn from(e: crate::registry::DownloadError) -> Self {
        use crate::registry::DownloadError as D;
        match e {
            e @ D::NotFound { .. } => CoreError::NotFound(e.to_string()),
            e @ D::SaveForbidden { .. } => CoreError::forbidden(e.to_string()),
            e @ (D::HeldBack { .. } | D::Quarantined { .. } | D::Advisory { .. }) => CoreError::Withheld(e.to_string()),
            e @ D::Upstream { .. } => CoreError::UpstreamFailed(e.to_string()),
            D::Db(e) => e.into(),
            D::Storage(e) => {
                tracing::error!(error = %e, "reading a crate file failed");
                CoreError::Unavailable {
                    message: "The crate file could not be read; try again.".into(),
                    retry_after: 5,
                }
            }
        }
    }
}

/// The outcomes of an index read as the core's kinds: an upstream that cannot answer for a
/// crate the feed holds nothing of is a passing outage (503).
impl From<crate::registry::IndexError> for CoreError {
    fn from(e: crate::registry::IndexError) -> Self {
        use crate::registry::IndexError as I;
        match e {
            e @ I::NotFound { .. } => CoreError::NotFound(e.to_string()),
            e @ I::UpstreamDown { .. } => CoreError::Unavailable { message: e.to_string(), retry_after: 5 },
            I::Db(e) => e.into(),
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
