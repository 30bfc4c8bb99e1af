//! `…/feeds/{feed}/permissions`: who holds which role on a feed.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};
use wharf_core::Role;
use wharf_service::{Core, roles};

use super::{ApiJsonList, caller::Caller};
use crate::{error::ApiResult, routes::extract::FeedPath};

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

async fn list_of(core: &Core, caller: &Caller, path: &FeedPath) -> ApiResult<Json<PermissionList>> {
    let value: Vec<_> = roles::list(core, &caller.0, &path.to_ref())
        .await?
        .into_iter()
        .map(|(user, role)| Permission { user, role })
        .collect();
    Ok(Json(PermissionList { count: value.len(), value }))
}

pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<PermissionList>> {
    list_of(&core, &caller, &path).await
}

/// Applies every change or none: each user and role is checked first.
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJsonList(changes): ApiJsonList<PermissionChange>,
) -> ApiResult<Json<PermissionList>> {
    let feed = path.to_ref();
    let changes: Vec<_> = changes.into_iter().map(|c| (c.user, c.role)).collect();
    roles::change(&core, &caller.0, &feed, &changes).await?;
    list_of(&core, &caller, &path).await
}
