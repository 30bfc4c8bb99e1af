//! The supply-chain guards over REST (Administrator or Owner):
//! `…/packages/{package}[/versions/{version}]/release-now` releases a version, or a whole
//! package, from the feed's upstream cooldown with a reason, and
//! `…/versions/{version}/quarantine` (`POST` with a reason, `DELETE` to lift) blocks a
//! version's downloads.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_service::{
    Core, Need,
    cooldown::{self, Release},
    packages,
};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::{ApiPath, PackagePath, VersionPath},
};

/// The body: why it cannot wait.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseNow {
    reason: String,
}

/// A release from the cooldown.
#[derive(Debug, Serialize, ToSchema)]
pub struct Released {
    package: String,
    /// For a single version only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    version: Option<String>,
    /// Whether this made a new release (`false`: it was released already).
    released: bool,
}

/// Releases one version from the feed's upstream cooldown, with a reason (Administrator or
/// Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/versions/{version}/release-now",
    operation_id = "releaseVersion", tag = "supply chain",
    request_body = ReleaseNow,
    responses(
        (status = 200, description = "Released.", body = Released),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, package or version.", body = ErrorBody),
        (status = 422, description = "The reason is empty, too long or not on one line.", body = ErrorBody),
    ))]
pub async fn release_version(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
    body: Unread<ReleaseNow>,
) -> ApiResult<Json<Released>> {
    let version = path.to_ref()?;
    let need = Need::Feed(&version.package.feed, cooldown::NEEDS_TO_RELEASE);
    let body = body.read_after(&core, &caller.0, need).await?;
    let new = cooldown::release(&core, &caller.0, Release::Version(&version), &body.reason).await?;
    Ok(Json(Released { package: version.package.name, version: Some(version.version), released: new }))
}

/// Releases every version of a package from the feed's upstream cooldown, with a reason
/// (Administrator or Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/release-now",
    operation_id = "releasePackage", tag = "supply chain",
    request_body = ReleaseNow,
    responses(
        (status = 200, description = "Released.", body = Released),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or package.", body = ErrorBody),
        (status = 422, description = "The reason is empty, too long or not on one line.", body = ErrorBody),
    ))]
pub async fn release_package(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<PackagePath>,
    body: Unread<ReleaseNow>,
) -> ApiResult<Json<Released>> {
    let package = path.to_ref()?;
    let body = body.read_after(&core, &caller.0, Need::Feed(&package.feed, cooldown::NEEDS_TO_RELEASE)).await?;
    let new = cooldown::release(&core, &caller.0, Release::Package(&package), &body.reason).await?;
    Ok(Json(Released { package: package.name, version: None, released: new }))
}

/// The body of a quarantine: why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quarantine {
    reason: String,
}

/// A version's quarantine after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Quarantined {
    package: String,
    version: String,
    quarantined: bool,
    /// Whether this changed anything.
    changed: bool,
}

/// Quarantines a saved version: its downloads are refused with the reason and the index
/// marks it yanked (Administrator or Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/versions/{version}/quarantine",
    operation_id = "quarantineVersion", tag = "supply chain",
    request_body = Quarantine,
    responses(
        (status = 200, description = "Quarantined.", body = Quarantined),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, package or version.", body = ErrorBody),
        (status = 422, description = "The reason is empty, too long or not on one line.", body = ErrorBody),
    ))]
pub async fn quarantine(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
    body: Unread<Quarantine>,
) -> ApiResult<Json<Quarantined>> {
    let version = path.to_ref()?;
    let need = Need::Feed(&version.package.feed, packages::NEEDS_TO_MANAGE);
    let body = body.read_after(&core, &caller.0, need).await?;
    let changed = packages::quarantine(&core, &caller.0, &version, Some(&body.reason)).await?;
    Ok(Json(Quarantined { package: version.package.name, version: version.version, quarantined: true, changed }))
}

/// Lifts a version's quarantine (Administrator or Owner).
#[utoipa::path(delete,
    path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/versions/{version}/quarantine",
    operation_id = "liftQuarantine", tag = "supply chain",
    responses(
        (status = 200, description = "Not quarantined (any more).", body = Quarantined),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, package or version.", body = ErrorBody),
    ))]
pub async fn lift_quarantine(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<Json<Quarantined>> {
    let version = path.to_ref()?;
    let changed = packages::quarantine(&core, &caller.0, &version, None).await?;
    Ok(Json(Quarantined { package: version.package.name, version: version.version, quarantined: false, changed }))
}
