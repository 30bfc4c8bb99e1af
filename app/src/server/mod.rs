//! Server functions: the portal's calls into the server. Each one that reads a feed asks
//! the one authorization function; each one that changes something checks the form's CSRF
//! token first.

mod account;
mod admin;
mod packages;

pub use account::*;
pub use admin::*;
pub use packages::*;

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{FeedView, PackageView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::FeedFormValues,
    ssr::{AppContext, refuse_with},
};

/// The value of the Scope radio for a project (`project:NAME`) or the organization.
pub const SCOPE_ORGANIZATION: &str = "organization";
pub const SCOPE_PROJECT_PREFIX: &str = "project:";

/// Every feed of an organization, at any scope.
#[server(prefix = "/_fn", endpoint = "list_feeds")]
pub async fn list_feeds(org: String) -> Result<Vec<FeedView>, PortalError> {
    let ctx = AppContext::current()?;
    let principal = crate::ssr::principal(&ctx.db).await?;
    let scope = ctx.db.scopes().resolve(&org, None).await?;
    let feeds = ctx.db.feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(scope.org_id)).await?;
    // Only the feeds the caller may read: the others are not even named.
    let feeds = wharf_auth::access::readable(&ctx.db, &principal, scope.org_id, feeds).await?;
    Ok(feeds.iter().map(|f| ctx.feed_view(f, false)).collect())
}

/// The projects of an organization, for the Scope choice: for those who may create feeds.
#[server(prefix = "/_fn", endpoint = "list_projects")]
pub async fn list_projects(org: String) -> Result<Vec<String>, PortalError> {
    let ctx = AppContext::current()?;
    let (principal, _) = crate::ssr::signed_in(&ctx.db).await?;
    let scope = ctx.db.scopes().resolve(&org, None).await?;
    wharf_auth::check_org(&ctx.db, &principal, scope.org_id, wharf_auth::OrgAction::CreateFeed).await?;
    Ok(ctx.db.scopes().projects(scope.org_id).await?)
}

/// One feed; `project` is `None` for an organization-scoped feed.
#[server(prefix = "/_fn", endpoint = "get_feed")]
pub async fn get_feed(org: String, project: Option<String>, feed: String) -> Result<FeedView, PortalError> {
    let ctx = AppContext::current()?;
    let (feed, _, can_administer) = ctx.feed_for(&org, project.as_deref(), &feed, wharf_auth::FeedAction::Read).await?;
    Ok(ctx.feed_view(&feed, can_administer))
}

/// The packages a feed holds whose name contains `query`.
#[server(prefix = "/_fn", endpoint = "list_packages")]
pub async fn list_packages(
    org: String,
    project: Option<String>,
    feed: String,
    query: String,
    #[server(default)] filter: String,
) -> Result<Vec<PackageView>, PortalError> {
    let ctx = AppContext::current()?;
    let (feed, ..) = ctx.feed_for(&org, project.as_deref(), &feed, wharf_auth::FeedAction::Read).await?;
    let packages = ctx.db.packages().list(feed.id, query.trim()).await?;
    Ok(packages
        .into_iter()
        .filter(|p| match filter.as_str() {
            "local" => p.origins.contains("local"),
            "upstream" => p.origins.contains("upstream"),
            "yanked" => p.yanked,
            _ => true,
        })
        .map(|p| PackageView {
            yanked: p.yanked,
            name: p.name,
            versions: p.versions,
            latest: p.latest,
            origin: p.origins,
            last_used: crate::ssr::rfc3339(p.last_used_at),
        })
        .collect())
}

/// Creates a feed from the form and sends the browser to its Connect page.
#[server(prefix = "/_fn", endpoint = "create_feed")]
pub async fn create_feed(
    #[server(default)] csrf: String,
    org: String,
    name: String,
    description: Option<String>,
    visibility: Option<String>,
    scope: Option<String>,
    upstream: Option<String>,
) -> Result<(), PortalError> {
    use wharf_core::{FeedDraft, FieldErrors};
    use wharf_db::DbError;

    let ctx = AppContext::current()?;
    crate::ssr::check_csrf(&csrf).await?;
    let (principal, user) = crate::ssr::signed_in(&ctx.db).await?;
    let values = FeedFormValues {
        name: name.clone(),
        description: description.clone().unwrap_or_default(),
        visibility: visibility.clone().unwrap_or_default(),
        scope: scope.clone().unwrap_or_default(),
        upstream: upstream.is_some(),
    };
    let invalid = |errors: FieldErrors| {
        refuse_with(422);
        PortalError::Invalid { errors, values: Box::new(values.clone()) }
    };

    let project = match scope.as_deref().map(str::trim) {
        Some(SCOPE_ORGANIZATION) => None,
        Some(s) if s.starts_with(SCOPE_PROJECT_PREFIX) => Some(s[SCOPE_PROJECT_PREFIX.len()..].to_owned()),
        _ => {
            let mut errors = FieldErrors::default();
            errors.push("scope", "Choose where the feed lives: a project or the whole organization.");
            if let Err(more) =
                FeedDraft::parse(&name, description.as_deref(), visibility.as_deref().unwrap_or(""), false)
            {
                errors.0.extend(more.0);
            }
            return Err(invalid(errors));
        }
    };
    let draft =
        FeedDraft::parse(&name, description.as_deref(), visibility.as_deref().unwrap_or(""), upstream.is_some())
            .map_err(invalid)?;
    let scope = match ctx.db.scopes().resolve(&org, project.as_deref()).await {
        Ok(scope) => scope,
        Err(DbError::NotFound(message)) => {
            let mut errors = FieldErrors::default();
            errors.push("scope", message);
            return Err(invalid(errors));
        }
        Err(other) => return Err(other.into()),
    };
    wharf_auth::check_org(&ctx.db, &principal, scope.org_id, wharf_auth::OrgAction::CreateFeed).await?;
    // The creator owns the feed.
    let feed = match ctx.db.feeds().create_owned(&scope, &draft, Some(user.id)).await {
        Ok(feed) => feed,
        Err(DbError::Conflict(message)) => {
            let mut errors = FieldErrors::default();
            errors.push("name", message);
            return Err(invalid(errors));
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(feed = %feed.name, org = %feed.org, project = ?feed.project, "feed created in the portal");
    leptos_axum::redirect(&feed.location().connect_path());
    Ok(())
}
