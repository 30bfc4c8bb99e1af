//! Establishing the caller of a request from its `Authorization` header.

use axum::http::HeaderMap;
use wharf_db::Db;

use super::{hash_token, token_from_header};
use crate::access::Principal;

/// Why the presented credentials were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error("The token is invalid, expired or revoked.")]
    InvalidToken,
    #[error("The credentials could not be checked; try again.")]
    Unavailable(#[source] wharf_db::DbError),
}

/// The caller, from a personal access token in the `Authorization` header (raw, `Bearer`
/// or `Basic`); anonymous without one. Looked up on every request: a revoked token stops
/// working at once. Returns the token's id too, to record its use.
pub async fn principal_from_headers(db: &Db, headers: &HeaderMap) -> Result<(Principal, Option<i64>), PrincipalError> {
    let Some(token) = token_from_header(headers) else {
        return Ok((Principal::Anonymous, None));
    };
    match db.tokens().authenticate(&hash_token(&token)).await {
        Ok(Some((info, user))) => Ok((Principal::Token { user, scope: info.scope }, Some(info.id))),
        Ok(None) => Err(PrincipalError::InvalidToken),
        Err(e) => Err(PrincipalError::Unavailable(e)),
    }
}
