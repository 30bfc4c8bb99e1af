//! Establishing the caller of a request: from its `Authorization` header (cargo, REST) or
//! from its browser session (portal, REST).

use http::HeaderMap;
use wharf_core::TokenScope;
use wharf_db::{Db, DbError};

use crate::{TOKEN_PREFIX, access::Principal, hash_token, session, token_from_header};

/// Why the presented credentials were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error("The token is invalid, expired or revoked.")]
    InvalidToken,
    #[error("This is not a Wharf personal access token: they start with '{TOKEN_PREFIX}'.")]
    WrongPrefix,
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
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(PrincipalError::WrongPrefix);
    }
    match db.tokens().authenticate(&hash_token(&token)).await {
        Ok(Some((info, user))) => {
            Ok((Principal::User { user, scope: info.scope, token: Some(info.id) }, Some(info.id)))
        }
        Ok(None) => Err(PrincipalError::InvalidToken),
        Err(e) => Err(PrincipalError::Unavailable(e)),
    }
}

/// The caller of a browser request: the session's user, or anonymous. A user removed since
/// signing in is anonymous.
pub async fn principal_from_session(db: &Db, session: &tower_sessions::Session) -> Result<Principal, PrincipalError> {
    let Some(user_id) = session::user_id(session).await else {
        return Ok(Principal::Anonymous);
    };
    match db.users().by_id(user_id).await {
        Ok(user) => Ok(Principal::User { user, scope: TokenScope::Write, token: None }),
        Err(DbError::NotFound(_)) => Ok(Principal::Anonymous),
        Err(e) => Err(PrincipalError::Unavailable(e)),
    }
}
