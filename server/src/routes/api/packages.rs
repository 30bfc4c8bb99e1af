//! `…/feeds/{feed}/packages/{package}`: a package of a feed and its settings.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};

use super::{ApiJson, caller::Caller};
use crate::{
    access::{self, FeedAction},
    error::{ApiError, ApiResult},
    registry::Registry,
    state::AppState,
};

#[derive(Debug, Deserialize)]
pub struct PackagePath {
    org: String,
    project: Option<String>,
    feed: String,
    package: String,
}

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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePackage {
    allow_external_versions: bool,
}

async fn load(
    state: &AppState,
    caller: &Caller,
    path: &PackagePath,
    action: FeedAction,
) -> ApiResult<(wharf_db::Feed, String)> {
    let db = &state.ctx.db;
    let scope = db.scopes().resolve(&path.org, path.project.as_deref()).await?;
    let feed = db.feeds().get(&scope, &path.feed).await?;
    access::check(db, &caller.0, &feed, action).await?;
    let key = path.package.to_ascii_lowercase();
    if db.packages().versions(feed.id, &key).await?.is_empty() {
        return Err(ApiError::NotFound(format!("Feed '{}' has no package '{}'.", feed.name, path.package)));
    }
    Ok((feed, key))
}

async fn resource(state: &AppState, feed: &wharf_db::Feed, key: &str) -> ApiResult<PackageResource> {
    let db = &state.ctx.db;
    let versions = db.packages().versions(feed.id, key).await?;
    let guard = db.packages().guard(feed.id, &wharf_db::canonical_key(key)).await?;
    let name = db.packages().list(feed.id, key).await?.into_iter().find(|p| p.name.eq_ignore_ascii_case(key));
    Ok(PackageResource {
        name: name.map_or_else(|| key.to_owned(), |p| p.name),
        versions: versions.into_iter().map(|(version, origin, _)| VersionResource { version, origin }).collect(),
        allow_external_versions: guard == Some(true),
    })
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<PackagePath>,
) -> ApiResult<Json<PackageResource>> {
    let (feed, key) = load(&state, &caller, &path, FeedAction::Read).await?;
    Ok(Json(resource(&state, &feed, &key).await?))
}

/// Changes the package's settings: Administrator or Owner of the feed.
pub async fn update(
    State(state): State<AppState>,
    State(registry): State<Arc<Registry>>,
    caller: Caller,
    Path(path): Path<PackagePath>,
    ApiJson(body): ApiJson<UpdatePackage>,
) -> ApiResult<Json<PackageResource>> {
    let (feed, key) = load(&state, &caller, &path, FeedAction::Administer).await?;
    state.ctx.db.packages().set_allow_external(feed.id, &key, body.allow_external_versions).await?;
    registry.crate_changed(feed.id, &key);
    tracing::info!(feed = %feed.name, package = %key, allow = body.allow_external_versions, "package setting changed");
    Ok(Json(resource(&state, &feed, &key).await?))
}

#[derive(Debug, Deserialize)]
pub struct VersionPath {
    org: String,
    project: Option<String>,
    feed: String,
    package: String,
    version: String,
}

impl VersionPath {
    fn package(&self) -> PackagePath {
        PackagePath {
            org: self.org.clone(),
            project: self.project.clone(),
            feed: self.feed.clone(),
            package: self.package.clone(),
        }
    }
}

/// `DELETE …/packages/{package}/versions/{version}`: to the recycle bin (Administrator or
/// Owner); the version vanishes from the index and downloads, its number stays reserved.
pub async fn delete_version(
    State(state): State<AppState>,
    State(registry): State<Arc<Registry>>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> ApiResult<axum::http::StatusCode> {
    let (feed, key) = load(&state, &caller, &path.package(), FeedAction::Administer).await?;
    registry.set_deleted(feed.id, &key, &path.version, true).await?;
    tracing::info!(feed = %feed.name, package = %key, version = %path.version, "version moved to the recycle bin");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct FeedOnlyPath {
    org: String,
    project: Option<String>,
    feed: String,
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
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<FeedOnlyPath>,
) -> ApiResult<Json<serde_json::Value>> {
    let db = &state.ctx.db;
    let scope = db.scopes().resolve(&path.org, path.project.as_deref()).await?;
    let feed = db.feeds().get(&scope, &path.feed).await?;
    access::check(db, &caller.0, &feed, FeedAction::Administer).await?;
    let value: Vec<_> = db
        .packages()
        .recycle_bin(feed.id)
        .await?
        .into_iter()
        .map(|(name, version, at)| RecycledVersion {
            name,
            version,
            deleted_at: app::ssr::rfc3339(at),
            purged_at: app::ssr::rfc3339(at + crate::registry::RECYCLE_BIN_DAYS * 86_400),
        })
        .collect();
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST …/feeds/{feed}/recycle-bin/{package}/versions/{version}/restore`.
pub async fn restore_version(
    State(state): State<AppState>,
    State(registry): State<Arc<Registry>>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> ApiResult<axum::http::StatusCode> {
    let db = &state.ctx.db;
    let scope = db.scopes().resolve(&path.org, path.project.as_deref()).await?;
    let feed = db.feeds().get(&scope, &path.feed).await?;
    access::check(db, &caller.0, &feed, FeedAction::Administer).await?;
    registry.set_deleted(feed.id, &path.package, &path.version, false).await?;
    tracing::info!(feed = %feed.name, package = %path.package, version = %path.version, "version restored");
    Ok(axum::http::StatusCode::NO_CONTENT)
}
