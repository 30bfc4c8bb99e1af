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
    match wharf_auth::sign_in::sign_in(&core.db, name, password, ip).await {
        Ok(user) => {
            tracing::info!(user = %user.name, "signed in");
            Ok(user)
        }
        Err(e @ SignInError::Invalid) => Err(CoreError::BadCredentials(e.to_string())),
        Err(e @ SignInError::TooManyAttempts { minutes }) => {
            Err(CoreError::Limited { message: e.to_string(), retry_after: u64::try_from(minutes).unwrap_or(1) * 60 })
        }
        Err(SignInError::Busy(busy)) => Err(busy.into()),
        Err(SignInError::Unavailable(e)) => Err(e.into()),
    }
}

/// Whether Wharf still waits for its first account (every page then leads to the setup).
pub async fn needs_setup(core: &Core) -> CoreResult<bool> {
    Ok(core.db.users().count().await? == 0)
}
