//! One module per page.

mod account;
mod audit;
mod connect;
mod create;
mod feed;
mod feeds;
mod members;
mod package;
mod projects;
mod scaffold;
mod security;
mod settings;
mod upstreams;
mod views;
mod warm;
mod webhooks;

pub use account::{SetupPage, SignInPage, TokensPage};
pub use audit::FeedAuditPage;
pub use connect::ConnectPage;
pub use create::CreateFeedPage;
pub use feed::FeedPage;
pub use feeds::FeedsPage;
pub use members::MembersPage;
pub use package::{PackagePage, RecycleBinPage};
pub use projects::{OrganizationsPage, ProjectsPage};
pub(crate) use scaffold::{Breadcrumbs, Col, DataTable, loaded};
pub use security::FeedSecurityPage;
pub use settings::{FeedPermissionsPage, FeedSettingsPage};
pub use upstreams::FeedUpstreamsPage;
pub use views::FeedViewsPage;
pub(crate) use warm::WarmDrop;
pub use warm::{FeedWarmPage, WarmJobPage};
pub use webhooks::FeedWebhooksPage;

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_location, use_params_map};

use crate::{error::PortalError, model::FeedView, server::get_feed};

/// The hidden fields naming a feed in a form.
pub(crate) fn feed_fields(feed: &FeedView, csrf: &str) -> impl IntoView + use<> {
    let (feed, csrf) = (feed.clone(), csrf.to_owned());
    view! {
        <input type="hidden" name="csrf" value=csrf/>
        <input type="hidden" name="org" value=feed.org.clone()/>
        <input type="hidden" name="project" value=feed.project.clone().unwrap_or_default()/>
        <input type="hidden" name="feed" value=feed.name.clone()/>
    }
}

pub(crate) use crate::status::set_status;

/// The feed named by the route's `org`, optional `project` and `feed` parameters.
pub(crate) fn feed_resource() -> Resource<Result<FeedView, PortalError>> {
    let params = use_params_map();
    Resource::new(
        move || {
            let p = params.read();
            (p.get("org").unwrap_or_default(), p.get("project"), p.get("feed").unwrap_or_default())
        },
        |(org, project, feed)| get_feed(org, project, feed),
    )
}

/// Shown in place of a page whose data could not be loaded.
#[component]
pub(crate) fn LoadError(error: PortalError) -> impl IntoView {
    let (title, status) = match &error {
        PortalError::NotFound(_) => ("Not found", 404),
        PortalError::Unauthorized(_) => ("Sign in", 401),
        PortalError::Forbidden(_) => ("Not allowed", 403),
        _ => ("Something went wrong", 500),
    };
    set_status(status);
    let path = use_location().pathname.get_untracked();
    let action = match &error {
        PortalError::Unauthorized(_) => view! {
            <p><a class="button button--primary" href=crate::components::layout::sign_in_href(&path)>"Sign in"</a></p>
        }
        .into_any(),
        _ => view! { <p><a href="/">"Back to the feeds"</a></p> }.into_any(),
    };
    view! {
        <section class="notice notice--error" role="alert" id="load-error" data-status=status.to_string()>
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            {action}
        </section>
    }
}

/// The error of a plain form post to server function `S` that came back refused (it
/// travels in the URL the browser is sent back to).
pub(crate) fn form_error<S>() -> Option<PortalError>
where
    S: ServerFn<Error = PortalError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    ServerAction::<S>::new().value().get_untracked().and_then(Result::err).filter(|e| *e != PortalError::Unverified)
}

/// The message of a refused form, above it.
#[component]
pub(crate) fn FormError(error: Option<PortalError>) -> impl IntoView {
    error.map(|e| view! { <p class="notice notice--error" role="alert" id="form-error">{e.to_string()}</p> })
}

/// The message for one field of a refused form, beside it.
#[component]
pub(crate) fn FieldError(error: Option<PortalError>, field: &'static str) -> impl IntoView {
    let message = error.and_then(|e| e.field(field));
    view! { <p class="field-error" id=format!("{field}-error")>{message}</p> }
}

/// The page for URLs that match no route.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <section class="notice notice--error">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/">"See the feeds"</a>"."</p>
        </section>
    }
}
