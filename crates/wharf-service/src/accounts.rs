//! The first setup and signing in.

use std::net::IpAddr;

use wharf_auth::{
    accounts::{AccountError, Kind},
    sign_in::SignInError,
};
use wharf_db::User;

use crate::{Change, Core, CoreError, CoreResult};
use wharf_auth::Principal;

pub(crate) fn account_error(e: AccountError) -> CoreError {
    match e {
        AccountError::Invalid(errors) => CoreError::Invalid(errors),
        AccountError::Busy(busy) => busy.into(),
        AccountError::Db(e) => e.into(),
    }
}

/// Creates the first administrator, only while no account exists (once, however many try
/// at the same time).
pub async fn setup(core: &Core, name: &str, password: &str, confirm: &str) -> CoreResult<User> {
    let user = wharf_auth::accounts::create(&core.db, Kind::FirstAdmin, name, password, Some(confirm))
        .await
        .map_err(account_error)?;
    tracing::info!(user = %user.name, "first administrator created");
    let entry = crate::audit::Entry::instance("account.setup", &user.name).detail("first administrator");
    let principal = Principal::User { user: user.clone(), scope: wharf_core::TokenScope::Write, token: None };
    core.done(&principal, entry, Change::AccountCreated { user: user.id }).await;
    Ok(user)
}

/// Checks a name and password, with failed attempts limited per account and per address.
pub async fn sign_in(core: &Core, name: &str, password: &str, ip: Option<IpAddr>) -> CoreResult<User> {
    let outcome = wharf_auth::sign_in::sign_in(&core.db, name, password, ip).await;
    match outcome {
        Ok(user) => {
            tracing::info!(user = %user.name, "signed in");
            let by = crate::audit::Actor::user(&user, None);
            crate::audit::write(&core.db, by, &crate::audit::Entry::instance("account.sign-in", &user.name)).await;
            Ok(user)
        }
        Err(e @ (SignInError::Invalid | SignInError::TooManyAttempts { .. })) => {
            // Recorded against an account that exists only: a name typed wrong may be a
            // password, which the log must not keep.
            if let Ok((user, _)) = core.db.users().by_name(name.trim()).await {
                let entry = crate::audit::Entry::instance("account.sign-in-refused", &user.name).detail(e.to_string());
                crate::audit::write(&core.db, crate::audit::Actor::ANONYMOUS, &entry).await;
            }
            let message = e.to_string();
            Err(match e {
                SignInError::TooManyAttempts { minutes } => {
                    CoreError::Limited { message, retry_after: u64::try_from(minutes).unwrap_or(1) * 60 }
                }
                _ => CoreError::BadCredentials(message),
            })
        }
        Err(SignInError::Busy(busy)) => Err(busy.into()),
        Err(SignInError::Unavailable(e)) => Err(e.into()),
    }
}

/// Whether Wharf still waits for its first account (every page then leads to the setup).
pub async fn needs_setup(core: &Core) -> CoreResult<bool> {
    Ok(core.db.users().count().await? == 0)
}
