//! Server functions of the signed-in user: setup, sign in and out, personal access tokens.

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{SessionView, TokensView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::{CreatedToken, TokenView, UserView},
    ssr::{AppContext, check_csrf, redirect_to, refuse_with, rfc3339, session, signed_in},
};

/// Who is looking, whether Wharf still needs its first account, and (for a signed-in
/// user) the CSRF token of the page's forms. Creates no session for a visitor.
#[server(prefix = "/_fn", endpoint = "session_info")]
pub async fn session_info() -> Result<SessionView, PortalError> {
    let ctx = AppContext::current()?;
    let needs_setup = ctx.db.users().count().await? == 0;
    let principal = crate::ssr::principal(&ctx.db).await?;
    let Some(user) = principal.user() else {
        return Ok(SessionView { user: None, csrf: String::new(), needs_setup });
    };
    let csrf = wharf_auth::session::csrf_token(&session().await?).await.map_err(server_error)?;
    Ok(SessionView { user: Some(UserView { name: user.name.clone(), is_admin: user.is_admin }), csrf, needs_setup })
}

/// The CSRF token for a form shown to a visitor (sign-in, setup): starts a short session.
#[server(prefix = "/_fn", endpoint = "form_token")]
pub async fn form_token() -> Result<String, PortalError> {
    wharf_auth::session::csrf_token(&session().await?).await.map_err(server_error)
}

#[cfg(feature = "ssr")]
fn server_error(e: impl std::fmt::Display) -> PortalError {
    tracing::error!(error = %e, "session");
    PortalError::Server("the session could not be saved".into())
}

#[cfg(feature = "ssr")]
fn account_error(e: wharf_auth::accounts::AccountError) -> PortalError {
    match e {
        wharf_auth::accounts::AccountError::Invalid(errors) => {
            refuse_with(422);
            PortalError::Fields(errors)
        }
        wharf_auth::accounts::AccountError::Db(wharf_db::DbError::Conflict(message)) => {
            refuse_with(409);
            PortalError::Refused(message)
        }
        wharf_auth::accounts::AccountError::Db(e) => e.into(),
    }
}

/// Creates the first administrator (only while no account exists) and signs them in.
#[server(prefix = "/_fn", endpoint = "setup")]
pub async fn setup(
    #[server(default)] csrf: String,
    name: String,
    password: String,
    password2: String,
) -> Result<(), PortalError> {
    use wharf_auth::accounts::{Kind, create};
    let ctx = AppContext::current()?;
    let session = check_csrf(&csrf).await?;
    let user = create(&ctx.db, Kind::FirstAdmin, &name, &password, Some(&password2)).await.map_err(account_error)?;
    tracing::info!(user = %user.name, "first administrator created on the setup page");
    wharf_auth::session::sign_in(&session, &user).await.map_err(server_error)?;
    redirect_to("/");
    Ok(())
}

/// Signs in with a name and password; goes on to `next` (a path of this site).
#[server(prefix = "/_fn", endpoint = "sign_in")]
pub async fn sign_in(
    #[server(default)] csrf: String,
    name: String,
    password: String,
    next: Option<String>,
) -> Result<(), PortalError> {
    use wharf_auth::sign_in::SignInError;
    let ctx = AppContext::current()?;
    let session = check_csrf(&csrf).await?;
    let ip = crate::ssr::client_ip().await;
    let user = match wharf_auth::sign_in::sign_in(&ctx.db, &name, &password, ip).await {
        Ok(user) => user,
        Err(e @ SignInError::Invalid) => {
            refuse_with(401);
            return Err(PortalError::Refused(e.to_string()));
        }
        Err(e @ SignInError::TooManyAttempts { .. }) => {
            refuse_with(429);
            return Err(PortalError::Refused(e.to_string()));
        }
        Err(SignInError::Unavailable(e)) => return Err(e.into()),
    };
    wharf_auth::session::sign_in(&session, &user).await.map_err(server_error)?;
    tracing::info!(user = %user.name, "signed in");
    redirect_to(next.as_deref().filter(|n| !n.is_empty()).unwrap_or("/"));
    Ok(())
}

