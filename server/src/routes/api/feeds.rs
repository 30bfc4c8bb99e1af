//! `…/_apis/packaging/feeds[/{feed}]`: create, list, read, change and delete feeds, at
//! organization scope (`/{org}/…`) and project scope (`/{org}/{project}/…`).

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tracing::instrument;
use wharf_core::{ScopeKind, Visibility};
use wharf_db::Feed;
use wharf_service::{
    Core, FeedAction, feeds, rfc3339,
    upstreams::{self, SourceInfo},
};

use super::caller::Caller;
use crate::{
    error::ApiResult,
    routes::{
        api::ApiJson,
        extract::{FeedPath, ScopePath},
    },
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScopeResource {
    #[serde(rename = "type")]
    kind: ScopeKind,
    org: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<String>,
}

/// An upstream source as the API shows it: never its token.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamSource {
    name: String,
    kind: String,
    location: String,
    has_token: bool,
    last_success_at: Option<String>,
    last_error: Option<String>,
    last_error_at: Option<String>,
}

impl From<SourceInfo> for UpstreamSource {
    fn from(s: SourceInfo) -> Self {
        UpstreamSource {
            name: s.name,
            kind: s.kind,
            location: s.location,
            has_token: s.has_token,
            last_success_at: s.last_ok_at.map(rfc3339),
            last_error: s.last_error,
            last_error_at: s.last_error_at.map(rfc3339),
        }
    }
}

/// An upstream source as a request gives it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamSourceBody {
    name: String,
    kind: String,
    #[serde(default)]
    location: Option<String>,
    /// `sparse` only; absent keeps the token of an unchanged source.
    #[serde(default)]
    token: Option<String>,
}

/// A feed as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedResource {
    id: i64,
    name: String,
    description: String,
    visibility: Visibility,
    scope: ScopeResource,
    upstream_enabled: bool,
    allow_anonymous_saves: bool,
    upstream_sources: Vec<UpstreamSource>,
    /// Retention: keep at most this many versions of each package (0: no limit).
    retention_max_versions: i64,
    /// Retention: delete versions not downloaded for this many days (0: never).
    retention_days: i64,
    /// Upstream versions younger than this many days are held back (0: off).
    upstream_cooldown_days: i64,
    /// `warn`, `hide` or `block` versions a security advisory affects.
    advisory_policy: &'static str,
    /// Whether versions removed upstream stay in new resolution.
    keep_removed_upstream: bool,
    index_url: String,
    connect_url: String,
    url: String,
    created_at: String,
    updated_at: String,
}

impl FeedResource {
    /// The feed with its upstream sources read.
    async fn read(feed: &Feed, core: &Core) -> ApiResult<Self> {
        let rows = core.db.upstreams().list(feed.id).await.map_err(wharf_service::CoreError::from)?;
        Ok(Self::new(feed, core, upstreams::describe(core, &rows)))
    }

