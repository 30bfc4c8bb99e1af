//! Connect to feed: the cargo configuration for one feed, ready to copy.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::snippet::Snippet,
    model::{FeedView, ViewInfo},
    pages::{Breadcrumbs, feed_resource, loaded},
    server::list_views,
};

#[component]
pub fn ConnectPage() -> impl IntoView {
    let feed = feed_resource();
    let wanted = use_query_map().read_untracked().get("view").filter(|v| !v.is_empty());
    loaded(move || {
        let wanted = wanted.clone();
        async move {
            let feed = feed.await?;
            let views = list_views(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            let view = match wanted {
                None => None,
                Some(name) => {
                    Some(views.iter().find(|v| v.name.eq_ignore_ascii_case(&name)).cloned().ok_or_else(|| {
                        crate::error::PortalError::NotFound(format!("Feed '{}' has no view named '{name}'.", feed.name))
                    })?)
                }
            };
            Ok(view! { <ConnectDetails feed views view/> })
        }
    })
}

/// Which registry the snippets are for: the feed, or one of its views.
#[component]
fn ViewChooser(feed: FeedView, views: Vec<ViewInfo>, current: Option<String>) -> impl IntoView {
    let connect = feed.location().connect_path();
    let link = move |href: String, label: String, here: bool| {
        view! { <a href=href class="tab" aria-current=here.then_some("page")>{label}</a> }
    };
    view! {
        <nav class="tabs" aria-label="Registry" id="view-chooser">
            {link(connect.clone(), feed.name.clone(), current.is_none())}
            {views
                .into_iter()
                .map(|v| {
                    let here = current.as_deref() == Some(v.name.as_str());
                    link(format!("{connect}?view={}", v.name), format!("@{}", v.name), here)
                })
                .collect_view()}
        </nav>
    }
}

#[component]
fn ConnectDetails(feed: FeedView, views: Vec<ViewInfo>, view: Option<ViewInfo>) -> impl IntoView {
    let mut info = feed.connect_info();
    if let Some(v) = &view {
        // A view is a registry of its own with no upstream: it does not replace crates.io.
        info.feed = format!("{}@{}", feed.name, v.name);
        info.index_url = v.index_url.clone();
        info.includes_crates_io = false;
    }
    let name = info.registry_name();
    let loc = feed.location();
    let renamed = view.is_none() && name != feed.name;
    let shown = info.feed.clone();
    view! {
        <Title text=format!("Connect to {shown}")/>
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), loc.page_path())] here="Connect"/>
        <h1>"Connect to feed " <span class="feed-name">{shown.clone()}</span></h1>
        <ViewChooser feed=feed.clone() views current=view.as_ref().map(|v| v.name.clone())/>
        <p class="lead">
            {match &view {
                None => "Cargo talks to this feed through its sparse index. Stable cargo needs nothing else.".to_owned(),
                Some(v) => format!(
                    "The view @{} is a registry of its own: it lists only the versions promoted to it. Cargo knows it as {name}; publishing through it goes to the feed.",
                    v.name
                ),
            }}
        </p>
        {renamed.then(|| view! {
            <p class="notice">
                "Cargo registry names cannot contain '.' or start with a digit, so cargo knows this feed as "
                <code>{name.clone()}</code>"."
            </p>
        })}

        <section class="step" aria-labelledby="step-project">
            <h2 id="step-project"><span class="step__n">"1"</span>"Project setup"</h2>
            <p>
                "Add this to " <code>".cargo/config.toml"</code> " in your project, beside its "
                <code>"Cargo.toml"</code> "."
                {if info.includes_crates_io {
                    " It replaces crates.io with this feed: every crates.io dependency resolves and downloads through the feed and is saved into it on first use."
                } else {
                    ""
                }}
            </p>
            <Snippet id="snippet-config" title=".cargo/config.toml" text=info.project_config()/>
            {(!info.includes_crates_io).then(|| view! {
                <p>"Then depend on the feed's crates by naming the registry in " <code>"Cargo.toml"</code> ":"</p>
                <Snippet id="snippet-dependency" title="Cargo.toml" text=info.dependency_example()/>
            })}
        </section>

        {info.needs_credentials().then(|| view! {
            <section class="step" aria-labelledby="step-credentials">
                <h2 id="step-credentials"><span class="step__n">"2"</span>"Credentials"</h2>
                <p id="credentials-why">
                    "This feed is " {feed.visibility.label().to_lowercase()}
                    ": cargo must send a personal access token. The project setup above already tells cargo to use tokens (its "
                    <code>"[registry]"</code> " lines), so a fresh machine or CI runner needs nothing more than the token."
                </p>
                <p>
                    <a href=info.tokens_url.clone()>"Create a personal access token"</a>
                    " with the Packaging scope, then run this and paste the token when asked:"
                </p>
                <Snippet id="snippet-login" title="Terminal" text=info.login_command()/>
                <p>"In CI, set the token in this environment variable instead of running cargo login:"</p>
                <Snippet id="snippet-ci" title="CI environment variable" text=info.token_env_var()/>
            </section>
        })}

        <section class="step" aria-labelledby="step-publish">
            <h2 id="step-publish">
                <span class="step__n">{if info.needs_credentials() { "3" } else { "2" }}</span>
                "Publish"
            </h2>
            <p>"Publish a crate of yours to the feed:"</p>
            <Snippet id="snippet-publish" title="Terminal" text=info.publish_command()/>
            {(!info.needs_credentials()).then(|| view! {
                <p id="publish-needs-token">
                    "Reading this feed needs no token. Publishing does: "
                    <a href=info.tokens_url.clone()>"create a personal access token"</a>
                    " with the Packaging read & write scope and run " <code>{info.login_command()}</code>
                    ", or in CI set " <code>{info.token_env_var()}</code> "."
                </p>
            })}
        </section>
    }
}
