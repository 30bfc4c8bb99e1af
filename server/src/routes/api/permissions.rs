//! `…/feeds/{feed}/permissions`: who holds which role on a feed.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};
use wharf_core::Role;
use wharf_db::Feed;

use wharf_auth::roles::change_roles;

use super::{ApiJsonList, caller::Caller, feeds::FeedPath};
use crate::{
    access::{self, FeedAction},
    error::{ApiError, ApiResult},
    state::AppState,
};

#[derive(Debug, Serialize)]
pub struct Permission {
    user: String,
    role: Role,
}

#[derive(Debug, Serialize)]
pub struct PermissionList {
    count: usize,
    value: Vec<Permission>,
}

/// One change: a role for a user, or `null` to remove theirs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionChange {
    user: String,
    role: Option<String>,
}

/// The feed at `path`, if the caller may administer it.
async fn administered_feed(state: &AppState, caller: &Caller, path: &FeedPath) -> ApiResult<Feed> {
    let feed = path.load(&state.ctx).await?;
    access::check(&state.ctx.db, &caller.0, &feed, FeedAction::Administer).await?;
    Ok(feed)
}

async fn list_of(state: &AppState, feed: &Feed) -> ApiResult<Json<PermissionList>> {
    let value: Vec<_> =
        state.ctx.db.roles().list(feed.id).await?.into_iter().map(|(user, role)| Permission { user, role }).collect();
    Ok(Json(PermissionList { count: value.len(), value }))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<PermissionList>> {
    let feed = administered_feed(&state, &caller, &path).await?;
    list_of(&state, &feed).await
}

/// Applies every change or none: each user and role is checked first.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJsonList(changes): ApiJsonList<PermissionChange>,
) -> ApiResult<Json<PermissionList>> {
    // Authorize before looking at the changes: refused callers learn nothing about users.
    let feed = administered_feed(&state, &caller, &path).await?;
    // Every bad user and role is reported at once; nothing changes unless all are good.
    let mut parsed = Vec::with_capacity(changes.len());
    let mut errors = wharf_core::FieldErrors::default();
    for (i, change) in changes.into_iter().enumerate() {
        match state.ctx.db.users().by_name(&change.user).await {
            Ok(_) => {}
            Err(wharf_db::DbError::NotFound(message)) => errors.push(&format!("[{i}].user"), message),
            Err(other) => return Err(other.into()),
        }
        match change.role.as_deref().map(str::parse::<Role>).transpose() {
            Ok(role) => parsed.push((change.user, role)),
            Err(message) => errors.push(&format!("[{i}].role"), message),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    change_roles(&state.ctx.db, &caller.0, &feed, &parsed).await?;
    list_of(&state, &feed).await
}
