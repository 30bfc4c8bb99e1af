//! The caller of a management API request.

use axum::{extract::FromRequestParts, http::request::Parts};
use tower_sessions::Session;
use wharf_auth::{PrincipalError, principal_from_headers, principal_from_session};

use crate::{access::Principal, error::ApiError, state::AppState};

/// Who sent the request: the user of a personal access token (`Authorization` header), the
/// user signed in to the browser session, or anonymous. The session counts only without a
/// token. A session-authenticated browser cannot be made to send a cross-site request here
/// that changes anything: changes need a JSON body or a DELETE, both of which a foreign
/// page cannot send without CORS (which Wharf never grants), and the cookie is SameSite.
pub struct Caller(pub Principal);

impl Caller {
    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<(&wharf_db::User, wharf_core::TokenScope), ApiError> {
        match &self.0 {
            Principal::User { user, scope } => Ok((user, *scope)),
            Principal::Anonymous => Err(unauthenticated()),
        }
    }
}

/// 401: the request needs a signed-in user.
pub fn unauthenticated() -> ApiError {
    ApiError::Unauthorized("Sign in, or send a personal access token (Authorization: Bearer <token>).".into())
}

fn refused(e: PrincipalError) -> ApiError {
    match e {
        PrincipalError::InvalidToken | PrincipalError::WrongPrefix => ApiError::Unauthorized(e.to_string()),
        PrincipalError::Unavailable(e) => ApiError::Internal(Box::new(e)),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let db = &state.ctx.db;
        let (principal, token_id) = principal_from_headers(db, &parts.headers).await.map_err(refused)?;
        if let Some(id) = token_id {
            state.registry.token_used(id);
            return Ok(Caller(principal));
        }
        match parts.extensions.get::<Session>() {
            Some(session) => Ok(Caller(principal_from_session(db, session).await.map_err(refused)?)),
            None => Ok(Caller(principal)),
        }
    }
}
