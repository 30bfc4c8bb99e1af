//! `…/feeds/{feed}/views[/{view}]`: a feed's views, and
//! `…/packages/{package}/versions/{version}/promote`.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use wharf_core::FeedLocation;
use wharf_service::{Core, views};

use super::{ApiJson, caller::Caller};
use crate::{
    error::ApiResult,
    routes::extract::{FeedPath, VersionPath},
};

/// A view as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewResource {
    name: String,
    /// `@local` is every feed's, and cannot be renamed or deleted.
    built_in: bool,
    /// How many versions were promoted to it (`@local`: not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewBody {
    name: String,
}

#[derive(Debug, Deserialize)]
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

/// `GET …/views`: `@local` first, then the feed's views by name (readers).
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
) -> ApiResult<Json<serde_json::Value>> {
    let (feed, list) = views::list(&core, &caller.0, &path.to_ref()).await?;
    let loc = feed.location();
    let mut value = vec![ViewResource::new(&core, &loc, views::LOCAL, None)];
    value.extend(list.iter().map(|v| ViewResource::new(&core, &loc, &v.name, Some(v.versions))));
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST …/views` with `{"name"}` (Administrator or Owner).
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<FeedPath>,
    ApiJson(body): ApiJson<ViewBody>,
) -> ApiResult<Response> {
    let feed = path.to_ref();
    let view = views::create(&core, &caller.0, &feed, &body.name).await?;
    let resource = ViewResource::new(&core, &feed.location(), &view.name, Some(view.versions));
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

/// `PATCH …/views/{view}` with `{"name"}`: renames it (Administrator or Owner).
pub async fn rename(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<ViewPath>,
    ApiJson(body): ApiJson<ViewBody>,
) -> ApiResult<Json<ViewResource>> {
    let feed = path.feed();
    let view = views::rename(&core, &caller.0, &feed, &path.view, &body.name).await?;
    Ok(Json(ViewResource::new(&core, &feed.location(), &view.name, Some(view.versions))))
}

/// `DELETE …/views/{view}` (Administrator or Owner).
pub async fn delete(State(core): State<Core>, caller: Caller, Path(path): Path<ViewPath>) -> ApiResult<StatusCode> {
    views::delete(&core, &caller.0, &path.feed(), &path.view).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/packages/{package}/versions/{version}/promote` with `{"view"}` (Contributor and
/// up): answers the view.
pub async fn promote(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<VersionPath>,
    ApiJson(body): ApiJson<PromoteBody>,
) -> ApiResult<Json<ViewResource>> {
    let version = path.to_ref()?;
    let view = views::promote(&core, &caller.0, &version, &body.view).await?;
    let loc = version.package.feed.location();
    Ok(Json(ViewResource::new(&core, &loc, &view.name, Some(view.versions))))
}
