//! Server functions of organizations and projects (Wharf administrators manage them).

use leptos::prelude::*;

use crate::error::PortalError;
#[cfg(feature = "ssr")]
use crate::ssr::{check_csrf, core, principal, redirect_to};
#[cfg(feature = "ssr")]
use wharf_core::urls::pages;

/// The organizations the caller belongs to (every one, for Wharf administrators).
#[server(prefix = "/_fn", endpoint = "list_organizations")]
pub async fn list_organizations() -> Result<Vec<String>, PortalError> {
    let core = core()?;
    let (principal, _) = crate::ssr::signed_in(&core).await?;
    Ok(wharf_service::projects::organizations(&core, &principal).await?)
}

/// Creates an organization (Wharf administrators).
#[server(prefix = "/_fn", endpoint = "create_organization")]
pub async fn create_organization(#[server(default)] csrf: String, name: String) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let org = wharf_service::projects::create_organization(&core, &principal(&core).await?, &name).await?;
    redirect_to(&pages::projects(&org));
    Ok(())
}

/// Creates a project (Wharf administrators).
#[server(prefix = "/_fn", endpoint = "create_project")]
pub async fn create_project(#[server(default)] csrf: String, org: String, name: String) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    wharf_service::projects::create(&core, &principal(&core).await?, &org, &name).await?;
    redirect_to(&pages::projects(&org));
    Ok(())
}

/// Renames a project (Wharf administrators).
#[server(prefix = "/_fn", endpoint = "rename_project")]
pub async fn rename_project(
    #[server(default)] csrf: String,
    org: String,
    project: String,
    name: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    wharf_service::projects::rename(&core, &principal(&core).await?, &org, &project, &name).await?;
    redirect_to(&pages::projects(&org));
    Ok(())
}

/// Deletes a project that has no feeds (Wharf administrators).
#[server(prefix = "/_fn", endpoint = "delete_project")]
pub async fn delete_project(#[server(default)] csrf: String, org: String, project: String) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    wharf_service::projects::delete(&core, &principal(&core).await?, &org, &project).await?;
    redirect_to(&pages::projects(&org));
    Ok(())
}
