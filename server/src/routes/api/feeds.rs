//! `…/_apis/packaging/feeds[/{feed}]`: create, list, read, change and delete feeds, at
//! organization scope (`/{org}/…`) and project scope (`/{org}/{project}/…`).

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use tracing::instrument;
use utoipa::ToSchema;
use wharf_core::{FeedSettings, ScopeKind, Visibility};
use wharf_db::Feed;
use wharf_service::Principal;
use wharf_service::{
    Core, FeedAction, Need, feeds, rfc3339,
    upstreams::{self, SourceInfo},
};

use super::caller::Caller;
use crate::{
    error::{ApiResult, ErrorBody},
    routes::{
        api::Unread,
        extract::{ApiPath, FeedPath, ScopePath},
    },
};

/// Where a feed lives: an organization, or a project of one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ScopeResource {
    #[serde(rename = "type")]
    #[schema(value_type = wharf_core::ScopeKind)]
    kind: ScopeKind,
    org: String,
    /// Project-scoped feeds only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    project: Option<String>,
}

/// An upstream source as the API shows it: never its token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UpstreamSource {
    name: String,
    kind: wharf_core::SourceKind,
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamSourceBody {
    name: String,
    #[schema(value_type = wharf_core::SourceKind)]
    kind: String,
    /// `sparse`: the index URL (`sparse+https://…/index/`); `feed`: `ORG/[PROJECT/]FEED[@VIEW]`.
    #[serde(default)]
    location: Option<String>,
    /// `sparse` only; absent keeps the token of an unchanged source.
    #[serde(default)]
    token: Option<String>,
}

/// A feed as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedResource {
    id: i64,
    name: String,
    description: String,
    #[schema(value_type = wharf_core::Visibility)]
    visibility: Visibility,
    scope: ScopeResource,
    /// Whether the feed has any upstream source.
    upstream_enabled: bool,
    upstream_sources: Vec<UpstreamSource>,
    /// What the feed does: each setting is a field of the resource.
    #[serde(flatten)]
    settings: FeedSettings,
    /// The feed's sparse index, for cargo (`sparse+…/index/`).
    index_url: String,
    /// The portal's Connect page.
    connect_url: String,
    url: String,
    created_at: String,
    updated_at: String,
}

impl FeedResource {
    /// The feed with its upstream sources read, as `caller` may see them.
    async fn read(feed: &Feed, core: &Core, caller: &Principal) -> ApiResult<Self> {
        let rows = core.db.upstreams().list(feed.id).await.map_err(wharf_service::CoreError::from)?;
        Ok(Self::new(feed, core, upstreams::describe(core, caller, &rows).await?))
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
            upstream_enabled: feed.has_sources,
            upstream_sources: sources.into_iter().map(UpstreamSource::from).collect(),
            settings: feed.settings.clone(),
            index_url: loc.index_url(&core.public_url),
            connect_url: core.public_url.join(&loc.connect_path()),
            url: core.public_url.join(&loc.rest_path()),
            created_at: rfc3339(feed.created_at),
            updated_at: rfc3339(feed.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedList {
    count: usize,
    value: Vec<FeedResource>,
}

/// `POST` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateFeed {
    /// 1 to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit; unique in its
    /// scope ignoring case.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[schema(value_type = wharf_core::Visibility)]
    visibility: String,
    /// Include packages from crates.io.
    #[serde(default)]
    upstream_enabled: bool,
}

/// `PATCH` body: only the fields present (and not `null`) change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateFeed {
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<wharf_core::Visibility>)]
    visibility: Option<String>,
    /// `true`: crates.io becomes the feed's one upstream source; `false`: it has none.
    upstream_enabled: Option<bool>,
    /// The whole ordered list of upstream sources.
    upstream_sources: Option<Vec<UpstreamSourceBody>>,
    /// The settings to change, each a field of the body; read (and any other field
    /// refused) by `wharf_service::settings::from_json`.
    #[serde(flatten)]
    #[schema(value_type = wharf_core::FeedSettingsPatch)]
    settings: serde_json::Map<String, serde_json::Value>,
}

/// The feeds of the organization (or project) that the caller may read, by name.
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds", operation_id = "listFeeds", tag = "feeds",
    security(()),
    responses(
        (status = 200, description = "The feeds the caller may read.", body = FeedList),
        (status = 404, description = "No such organization or project.", body = ErrorBody),
    ))]
#[instrument(skip_all, fields(org = %path.org, project = ?path.project))]
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ScopePath>,
) -> ApiResult<Json<FeedList>> {
    let feeds = feeds::list(&core, &caller.0, &path.org, path.project.as_deref(), false).await?;
    let mut value = Vec::with_capacity(feeds.len());
    for feed in &feeds {
        value.push(FeedResource::read(feed, &core, &caller.0).await?);
    }
    Ok(Json(FeedList { count: value.len(), value }))
}

