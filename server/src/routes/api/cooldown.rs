//! The supply-chain guards over REST (Administrator or Owner):
//! `…/packages/{package}[/versions/{version}]/release-now` releases a version, or a whole
//! package, from the feed's upstream cooldown with a reason, and
//! `…/versions/{version}/quarantine` (`POST` with a reason, `DELETE` to lift) blocks a
//! version's downloads.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use wharf_service::{
    Core,
    cooldown::{self, Release},
    packages,
};

use super::{ApiJson, caller::Caller};
use crate::{
    error::ApiResult,
    routes::extract::{PackagePath, VersionPath},
};

/// The body: why it cannot wait.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseNow {
    reason: String,
}

pub async fn release_version(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
    ApiJson(body): ApiJson<ReleaseNow>,
) -> ApiResult<Json<serde_json::Value>> {
    let version = path.to_ref()?;
    let new = cooldown::release(&core, &caller.0, Release::Version(&version), &body.reason).await?;
    Ok(Json(serde_json::json!({ "package": version.package.name, "version": version.version, "released": new })))
}

pub async fn release_package(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<PackagePath>,
    ApiJson(body): ApiJson<ReleaseNow>,
) -> ApiResult<Json<serde_json::Value>> {
    let package = path.to_ref()?;
    let new = cooldown::release(&core, &caller.0, Release::Package(&package), &body.reason).await?;
    Ok(Json(serde_json::json!({ "package": package.name, "released": new })))
}

/// The body of a quarantine: why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quarantine {
    reason: String,
}

pub async fn quarantine(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
    ApiJson(body): ApiJson<Quarantine>,
) -> ApiResult<Json<serde_json::Value>> {
    let version = path.to_ref()?;
    let changed = packages::quarantine(&core, &caller.0, &version, Some(&body.reason)).await?;
    Ok(Json(
        serde_json::json!({ "package": version.package.name, "version": version.version, "quarantined": true, "changed": changed }),
    ))
}

pub async fn lift_quarantine(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> ApiResult<Json<serde_json::Value>> {
    let version = path.to_ref()?;
    let changed = packages::quarantine(&core, &caller.0, &version, None).await?;
    Ok(Json(
        serde_json::json!({ "package": version.package.name, "version": version.version, "quarantined": false, "changed": changed }),
    ))
}