    fn new(feed: &Feed, core: &Core, sources: Vec<SourceInfo>) -> Self {
        let loc = feed.location();
        FeedResource {
            id: feed.id,
            name: feed.name.clone(),
            description: feed.description.clone(),
            visibility: feed.visibility,
            scope: ScopeResource {
                kind: if feed.project.is_some() { ScopeKind::Project } else { ScopeKind::Organization },
                org: feed.org.clone(),
                project: feed.project.clone(),
            },
            upstream_enabled: feed.upstream_enabled,
            allow_anonymous_saves: feed.allow_anonymous_saves,
            upstream_sources: sources.into_iter().map(UpstreamSource::from).collect(),
            retention_max_versions: feed.retention_max_versions.unwrap_or(0),
            retention_days: feed.retention_days.unwrap_or(0),
            upstream_cooldown_days: feed.upstream_cooldown_days.unwrap_or(0),
            advisory_policy: feed.advisory_policy.as_str(),
            keep_removed_upstream: feed.keep_removed_upstream,
            index_url: loc.index_url(&core.public_url),
            connect_url: core.public_url.join(&loc.connect_path()),
            url: core.public_url.join(&loc.rest_path()),
            created_at: rfc3339(feed.created_at),
            updated_at: rfc3339(feed.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FeedList {
    count: usize,
    value: Vec<FeedResource>,
}

/// `POST` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateFeed {
    name: String,
    #[serde(default)]
    description: Option<String>,
    visibility: String,
    #[serde(default)]
    upstream_enabled: bool,
}

/// `PATCH` body: only the fields present change.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateFeed {
    name: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
    upstream_enabled: Option<bool>,
    /// Public feeds: may anonymous users save versions from the upstream?
    allow_anonymous_saves: Option<bool>,
    /// Retention rules; 0 turns one off.
    retention_max_versions: Option<i64>,
    retention_days: Option<i64>,
    /// The whole ordered list of upstream sources.
    upstream_sources: Option<Vec<UpstreamSourceBody>>,
    /// Hold back upstream versions younger than this many days; 0 turns it off.
    upstream_cooldown_days: Option<i64>,
    /// `warn`, `hide` or `block` versions a security advisory affects.
    advisory_policy: Option<String>,
    /// Keep versions removed upstream in new resolution.
    keep_removed_upstream: Option<bool>,
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project))]
pub async fn list(State(core): State<Core>, caller: Caller, Path(path): Path<ScopePath>) -> ApiResult<Json<FeedList>> {
    let feeds = feeds::list(&core, &caller.0, &path.org, path.project.as_deref(), false).await?;
    let mut value = Vec::with_capacity(feeds.len());
    for feed in &feeds {
        value.push(FeedResource::read(feed, &core).await?);
    }
    Ok(Json(FeedList { count: value.len(), value }))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %body.name))]
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<ScopePath>,
    ApiJson(body): ApiJson<CreateFeed>,
) -> ApiResult<Response> {
    let new = feeds::NewFeed {
        org: path.org,
        project: path.project,
        name: body.name,
        description: body.description,
        visibility: body.visibility,
        upstream_enabled: body.upstream_enabled,
    };
    let feed = feeds::create(&core, &caller.0, &new).await?;
    let resource = FeedResource::read(&feed, &core).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<FeedResource>> {
    let found = path.to_ref().authorized(&core, &caller.0, FeedAction::Read).await?;
    Ok(Json(FeedResource::read(&found.feed, &core).await?))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJson(body): ApiJson<UpdateFeed>,
) -> ApiResult<Json<FeedResource>> {
    let changes = feeds::FeedChanges {
        name: body.name,
        description: body.description,
        visibility: body.visibility,
        upstream_enabled: body.upstream_enabled,
        allow_anonymous_saves: body.allow_anonymous_saves,
        retention_max_versions: body.retention_max_versions,
        retention_days: body.retention_days,
        upstream_sources: body.upstream_sources.map(|list| {
            list.into_iter()
                .map(|s| upstreams::SourceSpec { name: s.name, kind: s.kind, location: s.location, token: s.token })
                .collect()
        }),
        include_crates_io: None,
        upstream_cooldown_days: body.upstream_cooldown_days,
        advisory_policy: body.advisory_policy,
        keep_removed_upstream: body.keep_removed_upstream,
    };
    let feed = feeds::update(&core, &caller.0, &path.to_ref(), &changes).await?;
    Ok(Json(FeedResource::read(&feed, &core).await?))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn delete(State(core): State<Core>, caller: Caller, Path(path): Path<FeedPath>) -> ApiResult<StatusCode> {
    feeds::delete(&core, &caller.0, &path.to_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/feeds/{feed}/retention/preview`: what the feed's retention rules would move to
/// the recycle bin now (Administrator or Owner).
pub async fn retention_preview(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<serde_json::Value>> {
    let taken = wharf_service::retention::preview(&core, &caller.0, &path.to_ref(), wharf_db::unix_now()).await?;
    let value: Vec<_> = taken
        .iter()
        .map(|t| serde_json::json!({"package": t.package, "version": t.version, "reason": t.reason}))
        .collect();
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST …/feeds/{feed}/upstreams/{source}/test`: asks the source now and records the
/// answer as its last success or error (Administrator or Owner).
pub async fn test_upstream(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<SourcePath>,
) -> ApiResult<Json<serde_json::Value>> {
    let feed = wharf_service::FeedRef::new(&path.org, path.project.as_deref(), &path.feed);
    let outcome = upstreams::test(&core, &caller.0, &feed, &path.source).await?;
    Ok(Json(serde_json::json!({ "ok": outcome.ok, "message": outcome.message })))
}

/// `…/feeds/{feed}/upstreams/{source}`.
#[derive(Debug, Deserialize)]
pub struct SourcePath {
    org: String,
    project: Option<String>,
    feed: String,
    source: String,
}