/// Creates a feed (members of the organization, read & write scope); the caller becomes
/// its Owner.
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds", operation_id = "createFeed", tag = "feeds",
    request_body = CreateFeed,
    responses(
        (status = 201, description = "The new feed.", body = FeedResource,
            headers(("Location" = String, description = "The feed's URL."))),
        (status = 403, description = "Not a member of the organization, or a read-only token.", body = ErrorBody),
        (status = 404, description = "No such organization or project.", body = ErrorBody),
        (status = 409, description = "A feed of that name (ignoring case) exists in the scope.", body = ErrorBody),
        (status = 422, description = "Invalid fields, one entry per field.", body = ErrorBody),
    ))]
#[instrument(skip_all, fields(org = %path.org, project = ?path.project))]
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ScopePath>,
    body: Unread<CreateFeed>,
) -> ApiResult<Response> {
    let body = body.read_after(&core, &caller.0, Need::Org(&path.org, feeds::NEEDS_TO_CREATE)).await?;
    let new = feeds::NewFeed {
        org: path.org,
        project: path.project,
        name: body.name,
        description: body.description,
        visibility: body.visibility,
        includes_crates_io: body.upstream_enabled,
        settings: Default::default(),
    };
    let feed = feeds::create(&core, &caller.0, &new).await?;
    let resource = FeedResource::read(&feed, &core, &caller.0).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

/// One feed (its name is matched ignoring case).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}", operation_id = "getFeed", tag = "feeds",
    security(()),
    responses(
        (status = 200, description = "The feed.", body = FeedResource),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn get(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<FeedResource>> {
    let found = path.to_ref().authorized(&core, &caller.0, FeedAction::Read).await?;
    Ok(Json(FeedResource::read(&found.feed, &core, &caller.0).await?))
}

/// Changes the fields given, all or none (Administrator or Owner).
#[utoipa::path(patch, path = "/{org}/_apis/packaging/feeds/{feed}", operation_id = "updateFeed", tag = "feeds",
    request_body = UpdateFeed,
    responses(
        (status = 200, description = "The changed feed.", body = FeedResource),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 409, description = "Another feed of the scope has that name.", body = ErrorBody),
        (status = 422, description = "Invalid fields, one entry per field.", body = ErrorBody),
    ))]
#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn update(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    body: Unread<UpdateFeed>,
) -> ApiResult<Json<FeedResource>> {
    let feed = path.to_ref();
    let body = body.read_after(&core, &caller.0, Need::Feed(&feed, feeds::NEEDS_TO_UPDATE)).await?;
    let changes = feeds::FeedChanges {
        name: body.name,
        description: body.description,
        visibility: body.visibility,
        includes_crates_io: body.upstream_enabled,
        upstream_sources: body.upstream_sources.map(|list| {
            list.into_iter()
                .map(|s| upstreams::SourceSpec { name: s.name, kind: s.kind, location: s.location, token: s.token })
                .collect()
        }),
        include_crates_io: None,
        settings: wharf_service::settings::from_json(body.settings)?,
    };
    let feed = feeds::update(&core, &caller.0, &feed, &changes).await?;
    Ok(Json(FeedResource::read(&feed, &core, &caller.0).await?))
}

/// Deletes the feed and everything in it (Owner).
#[utoipa::path(delete, path = "/{org}/_apis/packaging/feeds/{feed}", operation_id = "deleteFeed", tag = "feeds",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
#[instrument(skip_all, fields(org = %path.org, project = ?path.project, feed = %path.feed))]
pub async fn delete(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<StatusCode> {
    feeds::delete(&core, &caller.0, &path.to_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the retention rules would move to the recycle bin now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionPreview {
    count: usize,
    value: Vec<Retired>,
}

/// A version the retention rules would retire, and which rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retired {
    package: String,
    version: String,
    reason: String,
}

/// What the feed's retention rules would move to the recycle bin now (Administrator or
/// Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/retention/preview",
    operation_id = "previewRetention", tag = "feeds",
    responses(
        (status = 200, description = "The versions the rules would retire.", body = RetentionPreview),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
pub async fn retention_preview(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<RetentionPreview>> {
    let taken = wharf_service::retention::preview(&core, &caller.0, &path.to_ref(), wharf_db::unix_now()).await?;
    let value: Vec<_> =
        taken.into_iter().map(|t| Retired { package: t.package, version: t.version, reason: t.reason }).collect();
    Ok(Json(RetentionPreview { count: value.len(), value }))
}

/// The answer of an upstream source asked now.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpstreamTest {
    ok: bool,
    message: String,
}

/// Asks one upstream source now, bypassing every cache, and records the answer as its last
/// success or error (Administrator or Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/upstreams/{source}/test",
    operation_id = "testUpstream", tag = "feeds",
    responses(
        (status = 200, description = "Whether the source answered, and what.", body = UpstreamTest),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or source.", body = ErrorBody),
    ))]
pub async fn test_upstream(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<SourcePath>,
) -> ApiResult<Json<UpstreamTest>> {
    let feed = wharf_service::FeedRef::new(&path.org, path.project.as_deref(), &path.feed);
    let outcome = upstreams::test(&core, &caller.0, &feed, &path.source).await?;
    Ok(Json(UpstreamTest { ok: outcome.ok, message: outcome.message }))
}

/// `…/feeds/{feed}/upstreams/{source}`.
#[derive(Debug, Deserialize)]
pub struct SourcePath {
    org: String,
    project: Option<String>,
    feed: String,
    source: String,
}
