//! `/{org}/_apis/projects[/{project}]` and `/_apis/organizations`: the scopes feeds live in.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wharf_service::{Core, Need, projects};

use super::{Unread, caller::Caller};
use crate::{
    error::{ApiResult, ErrorBody},
    routes::extract::ApiPath,
};

/// A project of an organization.
#[derive(Debug, Serialize, ToSchema)]
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

/// A name: letters, digits, `-`, `_` and `.`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameBody {
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    count: usize,
    value: Vec<ProjectResource>,
}

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    name: String,
    /// Its projects, over REST.
    projects_url: String,
}

impl Organization {
    fn new(core: &Core, name: String) -> Self {
        let projects_url = core.public_url.join(&format!("/{name}/_apis/projects"));
        Organization { name, projects_url }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationList {
    count: usize,
    value: Vec<Organization>,
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

/// The organization's projects (members and Wharf administrators).
#[utoipa::path(get, path = "/{org}/_apis/projects", operation_id = "listProjects", tag = "projects",
    responses(
        (status = 200, description = "The projects, by name.", body = ProjectList),
        (status = 403, description = "Not a member of the organization.", body = ErrorBody),
        (status = 404, description = "No such organization.", body = ErrorBody),
    ))]
pub async fn list(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<OrgPath>,
) -> ApiResult<Json<ProjectList>> {
    let names = projects::list(&core, &caller.0, &path.org).await?;
    let value: Vec<_> = names.iter().map(|n| ProjectResource::new(&core, &path.org, n)).collect();
    Ok(Json(ProjectList { count: value.len(), value }))
}

/// Creates a project (Wharf administrators).
#[utoipa::path(post, path = "/{org}/_apis/projects", operation_id = "createProject", tag = "projects",
    request_body = NameBody,
    responses(
        (status = 201, description = "The new project.", body = ProjectResource,
            headers(("Location" = String, description = "The project's URL."))),
        (status = 403, description = "Not a Wharf administrator, or a read-only token.", body = ErrorBody),
        (status = 404, description = "No such organization.", body = ErrorBody),
        (status = 409, description = "The organization has a project of that name.", body = ErrorBody),
        (status = 422, description = "An invalid name.", body = ErrorBody),
    ))]
pub async fn create(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<OrgPath>,
    body: Unread<NameBody>,
) -> ApiResult<Response> {
    let body = body.read_after(&core, &caller.0, Need::Org(&path.org, projects::NEEDS_TO_MANAGE)).await?;
    let name = projects::create(&core, &caller.0, &path.org, &body.name).await?;
    let resource = ProjectResource::new(&core, &path.org, &name);
    Ok((StatusCode::CREATED, [(header::LOCATION, resource.url.clone())], Json(resource)).into_response())
}

/// Renames a project (Wharf administrators).
#[utoipa::path(patch, path = "/{org}/_apis/projects/{project}", operation_id = "renameProject", tag = "projects",
    request_body = NameBody,
    responses(
        (status = 200, description = "The renamed project.", body = ProjectResource),
        (status = 403, description = "Not a Wharf administrator, or a read-only token.", body = ErrorBody),
        (status = 404, description = "No such organization or project.", body = ErrorBody),
        (status = 409, description = "The organization has a project of the new name.", body = ErrorBody),
        (status = 422, description = "An invalid name.", body = ErrorBody),
    ))]
pub async fn rename(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ProjectPath>,
    body: Unread<NameBody>,
) -> ApiResult<Json<ProjectResource>> {
    let body = body.read_after(&core, &caller.0, Need::Org(&path.org, projects::NEEDS_TO_MANAGE)).await?;
    let name = projects::rename(&core, &caller.0, &path.org, &path.project, &body.name).await?;
    Ok(Json(ProjectResource::new(&core, &path.org, &name)))
}

/// Deletes a project, refused while it has feeds (Wharf administrators).
#[utoipa::path(delete, path = "/{org}/_apis/projects/{project}", operation_id = "deleteProject", tag = "projects",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not a Wharf administrator, or a read-only token.", body = ErrorBody),
        (status = 404, description = "No such organization or project.", body = ErrorBody),
        (status = 409, description = "The project still has feeds.", body = ErrorBody),
    ))]
pub async fn delete(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ProjectPath>,
) -> ApiResult<StatusCode> {
    projects::delete(&core, &caller.0, &path.org, &path.project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's organizations (all of them, for Wharf administrators).
#[utoipa::path(get, path = "/_apis/organizations", operation_id = "listOrganizations", tag = "projects",
    responses(
        (status = 200, description = "The organizations, by name.", body = OrganizationList),
    ))]
pub async fn organizations(State(core): State<Core>, caller: Caller) -> ApiResult<Json<OrganizationList>> {
    let names = projects::organizations(&core, &caller.0).await?;
    let value: Vec<_> = names.into_iter().map(|n| Organization::new(&core, n)).collect();
    Ok(Json(OrganizationList { count: value.len(), value }))
}

/// Creates an organization (Wharf administrators).
#[utoipa::path(post, path = "/_apis/organizations", operation_id = "createOrganization", tag = "projects",
    request_body = NameBody,
    responses(
        (status = 201, description = "The new organization.", body = Organization,
            headers(("Location" = String, description = "Its projects' URL."))),
        (status = 403, description = "Not a Wharf administrator, or a read-only token.", body = ErrorBody),
        (status = 409, description = "An organization of that name exists.", body = ErrorBody),
        (status = 422, description = "An invalid name.", body = ErrorBody),
    ))]
pub async fn create_organization(
    State(core): State<Core>,
    caller: Caller,
    body: Unread<NameBody>,
) -> ApiResult<Response> {
    let body = body.read_after(&core, &caller.0, projects::NEEDS_TO_CREATE_ORGANIZATION).await?;
    let name = projects::create_organization(&core, &caller.0, &body.name).await?;
    let organization = Organization::new(&core, name);
    let url = organization.projects_url.clone();
    Ok((StatusCode::CREATED, [(header::LOCATION, url)], Json(organization)).into_response())
}
