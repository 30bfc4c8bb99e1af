//! Signing in with a name and password, with failed attempts limited per account and per
//! client address. Failures are counted in the database, so the limits hold across replicas.

use std::net::IpAddr;

use wharf_db::{Db, DbError, User};

use crate::verify_password;

/// Failed attempts allowed per account within [`WINDOW_SECS`].
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed attempts allowed per client address within [`WINDOW_SECS`].
pub const MAX_FAILURES_PER_IP: i64 = 20;
/// The window failures are counted over.
pub const WINDOW_SECS: i64 = 15 * 60;

/// Why signing in failed. The messages are the ones to show: a wrong name and a wrong
/// password read the same, so names cannot be probed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The user name or password is not right.")]
    Invalid,
    #[error("Too many failed sign-in attempts. Try again in {minutes} minute(s).")]
    TooManyAttempts { minutes: i64 },
    #[error("{0}")]
    Busy(crate::password::HashingBusy),
    #[error("Signing in is unavailable right now; try again.")]
    Unavailable(#[source] DbError),
}

/// A password hash nobody's password matches, verified when the name is unknown so that
/// unknown names take as long as wrong passwords.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2oTcCvfV9sLFk3Nfk2dD8KxMSZFHKuNLk3PZ9DuzqUI";

/// Checks a name and password. The attempt is recorded for the account and the address
/// *before* the password is checked, so concurrent attempts cannot slip past the limit;
/// one over the limit is refused without a check (and not counted). A right password
/// takes its attempt back and clears the account's failures.
pub async fn sign_in(db: &Db, name: &str, password: &str, ip: Option<IpAddr>) -> Result<User, SignInError> {
    let now = wharf_db::unix_now();
    let account = format!("user:{}", name.trim().to_ascii_lowercase());
    let address = ip.map(|ip| format!("ip:{ip}"));
    let mut subjects = vec![account.as_str()];
    subjects.extend(address.as_deref());
    let failures = db.sign_in_failures();
    let (attempt, counts) =
        failures.attempt(&subjects, now, now - WINDOW_SECS).await.map_err(SignInError::Unavailable)?;
    for ((count, oldest), limit) in counts.iter().zip([MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP]) {
        // `count` includes this attempt.
        if *count > limit {
            failures.forget(&attempt).await.map_err(SignInError::Unavailable)?;
            let frees_at = oldest.unwrap_or(now) + WINDOW_SECS;
            // Rounded up: "15 minutes" until a full minute has passed.
            return Err(SignInError::TooManyAttempts { minutes: ((frees_at - now + 59) / 60).max(1) });
        }
    }

    let found = match db.users().by_name(name.trim()).await {
        Ok(found) => Some(found),
        Err(DbError::NotFound(_)) => None,
        Err(e) => return Err(SignInError::Unavailable(e)),
    };
    let password = password.to_owned();
    let hash = found.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |(_, hash)| hash.clone());
    // Argon2 is deliberately slow: off the async workers, one per core at most.
    let matches = match crate::password::bounded(move || verify_password(&password, &hash)).await {
        Ok(matches) => matches,
        Err(busy) => {
            failures.forget(&attempt).await.map_err(SignInError::Unavailable)?;
            return Err(SignInError::Busy(busy));
        }
    };
    match found {
        Some((user, _)) if matches => {
            failures.forget(&attempt).await.map_err(SignInError::Unavailable)?;
            failures.clear(&account).await.map_err(SignInError::Unavailable)?;
            Ok(user)
        }
        _ => {
            tracing::warn!(account = %name.trim(), ip = ?ip, "failed sign-in");
            Err(SignInError::Invalid)
        }
    }
}
