//! Cargo's web API (`…/Cargo/api/v1/…`): publish, yank, unyank, search and owners, with
//! errors in the JSON shape cargo prints (`{"errors":[{"detail":"…"}]}`).

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::CargoPath;
use wharf_service::{CoreError, PackageRef, VersionRef};

use crate::{
    access::Denied,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// A refusal of the core as cargo's web API answers it: a missing or bad token says how to
/// make one and log in.
fn refused(state: &AppState, e: CoreError) -> ApiError {
    let tokens = state.core.public_url.join(wharf_core::urls::pages::TOKENS);
    match e {
        CoreError::Denied(Denied::Unauthenticated) => ApiError::Unauthorized(format!(
            "This needs a personal access token: create one on {tokens} and run `cargo login --registry <name>`."
        )),
        CoreError::BadCredentials(message) => ApiError::Unauthorized(format!(
            "{message} Create a token on {tokens} and run `cargo login --registry <name>`."
        )),
        e => e.into(),
    }
}

/// `PUT …/api/v1/crates/new`: Contributor or more, with a read & write token.
#[tracing::instrument(name = "cargo.publish", skip_all, fields(feed = %path.feed))]
pub async fn publish(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let ticket = super::auth::publish_ticket(&state, &headers, &path).await.map_err(|e| refused(&state, e))?;
    // The whole body, bounded: the .crate limit plus room for the metadata and lengths. It
    // is read only now that the core let the caller publish here; a larger declared one,
    // not at all.
    let (limit, max_crate) = wharf_service::publish::body_limit(&state.core)?;
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "The publish request is larger than this feed accepts: .crate files up to {max_crate} bytes."
        ))
    };
    if crate::routes::body::declared_length(&headers).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let body = to_bytes(body, limit).await.map_err(|_| too_large())?;
    wharf_service::publish::publish(&state.core, ticket, body).await?;
    Ok(Json(json!({ "warnings": { "invalid_categories": [], "invalid_badges": [], "other": [] } })))
}

/// `DELETE …/api/v1/crates/{crate}/{version}/yank`.
pub async fn yank(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    set_yanked(state, path, headers, true).await
}

/// `PUT …/api/v1/crates/{crate}/{version}/unyank`.
pub async fn unyank(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    set_yanked(state, path, headers, false).await
}

async fn set_yanked(state: AppState, path: CargoPath, headers: HeaderMap, yanked: bool) -> ApiResult<Json<Value>> {
    let principal = super::auth::caller(&state, &headers).await.map_err(|e| refused(&state, e))?;
    let (krate, version) = (path.krate.as_deref().unwrap_or_default(), path.version.as_deref().unwrap_or_default());
    let version = PackageRef::new(path.feed_ref(), krate).and_then(|package| VersionRef::new(package, version));
    let done = match version {
        Ok(version) => wharf_service::packages::set_yanked(&state.core, &principal, &version, yanked).await,
        Err(e) => Err(e),
    };
    done.map_err(|e| refused(&state, e))?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    per_page: Option<usize>,
}

/// `GET …/api/v1/crates?q=`: the feed's packages (local and saved) whose name contains
/// the query, exact matches first, then prefixes, then the rest by name.
pub async fn search(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    Query(query): Query<SearchQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = super::auth::caller(&state, &headers).await.map_err(|e| refused(&state, e))?;
    let per_page = query.per_page.unwrap_or(10).clamp(1, 100);
    let (total, hits) = wharf_service::browse::search(&state.core, &principal, &path.feed_ref(), &query.q, per_page)
        .await
        .map_err(|e| refused(&state, e))?;
    let crates: Vec<Value> = hits
        .into_iter()
        .map(|h| json!({ "name": h.name, "max_version": h.max_version, "description": h.description }))
        .collect();
    Ok(Json(json!({ "crates": crates, "meta": { "total": total } })))
}

/// `GET …/api/v1/crates/{crate}/owners`: the feed's Owners and Contributors, who may
/// publish and yank the package.
pub async fn owners(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let principal = super::auth::caller(&state, &headers).await.map_err(|e| refused(&state, e))?;
    let krate = path.krate.as_deref().unwrap_or_default();
    let users: Vec<Value> = wharf_service::browse::owners(&state.core, &principal, &path.feed_ref(), krate)
        .await
        .map_err(|e| refused(&state, e))?
        .into_iter()
        .enumerate()
        .map(|(i, h)| json!({ "id": i + 1, "login": h.user, "name": format!("{} ({})", h.user, h.role) }))
        .collect();
    Ok(Json(json!({ "users": users })))
}

/// `PUT`/`DELETE …/api/v1/crates/{crate}/owners`: ownership follows feed roles here.
pub async fn change_owners(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let principal = super::auth::caller(&state, &headers).await.map_err(|e| refused(&state, e))?;
    let krate = path.krate.as_deref().unwrap_or_default();
    wharf_service::browse::owners(&state.core, &principal, &path.feed_ref(), krate)
        .await
        .map_err(|e| refused(&state, e))?;
    Err(ApiError::BadRequest(
        "Owners of a crate in a Wharf feed are the feed's Owners and Contributors: grant or remove roles on the \
         feed's Permissions page (or PATCH …/_apis/packaging/feeds/{feed}/permissions)."
            .into(),
    ))
}
