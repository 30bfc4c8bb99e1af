//! `…/feeds/{feed}/packages/{package}`: a package of a feed and its settings, and the
//! recycle bin.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use wharf_service::{Core, packages, rfc3339};

use super::{ApiJson, caller::Caller};
use crate::{
    error::ApiResult,
    routes::extract::{FeedPath, PackagePath, VersionPath},
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageResource {
    name: String,
    versions: Vec<VersionResource>,
    /// Off (the default): once the feed has a local version of this name, the upstream's
    /// versions are hidden, so nobody can slip a look-alike in (dependency confusion).
    allow_external_versions: bool,
}

#[derive(Debug, Serialize)]
pub struct VersionResource {
    version: String,
    origin: String,
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
                .map(|(version, origin, _)| VersionResource {
                    views: p.views.iter().filter(|(v, _)| *v == version).map(|(_, view)| view.clone()).collect(),
                    version,
                    origin,
                })
                .collect(),
            allow_external_versions: p.allow_external,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePackage {
    allow_external_versions: bool,
}

pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<PackagePath>,
) -> ApiResult<Json<PackageResource>> {
    Ok(Json(packages::get(&core, &caller.0, &path.to_ref()?).await?.into()))
}

/// Changes the package's settings: Administrator or Owner of the feed.
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<PackagePath>,
    ApiJson(body): ApiJson<UpdatePackage>,
) -> ApiResult<Json<PackageResource>> {
    let package = path.to_ref()?;
    Ok(Json(packages::set_allow_external(&core, &caller.0, &package, body.allow_external_versions).await?.into()))
}

/// `DELETE …/packages/{package}/versions/{version}`: to the recycle bin (Administrator or
/// Owner); the version vanishes from the index and downloads, its number stays reserved.
pub async fn delete_version(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> ApiResult<StatusCode> {
    packages::delete_version(&core, &caller.0, &path.to_ref()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecycledVersion {
    name: String,
    version: String,
    deleted_at: String,
    /// When it is purged for good.
    purged_at: String,
}

/// `GET …/feeds/{feed}/recycle-bin` (Administrator or Owner).
pub async fn recycle_bin(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<serde_json::Value>> {
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
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST …/feeds/{feed}/recycle-bin/{package}/versions/{version}/restore`.
pub async fn restore_version(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> ApiResult<StatusCode> {
    packages::restore_version(&core, &caller.0, &path.to_ref()?).await?;
    Ok(StatusCode::NO_CONTENT)
}
