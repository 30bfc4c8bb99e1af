//! The one authentication step: who sent a request, from its personal access token
//! (`Authorization` header) or, without one, its browser session. A token's use is recorded
//! here (at most once a minute per token), so no adapter does it itself.

use http::HeaderMap;
use tower_sessions::Session;
use wharf_auth::{Principal, PrincipalError, principal_from_session};

use crate::{Core, registry::Registry};

/// The caller, and how they proved it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    /// Signed in through the browser session (so a change needs the session's CSRF token).
    pub by_session: bool,
}

/// Authenticates a request: its token when it has one (a wrong, expired or revoked token
/// is refused, never ignored), else its session when `session` is given, else anonymous.
pub async fn authenticate(
    core: &Core,
    registry: &Registry,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> Result<Authenticated, PrincipalError> {
    let (principal, token_id) = core.credentials.principal_from_headers(&core.db, headers).await?;
    if let Some(id) = token_id {
        registry.token_used(id);
        return Ok(Authenticated { principal, by_session: false });
    }
    match session {
        Some(session) => {
            let principal = principal_from_session(&core.db, session).await?;
            let by_session = principal.user().is_some();
            Ok(Authenticated { principal, by_session })
        }
        None => Ok(Authenticated { principal, by_session: false }),
    }
}

/// The caller of a browser request (the portal): the session's user, or anonymous.
pub async fn from_session(core: &Core, session: &Session) -> Result<Principal, PrincipalError> {
    principal_from_session(&core.db, session).await
}
