//! `/_apis/tokens`: the caller's personal access tokens.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_core::TokenScope;
use wharf_db::{TokenInfo, TokenRef};

use wharf_service::{Core, rfc3339, tokens};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::ApiPath,
};

/// A new token for the caller.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    #[schema(value_type = wharf_core::TokenScope)]
    scope: String,
    /// Days until it expires; absent or `null`: never (a token minted with a token lives no
    /// longer than it).
    expires_in_days: Option<u32>,
}

/// A token as listed; `token` only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResource {
    id: i64,
    name: String,
    #[schema(value_type = wharf_core::TokenScope)]
    scope: TokenScope,
    /// The token's first characters, to recognise it by.
    prefix: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked: bool,
    /// The secret itself: in the answer to the creation only, and stored nowhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    token: Option<String>,
}

impl From<TokenInfo> for TokenResource {
    fn from(t: TokenInfo) -> Self {
        TokenResource {
            id: t.id,
            name: t.name,
            scope: t.scope,
            prefix: t.prefix,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
            token: None,
        }
    }
}

/// Mints a personal access token for the caller; minted with a token, it is capped at that
/// token's scope and lifetime.
#[utoipa::path(post, path = "/_apis/tokens", operation_id = "createToken", tag = "tokens",
    request_body = CreateToken,
    responses(
        (status = 201, description = "The new token, with its secret (shown this once).", body = TokenResource),
        (status = 403, description = "A token that may not mint this one.", body = ErrorBody),
        (status = 409, description = "The caller has a token of that name.", body = ErrorBody),
        (status = 422, description = "Invalid fields, one entry per field.", body = ErrorBody),
    ))]
pub async fn create(State(core): State<Core>, caller: Caller, body: Unread<CreateToken>) -> ApiResult<Response> {
    let body = body.read_after(&core, &caller.0, tokens::NEEDS_TO_CREATE).await?;
    let new = tokens::NewToken { name: body.name, scope: body.scope, expires_in_days: body.expires_in_days };
    let (info, secret) = tokens::create(&core, &caller.0, &new).await?;
    let mut resource = TokenResource::from(info);
    resource.token = Some(secret);
    Ok((StatusCode::CREATED, Json(resource)).into_response())
}

/// The caller's tokens (never their secrets).
#[utoipa::path(get, path = "/_apis/tokens", operation_id = "listTokens", tag = "tokens",
    responses(
        (status = 200, description = "The caller's tokens.", body = Vec<TokenResource>),
    ))]
pub async fn list(State(core): State<Core>, caller: Caller) -> ApiResult<Json<Vec<TokenResource>>> {
    Ok(Json(tokens::list(&core, &caller.0).await?.into_iter().map(Into::into).collect()))
}

/// Revokes one of the caller's tokens and those minted with it (read & write scope).
#[utoipa::path(delete, path = "/_apis/tokens/{id}", operation_id = "revokeToken", tag = "tokens",
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "A read-only token.", body = ErrorBody),
        (status = 404, description = "The caller has no such token.", body = ErrorBody),
    ))]
pub async fn revoke(State(core): State<Core>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    tokens::revoke(&core, &caller.0, TokenRef::Id(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
