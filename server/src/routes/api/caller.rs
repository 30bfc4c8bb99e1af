//! The caller of a management API request.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{
    access::Principal,
    auth::{PrincipalError, principal_from_headers},
    error::ApiError,
    state::AppState,
};

/// Who sent the request: anonymous, or the user of a personal access token. (Browser
/// sessions come with the portal's sign-in.)
pub struct Caller(pub Principal);

impl Caller {
    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<(&wharf_db::User, wharf_core::TokenScope), ApiError> {
        match &self.0 {
            Principal::Token { user, scope } => Ok((user, *scope)),
            Principal::Anonymous => Err(unauthenticated()),
        }
    }
}

/// 401: the request needs a signed-in user.
pub fn unauthenticated() -> ApiError {
    ApiError::Unauthorized("Sign in, or send a personal access token (Authorization: Bearer <token>).".into())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match principal_from_headers(&state.ctx.db, &parts.headers).await {
            Ok((principal, token_id)) => {
                if let Some(id) = token_id {
                    state.registry.token_used(id);
                }
                Ok(Caller(principal))
            }
            Err(e @ PrincipalError::InvalidToken) => Err(ApiError::Unauthorized(e.to_string())),
            Err(PrincipalError::Unavailable(e)) => Err(ApiError::Internal(Box::new(e))),
        }
    }
}
