//! `/_apis/tokens`: the caller's personal access tokens.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use wharf_core::TokenScope;
use wharf_db::{TokenInfo, TokenRef};

use wharf_service::{Core, rfc3339, tokens};

use super::{ApiJson, caller::Caller};
use crate::error::ApiResult;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    name: String,
    scope: String,
    expires_in_days: Option<u32>,
}

/// A token as listed; `token` only in the answer to its creation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResource {
    id: i64,
    name: String,
    scope: TokenScope,
    prefix: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// `POST /_apis/tokens`: a token for the caller; with a token, one capped at it.
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> ApiResult<Response> {
    let new = tokens::NewToken { name: body.name, scope: body.scope, expires_in_days: body.expires_in_days };
    let (info, secret) = tokens::create(&core, &caller.0, &new).await?;
    let mut resource = TokenResource::from(info);
    resource.token = Some(secret);
    Ok((StatusCode::CREATED, Json(resource)).into_response())
}

pub async fn list(State(core): State<Core>, caller: Caller) -> ApiResult<Json<Vec<TokenResource>>> {
    Ok(Json(tokens::list(&core, &caller.0).await?.into_iter().map(Into::into).collect()))
}

/// `DELETE /_apis/tokens/{id}` (write scope): the token and those minted with it.
pub async fn revoke(State(core): State<Core>, caller: Caller, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    tokens::revoke(&core, &caller.0, TokenRef::Id(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
