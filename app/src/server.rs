//! Server functions: the portal's calls into the server.

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{FeedView, PackageView},
};
#[cfg(feature = "ssr")]
use crate::{model::FeedFormValues, ssr::AppContext};

/// The value of the Scope radio for a project (`project:NAME`) or the organization.
pub const SCOPE_ORGANIZATION: &str = "organization";
pub const SCOPE_PROJECT_PREFIX: &str = "project:";

/// Every feed of an organization, at any scope.
#[server(prefix = "/_fn", endpoint = "list_feeds")]
pub async fn list_feeds(org: String) -> Result<Vec<FeedView>, PortalError> {
    let ctx = AppContext::current()?;
    let scope = ctx.db.scopes().resolve(&org, None).await?;
    let feeds = ctx.db.feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(scope.org_id)).await?;
    Ok(feeds.iter().map(|f| ctx.feed_view(f)).collect())
}

/// The projects of an organization, for the Scope choice.
#[server(prefix = "/_fn", endpoint = "list_projects")]
pub async fn list_projects(org: String) -> Result<Vec<String>, PortalError> {
    let ctx = AppContext::current()?;
    let scope = ctx.db.scopes().resolve(&org, None).await?;
    Ok(ctx.db.scopes().projects(scope.org_id).await?)
}

/// One feed; `project` is `None` for an organization-scoped feed.
#[server(prefix = "/_fn", endpoint = "get_feed")]
pub async fn get_feed(org: String, project: Option<String>, feed: String) -> Result<FeedView, PortalError> {
    let ctx = AppContext::current()?;
    let scope = ctx.db.scopes().resolve(&org, project.as_deref()).await?;
    let feed = ctx.db.feeds().get(&scope, &feed).await?;
    Ok(ctx.feed_view(&feed))
}

/// The packages a feed holds whose name contains `query`.
#[server(prefix = "/_fn", endpoint = "list_packages")]
pub async fn list_packages(
    org: String,
    project: Option<String>,
    feed: String,
    query: String,
) -> Result<Vec<PackageView>, PortalError> {
    let ctx = AppContext::current()?;
    let scope = ctx.db.scopes().resolve(&org, project.as_deref()).await?;
    let feed = ctx.db.feeds().get(&scope, &feed).await?;
    let packages = ctx.db.packages().list(feed.id, query.trim()).await?;
    Ok(packages
        .into_iter()
        .map(|p| PackageView {
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
    let feed = match ctx.db.feeds().create(&scope, &draft).await {
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

/// Sets the status of a refused server-function call, except for a plain form post
/// (JavaScript off), which must stay the redirect back to the form.
#[cfg(feature = "ssr")]
fn refuse_with(status: u16) {
    let accepts_html = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
        .is_some_and(|accept| accept.to_str().is_ok_and(|a| a.contains("text/html")));
    if !accepts_html {
        crate::pages::set_status(status);
    }
}
