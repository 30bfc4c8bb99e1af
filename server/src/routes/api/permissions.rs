//! `…/feeds/{feed}/permissions`: who holds which role on a feed.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_core::Role;
use wharf_service::{Core, Need, roles};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::{ApiPath, FeedPath},
};

/// A user's role on the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Permission {
    user: String,
    #[schema(value_type = wharf_core::Role)]
    role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionList {
    count: usize,
    value: Vec<Permission>,
}

/// One change: a role for a user, or `null` to remove theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionChange {
    /// The user's name.
    user: String,
    /// The role to give, or `null` to remove the user's.
    #[schema(value_type = Option<wharf_core::Role>)]
    role: Option<String>,
}

async fn list_of(core: &Core, caller: &Caller, path: &FeedPath) -> ApiResult<Json<PermissionList>> {
    let value: Vec<_> = roles::list(core, &caller.0, &path.to_ref())
        .await?
        .into_iter()
        .map(|h| Permission { user: h.user, role: h.role })
        .collect();
    Ok(Json(PermissionList { count: value.len(), value }))
}

/// Who holds which role on the feed (Administrator or Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/permissions", operation_id = "getPermissions",
    tag = "permissions",
    responses(
        (status = 200, description = "Every role on the feed.", body = PermissionList),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<PermissionList>> {
    list_of(&core, &caller, &path).await
}

/// Applies every change or none: each user and role is checked first (Administrator; only
/// an Owner grants or removes Owner, and a feed keeps at least one).
#[utoipa::path(patch, path = "/{org}/_apis/packaging/feeds/{feed}/permissions", operation_id = "updatePermissions",
    tag = "permissions",
    request_body = Vec<PermissionChange>,
    responses(
        (status = 200, description = "Every role on the feed after the change.", body = PermissionList),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 422, description = "An unknown user or role, or a change that would leave the feed without \
            an Owner.", body = ErrorBody),
    ))]
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    changes: Unread<Vec<PermissionChange>>,
) -> ApiResult<Json<PermissionList>> {
    let feed = path.to_ref();
    let changes = changes.read_list_after(&core, &caller.0, Need::Feed(&feed, roles::NEEDS_TO_CHANGE)).await?;
    let changes: Vec<_> = changes.into_iter().map(|c| (c.user, c.role)).collect();
    roles::change(&core, &caller.0, &feed, &changes).await?;
    list_of(&core, &caller, &path).await
}