/// Signs out: the session is deleted from the database and its cookie cleared.
#[server(prefix = "/_fn", endpoint = "sign_out")]
pub async fn sign_out(#[server(default)] csrf: String) -> Result<(), PortalError> {
    let session = check_csrf(&csrf).await?;
    wharf_auth::session::sign_out(&session).await.map_err(server_error)?;
    redirect_to("/");
    Ok(())
}

/// The signed-in user's tokens, and the one just created (its secret shown this once).
#[server(prefix = "/_fn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<TokensView, PortalError> {
    let ctx = AppContext::current()?;
    let (_, user) = signed_in(&ctx.db).await?;
    let now = wharf_db::unix_now();
    let tokens = ctx
        .db
        .tokens()
        .list(user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            scope: t.scope.label().to_owned(),
            prefix: t.prefix,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
            expired: t.expires_at.is_some_and(|e| e <= now),
        })
        .collect();
    let created = wharf_auth::session::take_flash(&session().await?)
        .await
        .and_then(|v| serde_json::from_value::<CreatedToken>(v).ok());
    Ok(TokensView { tokens, created })
}

/// Creates a personal access token. The secret is kept in the session for the next view of
/// the tokens page only, which shows it once (with or without JavaScript).
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(
    #[server(default)] csrf: String,
    name: String,
    scope: Option<String>,
    expires_in_days: Option<String>,
) -> Result<(), PortalError> {
    use wharf_auth::IssueError;
    use wharf_core::{FieldErrors, TokenScope};
    let ctx = AppContext::current()?;
    let session = check_csrf(&csrf).await?;
    let (_, user) = signed_in(&ctx.db).await?;
    let mut errors = FieldErrors::default();
    let scope = match scope.as_deref().unwrap_or_default().parse::<TokenScope>() {
        Ok(scope) => Some(scope),
        Err(_) => {
            errors.push("scope", "Choose Packaging: read, or Packaging: read & write.");
            None
        }
    };
    let expires = match expires_in_days.as_deref().map(str::trim).unwrap_or_default() {
        "" | "never" => None,
        days => match days.parse::<u32>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push("expires_in_days", "Choose how long the token lasts.");
                None
            }
        },
    };
    let Some(scope) = scope.filter(|_| errors.is_empty()) else {
        refuse_with(422);
        return Err(PortalError::Fields(errors));
    };
    let (info, secret) = match wharf_auth::issue_token(&ctx.db, user.id, &name, scope, expires).await {
        Ok(issued) => issued,
        Err(IssueError::Invalid(mut errors)) => {
            for e in &mut errors.0 {
                if e.field == "expiresInDays" {
                    e.field = "expires_in_days".into();
                }
            }
            refuse_with(422);
            return Err(PortalError::Fields(errors));
        }
        Err(IssueError::Db(wharf_db::DbError::Conflict(message))) => {
            let mut errors = FieldErrors::default();
            errors.push("name", message);
            refuse_with(409);
            return Err(PortalError::Fields(errors));
        }
        Err(IssueError::Db(e)) => return Err(e.into()),
    };
    tracing::info!(user = %user.name, token = %info.name, "token created in the portal");
    let created = CreatedToken { name: info.name, secret };
    let value = serde_json::to_value(&created).map_err(server_error)?;
    wharf_auth::session::set_flash(&session, &value).await.map_err(server_error)?;
    redirect_to("/_user/tokens");
    Ok(())
}

/// Revokes one of the signed-in user's tokens; it stops working at once.
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(#[server(default)] csrf: String, id: i64) -> Result<(), PortalError> {
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let (_, user) = signed_in(&ctx.db).await?;
    ctx.db.tokens().revoke(user.id, wharf_db::TokenRef::Id(id)).await?;
    tracing::info!(user = %user.name, token.id = id, "token revoked in the portal");
    redirect_to("/_user/tokens");
    Ok(())
}
