//! `…/feeds/{feed}/packages/{package}`: a package of a feed and its settings, and the
//! recycle bin.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_service::{Core, Need, packages, rfc3339};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::{ApiPath, FeedPath, PackagePath, VersionPath},
};

/// A package of a feed: its versions and settings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageResource {
    name: String,
    versions: Vec<VersionResource>,
    /// Off (the default): once the feed has a local version of this name, the upstream's
    /// versions are hidden, so nobody can slip a look-alike in (dependency confusion).
    allow_external_versions: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResource {
    version: String,
    /// Where the version came from: `local` (published) or `upstream` (saved).
    origin: wharf_core::Origin,
    /// The views it was promoted to.
    views: Vec<String>,
}

impl From<packages::Package> for PackageResource {
    fn from(p: packages::Package) -> Self {
        PackageResource {
            name: p.name,
            versions: p
                .versions
                .into_iter()
                .map(|v| VersionResource {
                    views: p.views.iter().filter(|w| w.version == v.version).map(|w| w.view.clone()).collect(),
                    version: v.version,
                    origin: v.origin,
                })
                .collect(),
            allow_external_versions: p.allow_external,
        }
    }
}

/// `PATCH` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePackage {
    allow_external_versions: bool,
}

/// A package and its versions.
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}", operation_id = "getPackage",
    tag = "packages",
    security(()),
    responses(
        (status = 200, description = "The package.", body = PackageResource),
        (status = 404, description = "No such feed or package, or a feed the caller may not read.", body = ErrorBody),
    ))]
pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<PackagePath>,
) -> ApiResult<Json<PackageResource>> {
    Ok(Json(packages::get(&core, &caller.0, &path.to_ref()?).await?.into()))
}

/// Changes the package's settings: Administrator or Owner of the feed.
#[utoipa::path(patch, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}", operation_id = "updatePackage",
    tag = "packages",
    request_body = UpdatePackage,
    responses(
        (status = 200, description = "The package.", body = PackageResource),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or package, or a feed the caller may not read.", body = ErrorBody),
    ))]
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<PackagePath>,
    body: Unread<UpdatePackage>,
) -> ApiResult<Json<PackageResource>> {
    let package = path.to_ref()?;
    let body = body.read_after(&core, &caller.0, Need::Feed(&package.feed, packages::NEEDS_TO_MANAGE)).await?;
    Ok(Json(packages::set_allow_external(&core, &caller.0, &package, body.allow_external_versions).await?.into()))
}

/// `DELETE …/packages/{package}/versions/{version}`: to the recycle bin (Administrator or
/// Owner); the version vanishes from the index and downloads, its number stays reserved.
#[utoipa::path(delete, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/versions/{version}",
    operation_id = "deleteVersion", tag = "packages",
    responses(
        (status = 204, description = "Moved to the recycle bin."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, package or version.", body = ErrorBody),
    ))]
pub async fn delete_version(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<StatusCode> {
    packages::delete_version(&core, &caller.0, &path.to_ref()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A deleted version, kept until it is purged.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecycledVersion {
    name: String,
    version: String,
    deleted_at: String,
    /// When it is purged for good.
    purged_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecycleBin {
    count: usize,
    value: Vec<RecycledVersion>,
}

/// The feed's deleted versions (Administrator or Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/recycle-bin", operation_id = "listRecycleBin",
    tag = "packages",
    responses(
        (status = 200, description = "The deleted versions.", body = RecycleBin),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
pub async fn recycle_bin(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<RecycleBin>> {
    let value: Vec<_> = packages::recycle_bin(&core, &caller.0, &path.to_ref())
        .await?
        .into_iter()
        .map(|r| RecycledVersion {
            name: r.name,
            version: r.version,
            deleted_at: rfc3339(r.deleted_at),
            purged_at: rfc3339(r.purged_at),
        })
        .collect();
    Ok(Json(RecycleBin { count: value.len(), value }))
}

/// Restores a deleted version from the recycle bin (Administrator or Owner).
#[utoipa::path(post,
    path = "/{org}/_apis/packaging/feeds/{feed}/recycle-bin/{package}/versions/{version}/restore",
    operation_id = "restoreVersion", tag = "packages",
    responses(
        (status = 204, description = "Restored."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or no such version in its recycle bin.", body = ErrorBody),
        (status = 409, description = "The version cannot be restored now.", body = ErrorBody),
    ))]
pub async fn restore_version(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<StatusCode> {
    packages::restore_version(&core, &caller.0, &path.to_ref()?).await?;
    Ok(StatusCode::NO_CONTENT)
}
