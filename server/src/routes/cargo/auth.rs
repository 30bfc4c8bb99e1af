//! Who a Cargo request comes from, and whether [`authorize`] lets it through.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use wharf_db::Feed;

use super::text_error;
use crate::{
    access::{self, Denied, FeedAction, FeedStanding, Principal, authorize},
    auth::{PrincipalError, principal_from_headers},
    state::AppState,
};

/// The caller of a Cargo request, if it may do `action` on `feed`; otherwise the 401 or
/// 403 answer cargo understands.
pub(super) async fn check(
    state: &AppState,
    headers: &HeaderMap,
    feed: &Feed,
    action: FeedAction,
) -> Result<(Principal, FeedStanding), Response> {
    let principal = principal(state, headers).await?;
    let standing = standing(state, &principal, feed).await?;
    match authorize(&principal, &standing, action) {
        Ok(()) => Ok((principal, standing)),
        Err(Denied::Unauthenticated) => Err(unauthorized(
            state,
            "This feed needs a personal access token: configure a credential provider and run `cargo login --registry <name>`.",
        )),
        Err(Denied::Forbidden(message)) => Err(text_error(StatusCode::FORBIDDEN, message)),
    }
}

async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    match principal_from_headers(&state.ctx.db, headers).await {
        Ok((principal, token_id)) => {
            if let Some(id) = token_id {
                state.registry.token_used(id);
            }
            Ok(principal)
        }
        Err(e @ PrincipalError::WrongPrefix) => Err(unauthorized(state, &e.to_string())),
        Err(PrincipalError::InvalidToken) => Err(unauthorized(
            state,
            "The token is invalid, expired or revoked: create a new one and run `cargo login` again.",
        )),
        Err(PrincipalError::Unavailable(e)) => {
            tracing::error!(error = ?e, "checking a token failed");
            Err(text_error(StatusCode::SERVICE_UNAVAILABLE, "The token could not be checked; try again."))
        }
    }
}

async fn standing(state: &AppState, principal: &Principal, feed: &Feed) -> Result<FeedStanding, Response> {
    access::standing(&state.ctx.db, principal, feed).await.map_err(|e| {
        tracing::error!(error = ?e, "reading a feed role failed");
        text_error(StatusCode::SERVICE_UNAVAILABLE, "Permissions could not be read; try again.")
    })
}

/// 401 with the header that starts cargo's login flow.
fn unauthorized(state: &AppState, message: &str) -> Response {
    let login_url = state.ctx.public_url.join("/_user/tokens");
    let mut response = text_error(StatusCode::UNAUTHORIZED, format!("{message} Tokens: {login_url}"));
    if let Ok(value) = HeaderValue::from_str(&format!("Cargo login_url=\"{login_url}\"")) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response.into_response()
}
