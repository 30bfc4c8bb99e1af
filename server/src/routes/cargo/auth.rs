//! Who a Cargo request comes from, and whether the core lets it through: the one
//! authentication step for cargo's routes, and the one mapping of refusals to the answers
//! cargo understands.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use wharf_service::CoreError;

use super::{CargoPath, text_error};
use crate::{
    access::{Denied, Principal},
    auth::PrincipalError,
    state::AppState,
};

/// Leave to publish into the feed a Cargo request names, from the core.
pub(super) async fn publish_ticket(
    state: &AppState,
    headers: &HeaderMap,
    path: &CargoPath,
) -> Result<wharf_service::publish::PublishTicket, CoreError> {
    let principal = principal(state, headers).await?;
    wharf_service::publish::admit(&state.core, &principal, &path.feed_ref()).await
}

/// The caller of a Cargo request, for an operation of the core that authorizes itself.
pub(super) async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Principal, CoreError> {
    principal(state, headers).await
}

/// The caller of a Cargo request, by its token (recording the token's use).
async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, CoreError> {
    match wharf_service::authn::authenticate(&state.core, &state.registry, headers, None).await {
        Ok(caller) => Ok(caller.principal),
        Err(e @ PrincipalError::WrongPrefix) => Err(CoreError::BadCredentials(e.to_string())),
        Err(PrincipalError::InvalidToken) => Err(CoreError::BadCredentials(
            "The token is invalid, expired or revoked: create a new one and run `cargo login` again.".into(),
        )),
        Err(PrincipalError::Unavailable(e)) => Err(e.into()),
    }
}

/// The one mapping from the core's refusals to cargo's plain-text answers.
pub(super) fn refusal(state: &AppState, e: CoreError) -> Response {
    match e {
        CoreError::Denied(Denied::Unauthenticated) => unauthorized(
            state,
            "This feed needs a personal access token: configure a credential provider and run `cargo login --registry <name>`.",
        ),
        CoreError::BadCredentials(message) => unauthorized(state, &message),
        CoreError::Denied(Denied::Forbidden(message)) => text_error(StatusCode::FORBIDDEN, message),
        CoreError::NotFound(message) => text_error(StatusCode::NOT_FOUND, message),
        CoreError::Invalid(errors) => text_error(StatusCode::BAD_REQUEST, errors.to_string()),
        CoreError::Conflict(message) => text_error(StatusCode::CONFLICT, message),
        CoreError::TooLarge(message) => text_error(StatusCode::PAYLOAD_TOO_LARGE, message),
        CoreError::BadBody(message) => text_error(StatusCode::BAD_REQUEST, message),
        CoreError::Withheld(message) => text_error(StatusCode::FORBIDDEN, message),
        CoreError::UpstreamFailed(message) => text_error(StatusCode::BAD_GATEWAY, message),
        CoreError::Limited { message, .. } => text_error(StatusCode::TOO_MANY_REQUESTS, message),
        CoreError::Unavailable { message, .. } => text_error(StatusCode::SERVICE_UNAVAILABLE, message),
        CoreError::Internal(e) => {
            tracing::error!(error = %e, "a Cargo request failed");
            text_error(StatusCode::SERVICE_UNAVAILABLE, "The feed could not be read from the database; try again.")
        }
    }
}

/// 401 with the header that starts cargo's login flow.
pub(super) fn unauthorized(state: &AppState, message: &str) -> Response {
    let login_url = state.core.public_url.join(wharf_core::urls::pages::TOKENS);
    let mut response = text_error(StatusCode::UNAUTHORIZED, format!("{message} Tokens: {login_url}"));
    if let Ok(value) = HeaderValue::from_str(&format!("Cargo login_url=\"{login_url}\"")) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response.into_response()
}
