//! One module per page.

mod connect;
mod create;
mod feed;
mod feeds;

pub use connect::ConnectPage;
pub use create::CreateFeedPage;
pub use feed::FeedPage;
pub use feeds::FeedsPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{error::PortalError, model::FeedView, server::get_feed};

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub(crate) fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code)) {
        res.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

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
        _ => ("Something went wrong", 500),
    };
    set_status(status);
    view! {
        <section class="notice notice--error" role="alert">
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <p><a href="/">"Back to the feeds"</a></p>
        </section>
    }
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
