//! `…/feeds/{feed}/views[/{view}]`: a feed's views, and
//! `…/packages/{package}/versions/{version}/promote`.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_core::FeedLocation;
use wharf_service::{Core, Need, views};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::{ApiPath, FeedPath, VersionPath},
};

/// A view as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewResource {
    name: String,
    /// `@local` is every feed's, and cannot be renamed or deleted.
    built_in: bool,
    /// How many versions were promoted to it (`@local`: not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    versions: Option<i64>,
    /// The view's own registry, for cargo.
    index_url: String,
    url: String,
}

impl ViewResource {
    fn new(core: &Core, loc: &FeedLocation, name: &str, versions: Option<i64>) -> Self {
        ViewResource {
            name: name.to_owned(),
            built_in: versions.is_none(),
            versions,
            index_url: loc.view(name).index_url(&core.public_url),
            url: core.public_url.join(&format!("{}/views/{name}", loc.rest_path())),
        }
    }
}

/// A view's name (without the `@`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewBody {
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: String,
}

/// The view to promote to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromoteBody {
    view: String,
}

#[derive(Debug, Deserialize)]
pub struct ViewPath {
    org: String,
    project: Option<String>,
    feed: String,
    view: String,
}

impl ViewPath {
    fn feed(&self) -> wharf_service::FeedRef {
        wharf_service::FeedRef::new(&self.org, self.project.as_deref(), &self.feed)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewList {
    count: usize,
    value: Vec<ViewResource>,
}

/// The feed's views: `@local` first, then the others by name (readers).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/views", operation_id = "listViews", tag = "views",
    security(()),
    responses(
        (status = 200, description = "The views.", body = ViewList),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
    ))]
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
) -> ApiResult<Json<ViewList>> {
    let (feed, list) = views::list(&core, &caller.0, &path.to_ref()).await?;
    let loc = feed.location();
    let mut value = vec![ViewResource::new(&core, &loc, views::LOCAL, None)];
    value.extend(list.iter().map(|v| ViewResource::new(&core, &loc, &v.name, Some(v.versions))));
    Ok(Json(ViewList { count: value.len(), value }))
}

/// Adds a view (Administrator or Owner).
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/views", operation_id = "createView", tag = "views",
    request_body = ViewBody,
    responses(
        (status = 201, description = "The new view.", body = ViewResource,
            headers(("Location" = String, description = "The view's URL."))),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 409, description = "The feed has a view of that name.", body = ErrorBody),
        (status = 422, description = "An invalid name.", body = ErrorBody),
    ))]
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    body: Unread<ViewBody>,
) -> ApiResult<Response> {
    let feed = path.to_ref();
    let body = body.read_after(&core, &caller.0, Need::Feed(&feed, views::NEEDS_TO_MANAGE)).await?;
    let view = views::create(&core, &caller.0, &feed, &body.name).await?;
    let resource = ViewResource::new(&core, &feed.location(), &view.name, Some(view.versions));
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

/// Renames a view (Administrator or Owner); `@local` cannot be renamed.
#[utoipa::path(patch, path = "/{org}/_apis/packaging/feeds/{feed}/views/{view}", operation_id = "renameView",
    tag = "views",
    request_body = ViewBody,
    responses(
        (status = 200, description = "The renamed view.", body = ViewResource),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or view.", body = ErrorBody),
        (status = 409, description = "The feed has a view of the new name.", body = ErrorBody),
        (status = 422, description = "An invalid new name.", body = ErrorBody),
    ))]
pub async fn rename(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ViewPath>,
    body: Unread<ViewBody>,
) -> ApiResult<Json<ViewResource>> {
    let feed = path.feed();
    let body = body.read_after(&core, &caller.0, Need::Feed(&feed, views::NEEDS_TO_MANAGE)).await?;
    let view = views::rename(&core, &caller.0, &feed, &path.view, &body.name).await?;
    Ok(Json(ViewResource::new(&core, &feed.location(), &view.name, Some(view.versions))))
}

/// Deletes a view (Administrator or Owner); the versions promoted to it stay in the feed.
#[utoipa::path(delete, path = "/{org}/_apis/packaging/feeds/{feed}/views/{view}", operation_id = "deleteView",
    tag = "views",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed or view (`@local` is not one).", body = ErrorBody),
    ))]
pub async fn delete(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ViewPath>,
) -> ApiResult<StatusCode> {
    views::delete(&core, &caller.0, &path.feed(), &path.view).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promotes a version to a view (Contributor and up): answers the view.
#[utoipa::path(post, path = "/{org}/_apis/packaging/feeds/{feed}/packages/{package}/versions/{version}/promote",
    operation_id = "promoteVersion", tag = "views",
    request_body = PromoteBody,
    responses(
        (status = 200, description = "The view.", body = ViewResource),
        (status = 403, description = "The caller's role or token does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, package, version or view.", body = ErrorBody),
        (status = 422, description = "An invalid view name.", body = ErrorBody),
    ))]
pub async fn promote(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<VersionPath>,
    body: Unread<PromoteBody>,
) -> ApiResult<Json<ViewResource>> {
    let version = path.to_ref()?;
    let need = Need::Feed(&version.package.feed, views::NEEDS_TO_PROMOTE);
    let body = body.read_after(&core, &caller.0, need).await?;
    let view = views::promote(&core, &caller.0, &version, &body.view).await?;
    let loc = version.package.feed.location();
    Ok(Json(ViewResource::new(&core, &loc, &view.name, Some(view.versions))))
}
