//! Creating accounts: the one path for the setup page, the members page and the CLI.

use wharf_core::{FeedName, FieldErrors};
use wharf_db::{Db, DbError, User};

use crate::{PasswordError, hash_password};

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Fields to correct (`name`, `password`, `password2`).
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Busy(#[from] crate::password::HashingBusy),
    #[error("{0}")]
    Db(#[from] DbError),
}

/// Who is being created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The first administrator, on the setup page: refused once any account exists.
    FirstAdmin,
    User {
        admin: bool,
    },
}

/// Checks the fields, hashes the password and creates the account (a member of the
/// `default` organization). `confirm` is the repeated password, when a form asks for it.
pub async fn create(
    db: &Db,
    kind: Kind,
    name: &str,
    password: &str,
    confirm: Option<&str>,
) -> Result<User, AccountError> {
    let mut errors = FieldErrors::default();
    let name = match FeedName::parse(name.trim()) {
        Ok(name) => Some(name),
        Err(e) => {
            errors.push("name", e.to_string());
            None
        }
    };
    if let Err(e) = crate::password::check(password) {
        errors.push("password", e.to_string());
    }
    if confirm.is_some_and(|c| c != password) {
        errors.push("password2", "The two passwords differ.");
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AccountError::Invalid(errors));
    };
    let password = password.to_owned();
    let hash = crate::password::bounded(move || hash_password(&password))
        .await?
        .map_err(|e: PasswordError| AccountError::Invalid(field("password", e.to_string())))?;
    let created = match kind {
        Kind::FirstAdmin => db.users().create_first_admin(name.as_str(), &hash).await,
        Kind::User { admin } => db.users().create(name.as_str(), &hash, admin).await,
    };
    match created {
        Ok(user) => Ok(user),
        Err(DbError::Conflict(message)) if kind != Kind::FirstAdmin => {
            Err(AccountError::Invalid(field("name", message)))
        }
        Err(e) => Err(e.into()),
    }
}

fn field(name: &'static str, message: String) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.push(name, message);
    errors
}
