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

use super::{ApiJson, caller::Caller};
use crate::{
    auth::{IssueError, check_token_request, issue_token},
    error::{ApiError, ApiResult},
    state::AppState,
};

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
        use app::ssr::rfc3339;
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

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> ApiResult<Response> {
    let (user, caller_scope) = caller.require_user()?;
    let mut errors = check_token_request(&body.name, body.expires_in_days);
    let scope = body.scope.parse::<TokenScope>().map_err(|e| errors.push("scope", e)).ok();
    let Some(scope) = scope.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    if scope > caller_scope {
        return Err(ApiError::Forbidden("A Packaging: read token cannot create a read & write token.".into()));
    }
    let (info, secret) =
        issue_token(&state.ctx.db, user.id, &body.name, scope, body.expires_in_days).await.map_err(|e| match e {
            IssueError::Invalid(errors) => ApiError::Invalid(errors),
            IssueError::Db(e) => e.into(),
        })?;
    tracing::info!(user = %user.name, token.id = info.id, "token created");
    let mut resource = TokenResource::from(info);
    resource.token = Some(secret);
    Ok((StatusCode::CREATED, Json(resource)).into_response())
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<TokenResource>>> {
    let (user, _) = caller.require_user()?;
    Ok(Json(state.ctx.db.tokens().list(user.id).await?.into_iter().map(Into::into).collect()))
}

pub async fn revoke(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let (user, _) = caller.require_user()?;
    state.ctx.db.tokens().revoke(user.id, TokenRef::Id(id)).await?;
    tracing::info!(user = %user.name, token.id = id, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}
