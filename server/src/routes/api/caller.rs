//! The caller of a management API request: the one authentication step (token or
//! browser session) for REST, which also records the token's use.

use axum::{
    extract::FromRequestParts,
    http::{Method, header, request::Parts},
};
use tower_sessions::Session;
use wharf_auth::PrincipalError;

pub use crate::error::unauthenticated;
use crate::{access::Principal, error::ApiError, state::AppState};

/// The header a browser session's REST change must carry: the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who sent the request: the user of a personal access token (`Authorization` header), the
/// user signed in to the browser session, or anonymous. The session counts only without a
/// token. A change by session (anything but GET and HEAD) must come from this site
/// (`Origin`, `Sec-Fetch-Site`) and carry the session's CSRF token in `X-CSRF-Token`, so
/// another site cannot make a signed-in browser change anything, whatever the body. An
/// anonymous change is refused (401) here, so no handler reads an anonymous body.
pub struct Caller(pub Principal);

impl Caller {
    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<(&wharf_db::User, wharf_core::TokenScope), ApiError> {
        match &self.0 {
            Principal::User { user, scope, .. } => Ok((user, *scope)),
            Principal::Anonymous | Principal::Operator => Err(unauthenticated()),
        }
    }
}

fn refused(e: PrincipalError) -> ApiError {
    match e {
        PrincipalError::InvalidToken | PrincipalError::WrongPrefix => ApiError::Unauthorized(e.to_string()),
        // The database away is a 503 saying so; anything else is internal.
        PrincipalError::Unavailable(e) => wharf_service::CoreError::from(e).into(),
    }
}

/// Refuses a change made with a browser session unless it comes from this site with the
/// session's CSRF token.
async fn check_session_write(parts: &Parts, state: &AppState, session: &Session) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD) {
        return Ok(());
    }
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let cross_site = header("sec-fetch-site").is_some_and(|site| site != "same-origin");
    let origin = header(header::ORIGIN.as_str());
    let foreign_origin = origin.is_some_and(|o| !same_origin(o, state.core.public_url.as_str()));
    let token = header(CSRF_HEADER).unwrap_or_default();
    if cross_site || foreign_origin || !wharf_auth::session::csrf_matches(session, token).await {
        tracing::warn!(method = %parts.method, path = %parts.uri.path(), "REST change by session without CSRF token refused");
        return Err(ApiError::Forbidden(
            "A change made with a browser session must come from this site and carry the session's CSRF token \
             (X-CSRF-Token); scripts send a personal access token instead."
                .into(),
        ));
    }
    Ok(())
}

/// Whether an `Origin` header names the public URL's origin (scheme, host and port).
fn same_origin(origin: &str, public_url: &str) -> bool {
    let base = public_url.split('/').take(3).collect::<Vec<_>>().join("/");
    origin.eq_ignore_ascii_case(&base)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned();
        let caller = wharf_service::authn::authenticate(&state.core, &state.registry, &parts.headers, session.as_ref())
            .await
            .map_err(refused)?;
        if let (true, Some(session)) = (caller.by_session, &session) {
            check_session_write(parts, state, session).await?;
        }
        // No REST change is anonymous: refused here, before its body is read.
        if caller.principal == Principal::Anonymous && !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(unauthenticated());
        }
        Ok(Caller(caller.principal))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(super::same_origin("https://pkgs.example.com", "https://pkgs.example.com/wharf"));
        assert!(!super::same_origin("https://evil.example", "https://pkgs.example.com"));
        assert!(!super::same_origin("http://pkgs.example.com", "https://pkgs.example.com"));
        assert!(!super::same_origin("https://pkgs.example.com:444", "https://pkgs.example.com"));
    }
}
