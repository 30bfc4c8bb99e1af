//! Server functions of a feed's upstream sources: list, add, remove, move, test. Each
//! calls the one core operation; the REST API's `PATCH upstreamSources` reaches the same.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{check_csrf, core, principal, redirect_to};
use crate::{error::PortalError, model::SourceView};
#[cfg(feature = "ssr")]
use wharf_service::FeedRef;

/// The feed's sources, in order (readers).
#[server(prefix = "/_fn", endpoint = "list_upstreams")]
pub async fn list_upstreams(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<SourceView>, PortalError> {
    use wharf_service::rfc3339;
    let core = core()?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let (_, sources) = wharf_service::upstreams::list(&core, &principal(&core).await?, &feed).await?;
    Ok(sources
        .into_iter()
        .map(|s| SourceView {
            name: s.name,
            kind: s.kind,
            location: s.location,
            has_token: s.has_token,
            last_ok_at: s.last_ok_at.map(rfc3339),
            last_error: s.last_error,
            last_error_at: s.last_error_at.map(rfc3339),
        })
        .collect())
}

/// Adds a source after the others (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "add_upstream")]
#[allow(clippy::too_many_arguments)]
pub async fn add_upstream(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    kind: String,
    #[server(default)] location: Option<String>,
    #[server(default)] token: Option<String>,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let spec = wharf_service::upstreams::SourceSpec { name, kind, location, token };
    wharf_service::upstreams::add(&core, &principal(&core).await?, &feed, &spec).await?;
    redirect_to(&feed.location().upstreams_path());
    Ok(())
}

/// Removes a source (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "remove_upstream")]
pub async fn remove_upstream(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    source: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    wharf_service::upstreams::remove(&core, &principal(&core).await?, &feed, &source).await?;
    redirect_to(&feed.location().upstreams_path());
    Ok(())
}

/// Moves a source one place earlier (`direction` = `up`) or later (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "move_upstream")]
pub async fn move_upstream(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    source: String,
    direction: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let up = match direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(PortalError::Refused("Move a source up or down.".into())),
    };
    wharf_service::upstreams::move_source(&core, &principal(&core).await?, &feed, &source, up).await?;
    redirect_to(&feed.location().upstreams_path());
    Ok(())
}

/// Asks a source now and records the answer as its last success or error (Administrator
/// or Owner).
#[server(prefix = "/_fn", endpoint = "test_upstream")]
pub async fn test_upstream(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    source: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    wharf_service::upstreams::test(&core, &principal(&core).await?, &feed, &source).await?;
    redirect_to(&feed.location().upstreams_path());
    Ok(())
}
