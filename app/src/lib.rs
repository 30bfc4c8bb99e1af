//! Wharf's portal: the pages, their components and the server functions behind them.
//! Compiled twice: with `ssr` into the server, with `hydrate` into the WASM bundle.

pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod server;
#[cfg(feature = "ssr")]
mod signing;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod status;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::layout::Layout,
    pages::{
        ConnectPage, CreateFeedPage, FeedAuditPage, FeedPage, FeedPermissionsPage, FeedSecurityPage, FeedSettingsPage,
        FeedUpstreamsPage, FeedViewsPage, FeedWarmPage, FeedWebhooksPage, FeedsPage, MembersPage, NotFound,
        OrganizationsPage, PackagePage, ProjectsPage, RecycleBinPage, SetupPage, SignInPage, TokensPage, WarmJobPage,
    },
};

/// Called by the WASM entry crate so that this crate's code, with the hydration functions of
/// its islands, is linked into the bundle (the linker keeps only what something references).
#[cfg(feature = "hydrate")]
pub fn link_islands() {}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::send_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The portal's routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/wharf.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Wharf".to_owned() } else { format!("{text} · Wharf") }/>
        // Every page renders whole on the server before it is sent (SsrMode::Async): the
        // portal works without JavaScript, which out-of-order streaming would need.
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=FeedsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts") view=FeedsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/new") view=CreateFeedPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed") view=FeedPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/connect") view=ConnectPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed") view=FeedPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/connect") view=ConnectPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings") view=FeedSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings") view=FeedSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings/permissions") view=FeedPermissionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings/permissions") view=FeedPermissionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings/views") view=FeedViewsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings/views") view=FeedViewsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings/upstreams") view=FeedUpstreamsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings/upstreams") view=FeedUpstreamsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings/audit") view=FeedAuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/security") view=FeedSecurityPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/warm") view=FeedWarmPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/warm/:job") view=WarmJobPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/settings/webhooks") view=FeedWebhooksPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings/webhooks") view=FeedWebhooksPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/security") view=FeedSecurityPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/warm") view=FeedWarmPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/warm/:job") view=WarmJobPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/settings/audit") view=FeedAuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/package/:package") view=PackagePage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/package/:package") view=PackagePage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_artifacts/feed/:feed/recycle-bin") view=RecycleBinPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts/feed/:feed/recycle-bin") view=RecycleBinPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_settings/members") view=MembersPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/_settings/projects") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=path!("/_settings/organizations") view=OrganizationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/:org/:project/_artifacts") view=FeedsPage ssr=SsrMode::Async/>
                    <Route path=path!("/_setup") view=SetupPage ssr=SsrMode::Async/>
                    <Route path=path!("/_signin") view=SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/_user/tokens") view=TokensPage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}
