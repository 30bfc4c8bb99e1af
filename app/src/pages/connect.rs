//! Connect to feed: the cargo configuration for one feed, ready to copy.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::snippet::Snippet,
    model::FeedView,
    pages::{Breadcrumbs, feed_resource, loaded},
};

#[component]
pub fn ConnectPage() -> impl IntoView {
    let feed = feed_resource();
    loaded(move || async move { Ok(view! { <ConnectDetails feed=feed.await?/> }) })
}

#[component]
fn ConnectDetails(feed: FeedView) -> impl IntoView {
    let info = feed.connect_info();
    let name = info.registry_name();
    let loc = feed.location();
    let renamed = name != feed.name;
    view! {
        <Title text=format!("Connect to {}", feed.name)/>
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), loc.page_path())] here="Connect"/>
        <h1>"Connect to feed " <span class="feed-name">{feed.name.clone()}</span></h1>
        <p class="lead">
            "Cargo talks to this feed through its sparse index. Stable cargo needs nothing else."
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
                {if info.upstream_enabled {
                    " It replaces crates.io with this feed: every crates.io dependency resolves and downloads through the feed and is saved into it on first use."
                } else {
                    ""
                }}
            </p>
            <Snippet id="snippet-config" title=".cargo/config.toml" text=info.project_config()/>
            {(!info.upstream_enabled).then(|| view! {
                <p>"Then depend on the feed's crates by naming the registry in " <code>"Cargo.toml"</code> ":"</p>
                <Snippet id="snippet-dependency" title="Cargo.toml" text=info.dependency_example()/>
            })}
        </section>

        {info.needs_credentials().then(|| view! {
            <section class="step" aria-labelledby="step-credentials">
                <h2 id="step-credentials"><span class="step__n">"2"</span>"Credentials"</h2>
                <p>
                    "This feed is " {feed.visibility.label().to_lowercase()}
                    ": cargo must send a personal access token. Let cargo store tokens by adding this to your user configuration, "
                    <code>"~/.cargo/config.toml"</code> ":"
                </p>
                <Snippet id="snippet-credentials" title="~/.cargo/config.toml" text=info.credential_config()/>
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
        </section>
    }
}
