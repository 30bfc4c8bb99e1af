//! `…/_apis/packaging/feeds[/{feed}]`: create, list, read, change and delete feeds, at
//! organization scope (`/{org}/…`) and project scope (`/{org}/{project}/…`).

use app::ssr::{AppContext, rfc3339};
use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tracing::instrument;
use wharf_core::{FeedDraft, FeedPatch, ScopeKind, Visibility};
use wharf_db::{Feed, Scope, feeds::FeedFilter};

use std::sync::Arc;

use super::caller::Caller;
use crate::{
    access::{self, FeedAction, OrgAction},
    error::ApiResult,
    registry::Registry,
    routes::api::ApiJson,
};

/// The path parameters of every feed route; `project` and `feed` are absent on some.
#[derive(Debug, Deserialize)]
pub struct FeedPath {
    org: String,
    project: Option<String>,
    feed: Option<String>,
}

impl FeedPath {
    pub(super) async fn scope(&self, ctx: &AppContext) -> ApiResult<Scope> {
        Ok(ctx.db.scopes().resolve(&self.org, self.project.as_deref()).await?)
    }

    pub(super) fn feed(&self) -> &str {
        self.feed.as_deref().unwrap_or_default()
    }

    /// The feed named by the path.
    pub(super) async fn load(&self, ctx: &AppContext) -> ApiResult<Feed> {
        let scope = self.scope(ctx).await?;
        Ok(ctx.db.feeds().get(&scope, self.feed()).await?)
    }

    /// The feed named by the path, if `caller` may do `action` on it.
    async fn authorized(&self, ctx: &AppContext, caller: &Caller, action: FeedAction) -> ApiResult<Feed> {
        let feed = self.load(ctx).await?;
        access::check(&ctx.db, &caller.0, &feed, action).await?;
        Ok(feed)
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScopeResource {
    #[serde(rename = "type")]
    kind: ScopeKind,
    org: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamSource {
    name: &'static str,
    protocol: &'static str,
    location: &'static str,
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
    index_url: String,
    connect_url: String,
    url: String,
    created_at: String,
    updated_at: String,
}

impl FeedResource {
    fn new(feed: &Feed, ctx: &AppContext) -> Self {
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
            upstream_sources: if feed.upstream_enabled {
                vec![UpstreamSource { name: "crates.io", protocol: "cargo", location: "https://crates.io" }]
            } else {
                Vec::new()
            },
            index_url: loc.index_url(&ctx.public_url),
            connect_url: ctx.public_url.join(&loc.connect_path()),
            url: ctx.public_url.join(&loc.rest_path()),
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
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project))]
pub async fn list(
    State(ctx): State<AppContext>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<FeedList>> {
    let scope = path.scope(&ctx).await?;
    let feeds = ctx.db.feeds().list(FeedFilter::Scope(&scope)).await?;
    // Only the feeds the caller may read: others are not even named.
    let feeds = access::readable(&ctx.db, &caller.0, scope.org_id, feeds).await?;
    let value: Vec<_> = feeds.iter().map(|f| FeedResource::new(f, &ctx)).collect();
    Ok(Json(FeedList { count: value.len(), value }))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %body.name))]
pub async fn create(
    State(ctx): State<AppContext>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJson(body): ApiJson<CreateFeed>,
) -> ApiResult<Response> {
    let draft = FeedDraft::parse(&body.name, body.description.as_deref(), &body.visibility, body.upstream_enabled)
        .map_err(crate::error::ApiError::Invalid)?;
    let scope = path.scope(&ctx).await?;
    access::check_org(&ctx.db, &caller.0, scope.org_id, OrgAction::CreateFeed).await?;
    // The creator owns the feed.
    let feed = ctx.db.feeds().create_owned(&scope, &draft, caller.0.user().map(|u| u.id)).await?;
    tracing::info!(feed.id = feed.id, "feed created");
    let resource = FeedResource::new(&feed, &ctx);
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed()))]
pub async fn get(
    State(ctx): State<AppContext>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<FeedResource>> {
    let feed = path.authorized(&ctx, &caller, FeedAction::Read).await?;
    Ok(Json(FeedResource::new(&feed, &ctx)))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed()))]
pub async fn update(
    State(ctx): State<AppContext>,
    State(registry): State<Arc<Registry>>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJson(body): ApiJson<UpdateFeed>,
) -> ApiResult<Json<FeedResource>> {
    path.authorized(&ctx, &caller, FeedAction::Administer).await?;
    let patch = FeedPatch {
        allow_anonymous_saves: body.allow_anonymous_saves,
        ..FeedPatch::parse(
            body.name.as_deref(),
            body.description.as_deref(),
            body.visibility.as_deref(),
            body.upstream_enabled,
        )
        .map_err(crate::error::ApiError::Invalid)?
    };
    let scope = path.scope(&ctx).await?;
    let feed = ctx.db.feeds().update(&scope, path.feed(), &patch).await?;
    registry.feeds_changed();
    Ok(Json(FeedResource::new(&feed, &ctx)))
}

#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed()))]
pub async fn delete(
    State(ctx): State<AppContext>,
    State(registry): State<Arc<Registry>>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<StatusCode> {
    path.authorized(&ctx, &caller, FeedAction::Own).await?;
    let scope = path.scope(&ctx).await?;
    ctx.db.feeds().delete(&scope, path.feed()).await?;
    registry.feeds_changed();
    tracing::info!("feed deleted");
    Ok(StatusCode::NO_CONTENT)
}
