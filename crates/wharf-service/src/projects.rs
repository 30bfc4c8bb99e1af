//! Organizations and their projects: Wharf administrators create, rename and delete them;
//! a project that still has feeds is not deleted.

use wharf_auth::{OrgAction, Principal};
use wharf_core::FeedName;

use crate::{Change, Core, CoreError, CoreResult, Need, audit::Entry, feeds::scope};

/// What creating, renaming and deleting projects needs, in the organization.
pub const NEEDS_TO_MANAGE: OrgAction = OrgAction::ManageProjects;
/// What creating an organization needs: managing projects anywhere is the same right
/// (Wharf administrators), asked of the default organization.
pub const NEEDS_TO_CREATE_ORGANIZATION: Need<'static> = Need::Org(wharf_db::scopes::DEFAULT_NAME, NEEDS_TO_MANAGE);

/// Organization and project names follow the feed-name rule.
fn name(field: &str, raw: &str) -> CoreResult<FeedName> {
    FeedName::parse(raw).map_err(|e| CoreError::invalid(field, e.to_string()))
}

/// The projects of an organization, by name: for its members and Wharf administrators.
pub async fn list(core: &Core, principal: &Principal, org: &str) -> CoreResult<Vec<String>> {
    let scope = scope(core, org, None).await?;
    wharf_auth::check_org(&core.db, principal, scope.org_id, OrgAction::CreateFeed).await?;
    Ok(core.db.scopes().projects(scope.org_id).await?)
}

/// Creates a project (Wharf administrators).
pub async fn create(core: &Core, principal: &Principal, org: &str, project: &str) -> CoreResult<String> {
    let scope = scope(core, org, None).await?;
    wharf_auth::check_org(&core.db, principal, scope.org_id, NEEDS_TO_MANAGE).await?;
    let project = name("name", project)?;
    core.db.scopes().create_project(scope.org_id, project.as_str()).await?;
    tracing::info!(org = %scope.org, project = %project, "project created");
    let entry = Entry::org("project.create", &scope.org, project.as_str());
    core.done(principal, entry, Change::ProjectsChanged { org: scope.org_id }).await;
    Ok(project.as_str().to_owned())
}

/// Renames a project (Wharf administrators); the URLs of its feeds change with it.
pub async fn rename(
    core: &Core,
    principal: &Principal,
    org: &str,
    project: &str,
    new_name: &str,
) -> CoreResult<String> {
    let found = scope(core, org, Some(project)).await?;
    wharf_auth::check_org(&core.db, principal, found.org_id, NEEDS_TO_MANAGE).await?;
    let new_name = name("name", new_name)?;
    core.db.scopes().rename_project(&found, new_name.as_str()).await?;
    tracing::info!(org = %found.org, project = ?found.project, to = %new_name, "project renamed");
    let entry = Entry::org("project.rename", &found.org, project).detail(format!("renamed to {new_name}"));
    core.done(principal, entry, Change::ProjectsChanged { org: found.org_id }).await;
    Ok(new_name.as_str().to_owned())
}

/// Deletes a project with no feeds (Wharf administrators).
pub async fn delete(core: &Core, principal: &Principal, org: &str, project: &str) -> CoreResult<()> {
    let found = scope(core, org, Some(project)).await?;
    wharf_auth::check_org(&core.db, principal, found.org_id, NEEDS_TO_MANAGE).await?;
    core.db.scopes().delete_project(&found).await?;
    tracing::info!(org = %found.org, project = ?found.project, "project deleted");
    let entry = Entry::org("project.delete", &found.org, project);
    core.done(principal, entry, Change::ProjectsChanged { org: found.org_id }).await;
    Ok(())
}

/// The organizations the caller belongs to (every one, for Wharf administrators).
pub async fn organizations(core: &Core, principal: &Principal) -> CoreResult<Vec<String>> {
    let Some(user) = principal.user() else {
        return Err(CoreError::Denied(wharf_auth::Denied::Unauthenticated));
    };
    let everywhere = wharf_auth::authorize_instance(principal, wharf_auth::InstanceAction::ActOnEveryFeed).is_ok();
    let mut names = Vec::new();
    for org in core.db.scopes().organizations().await? {
        let scope = scope(core, &org, None).await?;
        if everywhere || core.db.users().is_member(scope.org_id, user.id).await? {
            names.push(org);
        }
    }
    Ok(names)
}

/// Creates an organization (Wharf administrators); its creator becomes a member, and it
/// starts with no project.
pub async fn create_organization(core: &Core, principal: &Principal, org: &str) -> CoreResult<String> {
    crate::admit(core, principal, NEEDS_TO_CREATE_ORGANIZATION).await?;
    let org = name("name", org)?;
    let created = core.db.scopes().create_organization(org.as_str()).await?;
    if let Some(user) = principal.user() {
        core.db.users().add_member(created.org_id, user).await?;
    }
    tracing::info!(org = %created.org, "organization created");
    let entry = Entry::org("organization.create", &created.org, &created.org);
    core.done(principal, entry, Change::ProjectsChanged { org: created.org_id }).await;
    Ok(created.org)
}
