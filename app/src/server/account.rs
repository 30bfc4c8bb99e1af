//! Server functions of the signed-in user: setup, sign in and out, personal access tokens.

use leptos::prelude::*;

use crate::model::CreatedToken;
use crate::{
    error::PortalError,
    model::{SessionView, TokensView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::{TokenView, UserView},
    ssr::{check_csrf, core, redirect_to, session, signed_in},
};
#[cfg(feature = "ssr")]
use wharf_service::rfc3339;

/// Who is looking, whether Wharf still needs its first account, and (for a signed-in
/// user) the CSRF token of the page's forms. Creates no session for a visitor.
#[server(prefix = "/_fn", endpoint = "session_info")]
pub async fn session_info() -> Result<SessionView, PortalError> {
    let core = core()?;
    let needs_setup = wharf_service::accounts::needs_setup(&core).await?;
    let principal = crate::ssr::principal(&core).await?;
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

/// Creates the first administrator (only while no account exists) and signs them in.
#[server(prefix = "/_fn", endpoint = "setup")]
pub async fn setup(
    #[server(default)] csrf: String,
    name: String,
    password: String,
    password2: String,
) -> Result<(), PortalError> {
    let core = core()?;
    let session = check_csrf(&csrf).await?;
    let user = wharf_service::accounts::setup(&core, &name, &password, &password2).await?;
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
    let core = core()?;
    let session = check_csrf(&csrf).await?;
    let ip = crate::ssr::client_ip().await;
    let user = wharf_service::accounts::sign_in(&core, &name, &password, ip).await?;
    wharf_auth::session::sign_in(&session, &user).await.map_err(server_error)?;
    // Only a path of this site, resolved against the public URL; anything else goes home.
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

/// The signed-in user's tokens, and the one just created, if this page is the answer to
/// creating it (the secret is shown in that answer only and stored nowhere).
#[server(prefix = "/_fn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<TokensView, PortalError> {
    let core = core()?;
    let (principal, _) = signed_in(&core).await?;
    let now = wharf_db::unix_now();
    let tokens = wharf_service::tokens::list(&core, &principal)
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
    Ok(TokensView { tokens, created: use_context::<CreatedToken>() })
}

/// Creates a personal access token and answers it (shown once, stored nowhere). The
/// tokens page's form posts to the page itself instead, whose answer shows the token.
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(
    #[server(default)] csrf: String,
    name: String,
    scope: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedToken, PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let (principal, _) = signed_in(&core).await?;
    let new = token_request(name, scope, expires_in_days)?;
    let (info, secret) = wharf_service::tokens::create(&core, &principal, &new).await.map_err(token_error)?;
    Ok(CreatedToken { name: info.name, secret })
}

/// The form's fields as the core takes them.
#[cfg(feature = "ssr")]
pub fn token_request(
    name: String,
    scope: Option<String>,
    expires_in_days: Option<String>,
) -> Result<wharf_service::tokens::NewToken, PortalError> {
    let expires_in_days = match expires_in_days.as_deref().map(str::trim).unwrap_or_default() {
        "" | "never" => None,
        days => Some(days.parse::<u32>().map_err(|_| {
            PortalError::from(wharf_service::CoreError::invalid("expires_in_days", "Choose how long the token lasts."))
        })?),
    };
    Ok(wharf_service::tokens::NewToken { name, scope: scope.unwrap_or_default(), expires_in_days })
}

/// The core's refusal of a token, with the form's field names.
#[cfg(feature = "ssr")]
pub fn token_error(e: wharf_service::CoreError) -> PortalError {
    use wharf_service::CoreError;
    match e {
        CoreError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                match e.field.as_str() {
                    "expiresInDays" => e.field = "expires_in_days".into(),
                    "scope" => e.message = "Choose Packaging: read, or Packaging: read & write.".into(),
                    _ => {}
                }
            }
            CoreError::Invalid(errors).into()
        }
        CoreError::Conflict(message) => {
            crate::ssr::refuse_with(409);
            let mut errors = wharf_core::FieldErrors::default();
            errors.push("name", message);
            PortalError::Fields(errors)
        }
        other => other.into(),
    }
}

/// Revokes one of the signed-in user's tokens; it stops working at once.
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(#[server(default)] csrf: String, id: i64) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let (principal, _) = signed_in(&core).await?;
    wharf_service::tokens::revoke(&core, &principal, wharf_db::TokenRef::Id(id)).await?;
    redirect_to(wharf_core::urls::pages::TOKENS);
    Ok(())
}
