//! `/{org}/_apis/projects[/{project}]` and `/_apis/organizations`: the scopes feeds live in.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use wharf_service::{Core, projects};

use super::{ApiJson, caller::Caller};
use crate::error::ApiResult;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectResource {
    name: String,
    org: String,
    /// The project's feeds, over REST.
    feeds_url: String,
    url: String,
}

impl ProjectResource {
    fn new(core: &Core, org: &str, name: &str) -> Self {
        ProjectResource {
            name: name.to_owned(),
            org: org.to_owned(),
            feeds_url: core.public_url.join(&format!("/{org}/{name}/_apis/packaging/feeds")),
            url: core.public_url.join(&format!("/{org}/_apis/projects/{name}")),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameBody {
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct OrgPath {
    org: String,
}

#[derive(Debug, Deserialize)]
pub struct ProjectPath {
    org: String,
    project: String,
}

/// `GET /{org}/_apis/projects` (members and Wharf administrators).
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<OrgPath>,
) -> ApiResult<Json<serde_json::Value>> {
    let names = projects::list(&core, &caller.0, &path.org).await?;
    let value: Vec<_> = names.iter().map(|n| ProjectResource::new(&core, &path.org, n)).collect();
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST /{org}/_apis/projects` with `{"name"}` (Wharf administrators).
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<OrgPath>,
    ApiJson(body): ApiJson<NameBody>,
) -> ApiResult<Response> {
    let name = projects::create(&core, &caller.0, &path.org, &body.name).await?;
    let resource = ProjectResource::new(&core, &path.org, &name);
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

/// `PATCH /{org}/_apis/projects/{project}` with `{"name"}`: renames it (Wharf administrators).
pub async fn rename(
    State(core): State<Core>,
    caller: Caller,
    Path(path): Path<ProjectPath>,
    ApiJson(body): ApiJson<NameBody>,
) -> ApiResult<Json<ProjectResource>> {
    let name = projects::rename(&core, &caller.0, &path.org, &path.project, &body.name).await?;
    Ok(Json(ProjectResource::new(&core, &path.org, &name)))
}

/// `DELETE /{org}/_apis/projects/{project}`: refused while it has feeds (Wharf administrators).
pub async fn delete(State(core): State<Core>, caller: Caller, Path(path): Path<ProjectPath>) -> ApiResult<StatusCode> {
    projects::delete(&core, &caller.0, &path.org, &path.project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /_apis/organizations`: the caller's organizations (all, for Wharf administrators).
pub async fn organizations(State(core): State<Core>, caller: Caller) -> ApiResult<Json<serde_json::Value>> {
    let names = projects::organizations(&core, &caller.0).await?;
    let value: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"name": n, "projectsUrl": core.public_url.join(&format!("/{n}/_apis/projects"))}))
        .collect();
    Ok(Json(serde_json::json!({ "count": value.len(), "value": value })))
}

/// `POST /_apis/organizations` with `{"name"}` (Wharf administrators).
pub async fn create_organization(
    State(core): State<Core>,
    caller: Caller,
    ApiJson(body): ApiJson<NameBody>,
) -> ApiResult<Response> {
    let name = projects::create_organization(&core, &caller.0, &body.name).await?;
    let url = core.public_url.join(&format!("/{name}/_apis/projects"));
    let body = serde_json::json!({"name": name, "projectsUrl": url});
    Ok((StatusCode::CREATED, [(header::LOCATION, url)], Json(body)).into_response())
}
