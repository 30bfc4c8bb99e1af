//! Server functions: the portal's calls into the server. Each one calls a core operation,
//! which authorizes inside; each one that changes something checks the form's CSRF
//! token first.

mod account;
mod admin;
mod audit;
mod guards;
mod packages;
mod projects;
mod upstreams;
mod views;
mod warm;
mod webhooks;

pub use account::*;
pub use admin::*;
pub use audit::*;
pub use guards::*;
pub use packages::*;
pub use projects::*;
pub use upstreams::*;
pub use views::*;
pub use warm::*;
pub use webhooks::*;

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{FeedView, PackageList},
};
#[cfg(feature = "ssr")]
use crate::{
    model::{FeedFormValues, PackageView},
    ssr::{core, feed_view, refuse_with},
};

/// The server functions that change nothing: the only ones the server lets run without
/// the session's CSRF token (every other one is refused before it runs).
pub const READ_ONLY_FNS: &[&str] = &[
    <ListFeeds as leptos::server_fn::ServerFn>::PATH,
    <ListProjects as leptos::server_fn::ServerFn>::PATH,
    <GetFeed as leptos::server_fn::ServerFn>::PATH,
    <WarmJob as leptos::server_fn::ServerFn>::PATH,
    <ListPackages as leptos::server_fn::ServerFn>::PATH,
    <GetPackage as leptos::server_fn::ServerFn>::PATH,
    <ListRecycleBin as leptos::server_fn::ServerFn>::PATH,
    <SessionInfo as leptos::server_fn::ServerFn>::PATH,
    <FeedAudit as leptos::server_fn::ServerFn>::PATH,
    <ListWebhooks as leptos::server_fn::ServerFn>::PATH,
    <FeedSecurity as leptos::server_fn::ServerFn>::PATH,
    <FormToken as leptos::server_fn::ServerFn>::PATH,
    <ListTokens as leptos::server_fn::ServerFn>::PATH,
    <ListMembers as leptos::server_fn::ServerFn>::PATH,
    <ListPermissions as leptos::server_fn::ServerFn>::PATH,
    <ListViews as leptos::server_fn::ServerFn>::PATH,
    <ListUpstreams as leptos::server_fn::ServerFn>::PATH,
    <ListOrganizations as leptos::server_fn::ServerFn>::PATH,
    <RetentionPreview as leptos::server_fn::ServerFn>::PATH,
];

/// The value of the Scope radio for a project (`project:NAME`) or the organization.
pub const SCOPE_ORGANIZATION: &str = "organization";
pub const SCOPE_PROJECT_PREFIX: &str = "project:";

/// The feeds of an organization the caller may read: of every scope, or with `project`,
/// the organization's own and that project's.
#[server(prefix = "/_fn", endpoint = "list_feeds")]
pub async fn list_feeds(org: String, #[server(default)] project: Option<String>) -> Result<Vec<FeedView>, PortalError> {
    let core = core()?;
    let principal = crate::ssr::principal(&core).await?;
    let feeds = match project.filter(|p| !p.is_empty()) {
        None => wharf_service::feeds::list(&core, &principal, &org, None, true).await?,
        Some(project) => {
            let mut feeds = wharf_service::feeds::list(&core, &principal, &org, None, false).await?;
            feeds.extend(wharf_service::feeds::list(&core, &principal, &org, Some(&project), false).await?);
            feeds
        }
    };
    Ok(feeds.iter().map(|f| feed_view(&core, f, false)).collect())
}

/// The projects of an organization, for the Scope choice: for those who may create feeds.
#[server(prefix = "/_fn", endpoint = "list_projects")]
pub async fn list_projects(org: String) -> Result<Vec<String>, PortalError> {
    let core = core()?;
    let (principal, _) = crate::ssr::signed_in(&core).await?;
    Ok(wharf_service::projects::list(&core, &principal, &org).await?)
}

/// One feed; `project` is `None` for an organization-scoped feed.
#[server(prefix = "/_fn", endpoint = "get_feed")]
pub async fn get_feed(org: String, project: Option<String>, feed: String) -> Result<FeedView, PortalError> {
    let core = core()?;
    let principal = crate::ssr::principal(&core).await?;
    let found = wharf_service::FeedRef::new(&org, project.as_deref(), &feed)
        .authorized(&core, &principal, wharf_auth::FeedAction::Read)
        .await?;
    Ok(feed_view(&core, &found.feed, found.can_administer))
}

/// Page `page` of the packages a feed holds whose name contains `query`, filtered by
/// `filter` (`local`, `upstream`, `yanked`, or all).
#[server(prefix = "/_fn", endpoint = "list_packages")]
pub async fn list_packages(
    org: String,
    project: Option<String>,
    feed: String,
    query: String,
    #[server(default)] filter: String,
    #[server(default)] page: i64,
) -> Result<PackageList, PortalError> {
    let core = core()?;
    let principal = crate::ssr::principal(&core).await?;
    let feed = wharf_service::FeedRef::new(&org, project.as_deref(), &feed);
    let filter = wharf_db::PackageFilter::parse(&filter);
    let listed = wharf_service::browse::list(&core, &principal, &feed, &query, filter, page).await?;
    Ok(PackageList {
        held_back: listed.held_back,
        total: listed.total,
        page: listed.page,
        pages: listed.pages(),
        per_page: listed.per_page,
        items: listed
            .items
            .into_iter()
            .map(|p| PackageView {
                yanked: p.yanked,
                name: p.name,
                versions: p.versions,
                latest: p.latest,
                origin: p.origins,
                last_used: wharf_service::rfc3339(p.last_used_at),
            })
            .collect(),
    })
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
    use wharf_core::FieldErrors;
    use wharf_service::CoreError;

    let core = core()?;
    crate::ssr::check_csrf(&csrf).await?;
    let (principal, _) = crate::ssr::signed_in(&core).await?;
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
                wharf_core::FeedDraft::parse(&name, description.as_deref(), visibility.as_deref().unwrap_or(""), false)
            {
                errors.0.extend(more.0);
            }
            return Err(invalid(errors));
        }
    };
    let new = wharf_service::feeds::NewFeed {
        org,
        project,
        name,
        description,
        visibility: visibility.unwrap_or_default(),
        includes_crates_io: upstream.is_some(),
        settings: Default::default(),
    };
    let feed = match wharf_service::feeds::create(&core, &principal, &new).await {
        Ok(feed) => feed,
        Err(CoreError::Invalid(errors)) => return Err(invalid(errors)),
        Err(CoreError::NotFound(message)) => {
            let mut errors = FieldErrors::default();
            errors.push("scope", message);
            return Err(invalid(errors));
        }
        Err(CoreError::Conflict(message)) => {
            let mut errors = FieldErrors::default();
            errors.push("name", message);
            return Err(invalid(errors));
        }
        Err(other) => return Err(other.into()),
    };
    crate::ssr::redirect_to(&feed.location().connect_path());
    Ok(())
}
