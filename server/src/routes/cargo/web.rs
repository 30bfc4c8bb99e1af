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
use wharf_core::Role;
use wharf_db::{Feed, User};

use super::CargoPath;
use wharf_service::CoreError;

use crate::{
    access::{Denied, FeedAction, Principal},
    error::{ApiError, ApiResult},
    registry::publish::PublishError,
    state::AppState,
};

/// The feed of `path`, if the caller (by token) may do `action` on it.
async fn feed_for(
    state: &AppState,
    path: &CargoPath,
    headers: &HeaderMap,
    action: FeedAction,
) -> ApiResult<(std::sync::Arc<Feed>, Principal)> {
    let tokens = state.core.public_url.join(wharf_core::urls::pages::TOKENS);
    match super::auth::authorized(state, headers, path, action).await {
        Ok((feed, principal, _)) => Ok((feed, principal)),
        Err(CoreError::Denied(Denied::Unauthenticated)) => Err(ApiError::Unauthorized(format!(
            "This needs a personal access token: create one on {tokens} and run `cargo login --registry <name>`."
        ))),
        Err(CoreError::BadCredentials(message)) => Err(ApiError::Unauthorized(format!(
            "{message} Create a token on {tokens} and run `cargo login --registry <name>`."
        ))),
        Err(e) => Err(e.into()),
    }
}

fn user_of(principal: &Principal) -> ApiResult<&User> {
    principal.user().ok_or_else(|| ApiError::Unauthorized("This needs a personal access token.".into()))
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Body(e @ wharf_index::publish::BodyError::CrateTooLarge { .. }) => {
                ApiError::PayloadTooLarge(sentence(&e.to_string()))
            }
            PublishError::Body(e) => ApiError::BadRequest(sentence(&e.to_string())),
            PublishError::Crate(e) => ApiError::BadRequest(sentence(&e.to_string())),
            PublishError::Invalid(message) => ApiError::BadRequest(message),
            PublishError::Conflict(message) => ApiError::Conflict(message),
            PublishError::NotFound(message) => ApiError::NotFound(message),
            e @ PublishError::Busy => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(Box::new(other)),
        }
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
    let (feed, principal) = feed_for(&state, &path, &headers, FeedAction::Write).await?;
    let user = user_of(&principal)?;
    // The whole body, bounded: the .crate limit plus room for the metadata and lengths.
    let limit = state.registry.max_crate_size + wharf_index::publish::MAX_METADATA_LEN + 8;
    let body = to_bytes(body, limit).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "The publish request is larger than this feed accepts: .crate files up to {} bytes.",
            state.registry.max_crate_size
        ))
    })?;
    state.registry.publish(&feed, user, body).await?;
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
    let (feed, _) = feed_for(&state, &path, &headers, FeedAction::Write).await?;
    let (krate, version) = (path.krate.as_deref().unwrap_or_default(), path.version.as_deref().unwrap_or_default());
    state.registry.set_yanked(&feed, krate, version, yanked).await?;
    tracing::info!(%krate, %version, yanked, "yank changed");
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
    let (feed, _) = feed_for(&state, &path, &headers, FeedAction::Read).await?;
    let q = query.q.trim().to_ascii_lowercase().replace('-', "_");
    let per_page = query.per_page.unwrap_or(10).clamp(1, 100);
    let db = &state.core.db;
    let mut found = Vec::new();
    for package in db.packages().list(feed.id, "").await? {
        let key = wharf_db::canonical_key(&package.name);
        let rank = if key == q {
            0
        } else if key.starts_with(&q) {
            1
        } else if key.contains(&q) {
            2
        } else {
            continue;
        };
        found.push((rank, package.name));
    }
    found.sort();
    let total = found.len();
    let mut crates = Vec::new();
    for (_, name) in found.into_iter().take(per_page) {
        let versions = db.packages().versions(feed.id, &name.to_ascii_lowercase()).await?;
        let max_version = versions
            .iter()
            .filter_map(|(v, _, _)| semver::Version::parse(v).ok())
            .max()
            .map(|v| v.to_string())
            .unwrap_or_default();
        let description = db.packages().description(feed.id, &name.to_ascii_lowercase()).await?.unwrap_or_default();
        crates.push(json!({ "name": name, "max_version": max_version, "description": description }));
    }
    Ok(Json(json!({ "crates": crates, "meta": { "total": total } })))
}

/// `GET …/api/v1/crates/{crate}/owners`: the feed's Owners and Contributors, who may
/// publish and yank the package.
pub async fn owners(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let (feed, _) = feed_for(&state, &path, &headers, FeedAction::Read).await?;
    let krate = path.krate.as_deref().unwrap_or_default();
    if state.core.db.packages().versions(feed.id, &krate.to_ascii_lowercase()).await?.is_empty() {
        return Err(ApiError::NotFound(format!("This feed has no crate named `{krate}`.")));
    }
    let users: Vec<Value> = state
        .core
        .db
        .roles()
        .list(feed.id)
        .await?
        .into_iter()
        .filter(|(_, role)| matches!(role, Role::Owner | Role::Contributor))
        .enumerate()
        .map(|(i, (name, role))| json!({ "id": i + 1, "login": name, "name": format!("{name} ({role})") }))
        .collect();
    Ok(Json(json!({ "users": users })))
}

/// `PUT`/`DELETE …/api/v1/crates/{crate}/owners`: ownership follows feed roles here.
pub async fn change_owners(
    State(state): State<AppState>,
    Path(path): Path<CargoPath>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    feed_for(&state, &path, &headers, FeedAction::Read).await?;
    Err(ApiError::BadRequest(
        "Owners of a crate in a Wharf feed are the feed's Owners and Contributors: grant or remove roles on the \
         feed's Permissions page (or PATCH …/_apis/packaging/feeds/{feed}/permissions)."
            .into(),
    ))
}

/// A message as a sentence: capital first letter, final full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
