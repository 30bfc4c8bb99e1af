//! Server functions of a feed's views: list, add, rename, delete (promotion is with the
//! package's other actions).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{check_csrf, core, principal, redirect_to};
use crate::{error::PortalError, model::ViewInfo};
#[cfg(feature = "ssr")]
use wharf_service::FeedRef;

/// The feed's views, `@local` first (readers).
#[server(prefix = "/_fn", endpoint = "list_views")]
pub async fn list_views(org: String, project: Option<String>, feed: String) -> Result<Vec<ViewInfo>, PortalError> {
    let core = core()?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let (found, views) = wharf_service::views::list(&core, &principal(&core).await?, &feed).await?;
    let loc = found.location();
    let info = |name: &str, versions: Option<i64>| ViewInfo {
        name: name.to_owned(),
        index_url: loc.view(name).index_url(&core.public_url),
        versions,
    };
    let mut list = vec![info(wharf_service::views::LOCAL, None)];
    list.extend(views.iter().map(|v| info(&v.name, Some(v.versions))));
    Ok(list)
}

/// Adds a view (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "create_view")]
pub async fn create_view(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    wharf_service::views::create(&core, &principal(&core).await?, &feed, &name).await?;
    redirect_to(&feed.location().views_path());
    Ok(())
}

/// Renames a view (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "rename_view")]
pub async fn rename_view(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    view: String,
    name: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    wharf_service::views::rename(&core, &principal(&core).await?, &feed, &view, &name).await?;
    redirect_to(&feed.location().views_path());
    Ok(())
}

/// Deletes a view (Administrator or Owner); its versions stay in the feed.
#[server(prefix = "/_fn", endpoint = "delete_view")]
pub async fn delete_view(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    view: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    wharf_service::views::delete(&core, &principal(&core).await?, &feed, &view).await?;
    redirect_to(&feed.location().views_path());
    Ok(())
}
