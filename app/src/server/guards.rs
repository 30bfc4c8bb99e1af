//! Server functions of the supply-chain guards on a package page (Administrator or Owner):
//! quarantine a saved version and lift it, release a held-back version or the whole
//! package from the upstream cooldown. Each needs a reason, which the audit log keeps.

use leptos::prelude::*;

use crate::error::PortalError;
#[cfg(feature = "ssr")]
use crate::ssr::{check_csrf, core, principal, redirect_to};
#[cfg(feature = "ssr")]
use wharf_service::{FeedRef, PackageRef, VersionRef};

#[cfg(feature = "ssr")]
fn package_ref(org: &str, project: Option<&str>, feed: &str, name: &str) -> Result<PackageRef, PortalError> {
    Ok(PackageRef::new(FeedRef::new(org, project, feed), name)?)
}

/// Quarantines a version (`lift` absent) or lifts its quarantine (`lift` present).
#[server(prefix = "/_fn", endpoint = "set_quarantine")]
#[allow(clippy::too_many_arguments)]
pub async fn set_quarantine(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    version: String,
    #[server(default)] reason: Option<String>,
    #[server(default)] lift: Option<String>,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let package = package_ref(&org, project.as_deref(), &feed, &name)?;
    let target = VersionRef::new(package.clone(), &version)?;
    let reason = if lift.is_some() { None } else { Some(reason.unwrap_or_default()) };
    wharf_service::packages::quarantine(&core, &principal(&core).await?, &target, reason.as_deref()).await?;
    redirect_to(&package.feed.location().package_path(&package.name));
    Ok(())
}

/// Releases one held-back version (`version` given) or the whole package from the feed's
/// upstream cooldown now.
#[server(prefix = "/_fn", endpoint = "release_now")]
pub async fn release_now(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    #[server(default)] version: Option<String>,
    #[server(default)] reason: String,
) -> Result<(), PortalError> {
    use wharf_service::cooldown::{Release, release};
    let core = core()?;
    check_csrf(&csrf).await?;
    let package = package_ref(&org, project.as_deref(), &feed, &name)?;
    let principal = principal(&core).await?;
    match version.filter(|v| !v.is_empty()) {
        Some(version) => {
            let target = VersionRef::new(package.clone(), &version)?;
            release(&core, &principal, Release::Version(&target), &reason).await?;
        }
        None => {
            release(&core, &principal, Release::Package(&package), &reason).await?;
        }
    }
    redirect_to(&package.feed.location().package_path(&package.name));
    Ok(())
}
